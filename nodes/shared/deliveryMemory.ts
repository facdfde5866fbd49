import { createHash, randomBytes } from 'crypto';

/**
 * The duplicate memory of one trigger node in one n8n process: which delivery keys were accepted
 * (and when), and which are being processed right now. Plain data structures, no n8n: how this is
 * kept in n8n's workflow static data is nodes/shared/staticDataMemory.ts.
 *
 * Lifecycle of a delivery key: `claim` → `accept` (the delivery starts an execution) or `release`
 * (it was not accepted, so the vendor's retry must be processed).
 */

export interface MemoryLimits {
	/** keys accepted longer ago than this are forgotten */
	maxAgeMs: number;
	/** at most this many keys are kept; the oldest are forgotten first */
	maxEntries: number;
}

export type ClaimVerdict = 'new' | 'duplicate' | 'inFlight';

/** What goes into static data (format 2). */
export interface PersistedMemory {
	format: 2;
	/** the DeliveryMemory that wrote it (random per memory, so a restarted process is a new writer) */
	writer: string;
	/** that memory's revision when it wrote the copy; it changes whenever the keys change */
	revision: number;
	/** hashed delivery key → accepted at, in whole seconds since the epoch */
	keys: Record<string, number>;
}

/** A copy read back from static data: who wrote it, at which revision, and its entries. */
export interface StoredCopy {
	writer: string;
	revision: number;
	/** decoded only when needed: `[hashedKey, acceptedAtSeconds]`, any order */
	readEntries: () => Array<[string, number]>;
}

export const HASHED_KEY_LENGTH = 16;

/**
 * 96 bits of SHA-256 in base64url: fixed width, nothing of the event in static data. Release 0.1.0
 * hashed the same way, so its keys are recognised after an upgrade.
 */
export function hashDeliveryKey(deliveryKey: string): string {
	return createHash('sha256')
		.update(deliveryKey, 'utf8')
		.digest('base64url')
		.slice(0, HASHED_KEY_LENGTH);
}

const toSeconds = (ms: number): number => Math.floor(ms / 1000);

export class DeliveryMemory {
	readonly writer = randomBytes(9).toString('base64url');
	private revision = 0;
	/** hashed key → accepted at (seconds). A Map iterates in insertion order: oldest first. */
	private accepted = new Map<string, number>();
	/** the same entries as a plain object, handed to static data as `keys` (see toPersisted) */
	private persistedKeys: Record<string, number> = {};
	/** keys claimed by a request that has not yet accepted or released them */
	private readonly inFlight = new Set<string>();
	/** the last copy written by another memory that was merged, so loading it again costs nothing */
	private lastMergedCopy = '';

	get size(): number {
		return this.accepted.size;
	}

	get claimsInFlight(): number {
		return this.inFlight.size;
	}

	/** 'new' makes the caller the owner of the key until it calls `accept` or `release`. */
	claim(hashedKey: string, nowMs: number, limits: MemoryLimits): ClaimVerdict {
		this.forgetOld(nowMs, limits);
		if (this.inFlight.has(hashedKey)) return 'inFlight';
		const acceptedAt = this.accepted.get(hashedKey);
		if (acceptedAt !== undefined && acceptedAt >= toSeconds(nowMs - limits.maxAgeMs))
			return 'duplicate';
		this.inFlight.add(hashedKey);
		return 'new';
	}

	/** Records an accepted delivery. Accepting a key that is already recorded changes nothing. */
	accept(hashedKey: string, nowMs: number, limits: MemoryLimits, acceptedAtMs = nowMs): void {
		this.inFlight.delete(hashedKey);
		if (!this.accepted.has(hashedKey))
			this.remember(hashedKey, toSeconds(Math.min(acceptedAtMs, nowMs)));
		this.forgetOld(nowMs, limits);
	}

	/** Gives up a claim without recording it, so the vendor's retry is processed. */
	release(hashedKey: string): void {
		this.inFlight.delete(hashedKey);
	}

	/**
	 * Whether a copy read from static data is one this memory wrote. Everything in such a copy is
	 * held here or was forgotten here on purpose (age, count), so it needs no merge.
	 */
	wrote(copy: StoredCopy): boolean {
		return copy.writer === this.writer && copy.revision <= this.revision;
	}

	/** Whether a copy read from static data holds exactly what this memory holds now. */
	isCurrent(copy: StoredCopy): boolean {
		return copy.writer === this.writer && copy.revision === this.revision;
	}

	/**
	 * Takes in the keys of a copy another memory wrote (a process before a restart, another webhook
	 * process, a queue-mode worker, release 0.1.0). Returns how many keys were new here.
	 */
	merge(copy: StoredCopy, nowMs: number, limits: MemoryLimits): number {
		if (this.wrote(copy)) return 0;
		const copyId = `${copy.writer}:${copy.revision}`;
		if (copyId === this.lastMergedCopy) return 0;
		this.lastMergedCopy = copyId;
		const oldestKept = toSeconds(nowMs - limits.maxAgeMs);
		const incoming = copy
			.readEntries()
			.filter(([key, at]) => at >= oldestKept && !this.accepted.has(key));
		if (incoming.length === 0) return 0;
		// Rebuild oldest first, so forgetting by age and by count keeps working from the front.
		const all = [...this.accepted, ...incoming].sort((a, b) => a[1] - b[1]);
		this.accepted = new Map();
		this.persistedKeys = {};
		for (const [key, at] of all) this.remember(key, at);
		this.forgetOld(nowMs, limits);
		return incoming.length;
	}

	/**
	 * A new wrapper around the live `keys` object for static data. The wrapper is new every time:
	 * n8n replaces nested objects of static data with proxies in place when it builds a workflow
	 * (see staticDataMemory.ts), and it may do that to the wrapper, never to a field we read back.
	 */
	toPersisted(): PersistedMemory {
		return { format: 2, writer: this.writer, revision: this.revision, keys: this.persistedKeys };
	}

	/** The only two places that change the entries: the Map and the object always change together. */
	private remember(hashedKey: string, acceptedAtSeconds: number): void {
		this.accepted.set(hashedKey, acceptedAtSeconds);
		this.persistedKeys[hashedKey] = acceptedAtSeconds;
		this.revision++;
	}

	private forget(hashedKey: string): void {
		this.accepted.delete(hashedKey);
		delete this.persistedKeys[hashedKey];
		this.revision++;
	}

	/**
	 * Forgets from the front (oldest first) while over the count or past the age. Entries are in
	 * acceptance order; a clock step backwards can leave an older entry behind a younger one for a
	 * while, which `claim` covers by checking the time of the key it finds.
	 */
	private forgetOld(nowMs: number, limits: MemoryLimits): void {
		const oldestKept = toSeconds(nowMs - limits.maxAgeMs);
		for (const [key, at] of this.accepted) {
			if (this.accepted.size <= limits.maxEntries && at >= oldestKept) break;
			this.forget(key);
		}
	}
}
