import * as crypto from 'crypto';
import type { IDataObject } from 'n8n-workflow';

/**
 * Idempotency for webhook deliveries: remembers which delivery keys were accepted, bounded by age
 * and by count, persisted compactly in the node's workflow static data.
 *
 * Why an in-process part: n8n loads static data from the database on every webhook request and
 * saves the whole blob afterwards, last write wins. Concurrent copies of one delivery would all see
 * "new", and concurrent distinct deliveries would erase each other's keys. So all requests for the
 * same workflow node in this process share one `LedgerState`: checks and reservations are
 * synchronous against it, and what each request saves is the shared object itself, the union of
 * everything loaded and everything accepted in this process.
 */

/** Persisted form, stored under `staticData.node[LEDGER_FIELD]`. */
export interface PersistedLedger extends IDataObject {
	/** format version */
	v: number;
	/** id of the process that wrote it: a copy we wrote ourselves needs no merge */
	w: string;
	/** revision within that writer */
	r: number;
	/** packed entries, oldest first: each is KEY_CHARS of hashed key + TIME_CHARS of base-36 seconds */
	c: string[];
}

export const LEDGER_FIELD = 'deliveryLedger';
const FORMAT_VERSION = 1;
const KEY_CHARS = 16; // 96 bits of SHA-256, base64url
const TIME_CHARS = 7; // base-36 seconds since the epoch, zero-padded (good until the year 4453)
export const ENTRY_CHARS = KEY_CHARS + TIME_CHARS;
/**
 * Entries per packed chunk. Small, so evicting from the front slices a short string (V8 flattens a
 * chunk built by appends once, then slices are O(1)), whatever the ledger size; the JSON framing
 * costs 3 bytes per chunk, about 0.1 byte per entry.
 */
const CHUNK_ENTRIES = 32;

export interface LedgerLimits {
	/** keys older than this are forgotten */
	maxAgeMs: number;
	/** at most this many keys are kept; the oldest go first */
	maxEntries: number;
}

export type LedgerVerdict = 'new' | 'duplicate' | 'inFlight';

// One-shot hashing (Node >= 20.12) avoids a Hash object per delivery; same output as createHash.
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64url') => string }).hash;

/** Hashes a delivery key to the fixed-width form kept in memory and in static data. */
export function hashDeliveryKey(deliveryKey: string): string {
	const digest = oneShotHash
		? oneShotHash('sha256', deliveryKey, 'base64url')
		: crypto.createHash('sha256').update(deliveryKey, 'utf8').digest('base64url');
	return digest.slice(0, KEY_CHARS);
}

function encodeSeconds(seconds: number): string {
	return Math.max(0, Math.floor(seconds)).toString(36).padStart(TIME_CHARS, '0');
}

/** One entry per line of the queue; `keys` maps hashed key → accepted-at seconds. */
export class LedgerState {
	readonly writerId: string;
	private readonly keys = new Map<string, number>();
	private readonly pending = new Set<string>();
	// FIFO of hashed keys and times in acceptance order, as arrays with a moving head.
	private queueKeys: string[] = [];
	private queueTimes: number[] = [];
	private head = 0;
	private rev = 0;
	/** Foreign copies (`writer:revision`) already merged, so a copy loaded again costs nothing. */
	private readonly absorbedForeign = new Set<string>();
	/** The object handed to static data; mutated in place, so a later save stores the latest union. */
	readonly persisted: PersistedLedger;

	constructor(writerId = crypto.randomBytes(6).toString('base64url')) {
		this.writerId = writerId;
		this.persisted = { v: FORMAT_VERSION, w: writerId, r: 0, c: [] };
	}

	get size(): number {
		return this.keys.size;
	}

	get revision(): number {
		return this.rev;
	}

	/** Synchronous verdict for a hashed key. Does not change anything except forgetting expired keys. */
	check(hashedKey: string, nowMs: number, limits: LedgerLimits): LedgerVerdict {
		this.expire(nowMs, limits);
		if (this.pending.has(hashedKey)) return 'inFlight';
		const acceptedAt = this.keys.get(hashedKey);
		if (acceptedAt !== undefined && acceptedAt * 1000 >= nowMs - limits.maxAgeMs) return 'duplicate';
		return 'new';
	}

