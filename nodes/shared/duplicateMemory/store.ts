import { hash, randomBytes } from 'crypto';

/**
 * The duplicate memory of one trigger node in one n8n process: which delivery keys were accepted
 * (and when), and which are being processed right now. Plain data structures, no n8n; how it is
 * kept in n8n's workflow static data is ./staticData.ts.
 *
 * Lifecycle of a delivery key: `claim` → `accept` (the delivery starts an execution) or `release`
 * (it was not accepted, so the vendor's retry must be processed). Keys are forgotten oldest first,
 * by age (the Duplicate Window) and by count (the Duplicate Memory Size).
 */

export interface DuplicateLimits {
	/** keys accepted longer ago than this are forgotten */
	maxAgeMs: number;
	/** at most this many keys are kept; the oldest are forgotten first */
	maxEntries: number;
	/**
	 * Keys accepted at or after this time are not forgotten by age (the count limit still applies):
	 * catch-up lists changes from its cursor on, which after a long outage can be older than the
	 * window, and their keys are what keeps catch-up from emitting them again
	 * (nodes/shared/catchUp/cursor.ts).
	 */
	keepSinceMs?: number;
	/**
	 * How far before its cursor catch-up's listing reaches (Uplift's Processing Allowance, Uphance's
	 * Update Window, for the record of a create): keys accepted since `cursor - overlap - reach`
	 * are kept beyond the window, whatever the Duplicate Window (./staticData.ts).
	 */
	catchUpReachMs?: number;
}

/** Acceptance time (seconds) below which a key is forgotten by age. */
function oldestKeptSeconds(limits: DuplicateLimits, nowMs: number): number {
	const byAge = nowMs - limits.maxAgeMs;
	return toSeconds(limits.keepSinceMs === undefined ? byAge : Math.min(byAge, limits.keepSinceMs));
}

export type ClaimVerdict = 'new' | 'duplicate' | 'inFlight';

export const HASHED_KEY_LENGTH = 16;
const SECONDS_DIGITS = 10;
/** One entry: the hashed key, then the acceptance time as 10 decimal digits of Unix seconds. */
export const ENTRY_LENGTH = HASHED_KEY_LENGTH + SECONDS_DIGITS;
/**
 * Entries per chunk. Speed, measured: n8n parses, wraps and serialises static data on every
 * accepted delivery, and at 10,000 keys one object property per key cost 14.6 ms per delivery
 * against 0.55 ms for these chunks (BENCHMARKS.md §5). Chunks rather than one string, so forgetting
 * the oldest entry copies at most one short string.
 */
export const ENTRIES_PER_CHUNK = 100;

/** What goes into static data. */
export interface PersistedMemory {
	format: 1;
	/** the memory that wrote it (random per memory, so a restarted process is a new writer) */
	writer: string;
	/** that memory's revision when it wrote the copy; it changes whenever the entries change */
	revision: number;
	/** the entries, oldest first, packed into chunks of up to ENTRIES_PER_CHUNK entries */
	entries: string[];
}

/**
 * 96 bits of SHA-256 in base64url: fixed width, nothing of the event in static data.
 * (`crypto.hash` is Node's one-shot digest, Node >= 20.12; the package requires 20.15.)
 */
export function hashDeliveryKey(deliveryKey: string): string {
	return hash('sha256', deliveryKey, 'base64url').slice(0, HASHED_KEY_LENGTH);
}

export function encodeEntry(hashedKey: string, acceptedAtSeconds: number): string {
	return hashedKey + String(acceptedAtSeconds).padStart(SECONDS_DIGITS, '0');
}

/** The entry at `offset` of a chunk: `[hashedKey, acceptedAtSeconds]` (NaN seconds if not digits). */
export function decodeEntry(chunk: string, offset = 0): [string, number] {
	const key = chunk.slice(offset, offset + HASHED_KEY_LENGTH);
	const digits = chunk.slice(offset + HASHED_KEY_LENGTH, offset + ENTRY_LENGTH);
	return [key, /^\d{10}$/.test(digits) ? Number(digits) : NaN];
}

const toSeconds = (ms: number): number => Math.floor(ms / 1000);

export class DuplicateMemory {
	readonly writer = randomBytes(9).toString('base64url');
	private revision = 0;
	/** hashed key → accepted at (seconds): the lookup */
	private accepted = new Map<string, number>();
	/**
	 * The same entries in acceptance order, oldest first, packed: the queue that says which key to
	 * forget next, and what static data receives. Only `append`, `forgetOldest` and `merge` change it
	 * and `accepted`, always together, so both hold the same keys.
	 */
	private chunks: string[] = [];
	/** keys claimed by a request that has not yet accepted or released them, and how to tell waiters */
	private readonly inFlight = new Map<string, { decided: Promise<void>; decide: () => void }>();

	constructor(public limits: DuplicateLimits) {}

	get size(): number {
		return this.accepted.size;
	}

	get claimsInFlight(): number {
		return this.inFlight.size;
	}