	/** Marks a key as being processed, so concurrent copies are recognised before it is accepted. */
	reserve(hashedKey: string): void {
		this.pending.add(hashedKey);
	}

	/** Forgets a reservation of a delivery that was not accepted, so the vendor's retry goes through. */
	release(hashedKey: string): void {
		this.pending.delete(hashedKey);
	}

	/** Records an accepted delivery. */
	commit(hashedKey: string, nowMs: number, limits: LedgerLimits): void {
		this.pending.delete(hashedKey);
		if (this.keys.has(hashedKey)) return;
		const seconds = Math.floor(nowMs / 1000);
		this.append(hashedKey, seconds);
		this.expire(nowMs, limits);
		this.bump();
	}

	/**
	 * Takes in a ledger loaded from static data. A copy this process wrote is already contained in
	 * memory; anything else (a previous process before a restart, another webhook process) is merged.
	 * Returns true when the loaded copy lacks something we hold, i.e. it should be saved again.
	 */
	absorb(loaded: unknown, nowMs: number, limits: LedgerLimits): boolean {
		if (loaded === this.persisted) return false;
		const parsed = parsePersisted(loaded);
		if (parsed === undefined) return this.keys.size > 0;
		if (parsed.w === this.writerId) return parsed.r < this.rev;
		const foreignId = `${parsed.w}:${parsed.r}`;
		if (this.absorbedForeign.has(foreignId)) return true;
		if (this.absorbedForeign.size >= 16) this.absorbedForeign.clear();
		this.absorbedForeign.add(foreignId);
		const minSeconds = (nowMs - limits.maxAgeMs) / 1000;
		const incoming: Array<[string, number]> = [];
		for (const chunk of parsed.c) {
			for (let at = 0; at + ENTRY_CHARS <= chunk.length; at += ENTRY_CHARS) {
				const key = chunk.slice(at, at + KEY_CHARS);
				const seconds = parseInt(chunk.slice(at + KEY_CHARS, at + ENTRY_CHARS), 36);
				if (Number.isFinite(seconds) && seconds >= minSeconds && !this.keys.has(key)) {
					incoming.push([key, seconds]);
				}
			}
		}
		if (incoming.length > 0) this.mergeEntries(incoming, nowMs, limits);
		// The loaded copy came from elsewhere: save ours (a superset) over it.
		return true;
	}

	private mergeEntries(incoming: Array<[string, number]>, nowMs: number, limits: LedgerLimits): void {
		const all: Array<[string, number]> = [];
		for (let i = this.head; i < this.queueKeys.length; i++) {
			all.push([this.queueKeys[i], this.queueTimes[i]]);
		}
		all.push(...incoming);
		all.sort((a, b) => a[1] - b[1]);
		this.keys.clear();
		this.queueKeys = [];
		this.queueTimes = [];
		this.head = 0;
		this.persisted.c = [];
		for (const [key, seconds] of all) {
			if (!this.keys.has(key)) this.append(key, seconds);
		}
		this.expire(nowMs, limits);
		this.bump();
	}

	private append(hashedKey: string, seconds: number): void {
		this.keys.set(hashedKey, seconds);
		this.queueKeys.push(hashedKey);
		this.queueTimes.push(seconds);
		const chunks = this.persisted.c;
		const entry = hashedKey + encodeSeconds(seconds);
		const last = chunks.length - 1;
		if (last >= 0 && chunks[last].length < CHUNK_ENTRIES * ENTRY_CHARS) chunks[last] += entry;
		else chunks.push(entry);
	}

	/** Drops keys past their age, then the oldest keys beyond the cap. Amortised O(1) per entry. */
	private expire(nowMs: number, limits: LedgerLimits): void {
		const minSeconds = (nowMs - limits.maxAgeMs) / 1000;
		const cap = Math.max(1, Math.floor(limits.maxEntries));
		let dropped = 0;
		while (
			this.head < this.queueKeys.length &&
			(this.queueKeys.length - this.head > cap || this.queueTimes[this.head] < minSeconds)
		) {
			const key = this.queueKeys[this.head];
			// A key merged twice can sit in the queue once only (append checks), so this delete is exact.
			this.keys.delete(key);
			this.head++;
			dropped++;
		}
		if (dropped === 0) return;
		this.dropPersistedEntries(dropped);
		// Compact the queue arrays once the dead head outweighs the live part.
		if (this.head > 1024 && this.head * 2 > this.queueKeys.length) {
			this.queueKeys = this.queueKeys.slice(this.head);
			this.queueTimes = this.queueTimes.slice(this.head);
			this.head = 0;
		}
		this.bump();
	}

	private dropPersistedEntries(count: number): void {
		const chunks = this.persisted.c;
		let remaining = count;
		while (remaining > 0 && chunks.length > 0) {
			const entries = chunks[0].length / ENTRY_CHARS;
			if (entries <= remaining) {
				chunks.shift();
				remaining -= entries;
			} else {
				chunks[0] = chunks[0].slice(remaining * ENTRY_CHARS);
				remaining = 0;
			}
		}
	}

	private bump(): void {
		this.rev++;
		this.persisted.r = this.rev;
	}
}

function parsePersisted(value: unknown): PersistedLedger | undefined {
	if (typeof value !== 'object' || value === null) return undefined;
	const v = value as Partial<PersistedLedger>;
	if (v.v !== FORMAT_VERSION || typeof v.w !== 'string' || typeof v.r !== 'number') return undefined;
	if (!Array.isArray(v.c) || !v.c.every((chunk) => typeof chunk === 'string')) return undefined;
	return v as PersistedLedger;
}

/** All ledgers of this process, one per workflow node. Module state is per n8n process by design. */
const registry = new Map<string, LedgerState>();

export function ledgerFor(workflowId: string, nodeName: string): LedgerState {
	const id = `${workflowId}\u0000${nodeName}`;
	let state = registry.get(id);
	if (state === undefined) {
		state = new LedgerState();
		registry.set(id, state);
	}
	return state;
}

/**
 * The ledger as one request sees it: its static data plus the shared in-process state.
 * Usage per request: `open()` → `claim(key)` → on acceptance `accept()`, otherwise `abandon()`.
 */
export class DeliveryLedger {
	private readonly state: LedgerState;
	private needsSave: boolean;

	constructor(
		private readonly staticData: IDataObject,
		workflowId: string,
		nodeName: string,
		private readonly limits: LedgerLimits,
		private readonly now: () => number = Date.now,
	) {
		this.state = ledgerFor(workflowId, nodeName);
		this.needsSave = this.state.absorb(staticData[LEDGER_FIELD], this.now(), limits);
	}

	/**
	 * Claims a delivery key. 'new' means this request owns it until `accept` or `abandon`;
	 * 'duplicate' (already accepted) and 'inFlight' (another request holds it) must start nothing.
	 */
	claim(deliveryKey: string): { verdict: LedgerVerdict; hashedKey: string } {
		const hashedKey = hashDeliveryKey(deliveryKey);
		const verdict = this.state.check(hashedKey, this.now(), this.limits);
		if (verdict === 'new') this.state.reserve(hashedKey);
		return { verdict, hashedKey };
	}

	accept(hashedKey: string): void {
		this.state.commit(hashedKey, this.now(), this.limits);
		this.needsSave = true;
		this.save();
	}

	abandon(hashedKey: string): void {
		this.state.release(hashedKey);
		this.save();
	}

	/**
	 * Hands the shared object to static data when this request has something to persist. Assigning
	 * a top-level key is what marks n8n's static data as changed; because the object is shared and
	 * mutated in place, the save that lands last carries every key accepted so far.
	 */
	save(): void {
		if (!this.needsSave) return;
		this.staticData[LEDGER_FIELD] = this.state.persisted;
		this.needsSave = false;
	}
}