	/** 'new' makes the caller the owner of the key until it calls `accept` or `release`. */
	claim(hashedKey: string, nowMs: number): ClaimVerdict {
		this.forgetOld(nowMs);
		if (this.inFlight.has(hashedKey)) return 'inFlight';
		if (this.holds(hashedKey, nowMs)) return 'duplicate';
		let decide = (): void => undefined;
		const decided = new Promise<void>((resolve) => (decide = resolve));
		this.inFlight.set(hashedKey, { decided, decide });
		return 'new';
	}

	/** Resolves once the claim on `hashedKey` is accepted or released (at once if there is none). */
	async decided(hashedKey: string): Promise<void> {
		await this.inFlight.get(hashedKey)?.decided;
	}

	/** Whether the key is recorded as accepted (within the window). */
	holds(hashedKey: string, nowMs: number): boolean {
		const acceptedAt = this.accepted.get(hashedKey);
		return acceptedAt !== undefined && acceptedAt >= oldestKeptSeconds(this.limits, nowMs);
	}

	/** Records an accepted delivery. Accepting a key that is already recorded changes nothing. */
	accept(hashedKey: string, nowMs: number, acceptedAtMs = nowMs): void {
		if (!this.accepted.has(hashedKey)) {
			this.append(hashedKey, toSeconds(Math.min(acceptedAtMs, nowMs)));
		}
		this.forgetOld(nowMs);
		this.endClaim(hashedKey);
	}

	/** Gives up a claim without recording it, so the vendor's retry is processed. */
	release(hashedKey: string): void {
		this.endClaim(hashedKey);
	}

	private endClaim(hashedKey: string): void {
		const claim = this.inFlight.get(hashedKey);
		this.inFlight.delete(hashedKey);
		claim?.decide();
	}

	/**
	 * Whether a copy in static data was written by this memory. Everything in such a copy is held
	 * here or was forgotten here on purpose (age, count), so it needs no reading.
	 */
	wrote(copy: { writer?: unknown; revision?: unknown }): boolean {
		return (
			copy.writer === this.writer &&
			typeof copy.revision === 'number' &&
			copy.revision <= this.revision
		);
	}

	/** Whether a copy in static data holds exactly what this memory holds now. */
	isCurrent(copy: { writer?: unknown; revision?: unknown }): boolean {
		return copy.writer === this.writer && copy.revision === this.revision;
	}

	/**
	 * Takes in the keys of a copy from static data (correctness: the union of what every process
	 * accepted, since the last write wins; see ./staticData.ts, rule 3). Returns how many keys were
	 * new here.
	 */
	merge(
		copy: { writer: string; revision: number; entries: Array<[string, number]> },
		nowMs: number,
	): number {
		if (this.wrote(copy)) return 0;
		const oldestKept = oldestKeptSeconds(this.limits, nowMs);
		const incoming = copy.entries.filter(
			([key, at]) => at >= oldestKept && !this.accepted.has(key),
		);
		if (incoming.length === 0) return 0;
		// Rebuild oldest first, so forgetting by age and by count keeps working from the front.
		const all = [...this.accepted, ...incoming].sort((a, b) => a[1] - b[1]);
		this.accepted = new Map();
		this.chunks = [];
		for (const [key, at] of all) this.append(key, at);
		this.forgetOld(nowMs);
		return incoming.length;
	}

	/**
	 * A new wrapper around the live chunks for static data. The wrapper is new every time: n8n
	 * replaces nested objects of static data with proxies in place (./staticData.ts, rule 5), and it
	 * may do that to the wrapper, never to a field read back here.
	 */
	toPersisted(): PersistedMemory {
		return { format: 1, writer: this.writer, revision: this.revision, entries: this.chunks };
	}

	private append(hashedKey: string, acceptedAtSeconds: number): void {
		this.accepted.set(hashedKey, acceptedAtSeconds);
		const entry = encodeEntry(hashedKey, acceptedAtSeconds);
		const last = this.chunks.length - 1;
		if (last >= 0 && this.chunks[last].length < ENTRIES_PER_CHUNK * ENTRY_LENGTH) {
			this.chunks[last] += entry;
		} else {
			this.chunks.push(entry);
		}
		this.revision++;
	}

	private forgetOldest(): void {
		const first = this.chunks[0];
		this.accepted.delete(decodeEntry(first)[0]);
		if (first.length === ENTRY_LENGTH) this.chunks.shift();
		else this.chunks[0] = first.slice(ENTRY_LENGTH);
		this.revision++;
	}

	/**
	 * Forgets from the front (oldest first) while over the count or past the age. Entries are in
	 * acceptance order; a clock step backwards can leave an older entry behind a younger one for a
	 * while, which `holds` covers by checking the time of the key it finds.
	 */
	private forgetOld(nowMs: number): void {
		const oldestKept = oldestKeptSeconds(this.limits, nowMs);
		while (
			this.chunks.length > 0 &&
			(this.accepted.size > this.limits.maxEntries || decodeEntry(this.chunks[0])[1] < oldestKept)
		) {
			this.forgetOldest();
		}
	}
}
