import * as crypto from 'crypto';
import type { IDataObject } from 'n8n-workflow';

import { KeyTable } from './KeyTable';

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

// Deliveries accepted within the same second share the encoding.
let encodedSecond = -1;
let encodedText = '';

function encodeSeconds(seconds: number): string {
	const whole = Math.max(0, Math.floor(seconds));
	if (whole !== encodedSecond) {
		encodedSecond = whole;
		encodedText = whole.toString(36).padStart(TIME_CHARS, '0');
	}
	return encodedText;
}

const VALID_KEY = /^[A-Za-z0-9_-]{16}$/;

/** A string built by appends, copied into one flat string (so it stops holding a chain of pieces). */
function flatten(text: string): string {
	return Buffer.from(text, 'latin1').toString('latin1');
}

/** The shared state of one workflow node's ledger in this process. */
export class LedgerState {
	readonly writerId: string;
	private table = new KeyTable(1);
	private readonly pending = new Set<string>();
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
		return this.table.size;
	}

	/** Synchronous verdict for a hashed key. Does not change anything except forgetting expired keys. */
	check(hashedKey: string, nowMs: number, limits: LedgerLimits): LedgerVerdict {
		this.fitCapacity(limits);
		this.expire(nowMs, limits);
		if (this.pending.has(hashedKey)) return 'inFlight';
		const acceptedAt = this.table.secondsOf(hashedKey);
		if (acceptedAt >= 0 && acceptedAt * 1000 >= nowMs - limits.maxAgeMs) return 'duplicate';
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
		this.fitCapacity(limits);
		if (this.table.secondsOf(hashedKey) >= 0) return;
		const seconds = Math.floor(nowMs / 1000);
		const evicted = this.table.add(hashedKey, seconds);
		if (evicted > 0) this.dropPersistedEntries(evicted);
		this.appendPersisted(hashedKey, seconds);
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
		if (parsed === undefined) return this.table.size > 0;
		if (parsed.w === this.writerId) return parsed.r < this.rev;
		const foreignId = `${parsed.w}:${parsed.r}`;
		if (this.absorbedForeign.has(foreignId)) return true;
		if (this.absorbedForeign.size >= 16) this.absorbedForeign.clear();
		this.absorbedForeign.add(foreignId);
		const minSeconds = (nowMs - limits.maxAgeMs) / 1000;
		const incoming: Array<[string, number]> = [];
		for (const chunk of parsed.c) {
			if (typeof chunk !== 'string') continue;
			for (let at = 0; at + ENTRY_CHARS <= chunk.length; at += ENTRY_CHARS) {
				const key = chunk.slice(at, at + KEY_CHARS);
				const seconds = parseInt(chunk.slice(at + KEY_CHARS, at + ENTRY_CHARS), 36);
				if (VALID_KEY.test(key) && Number.isFinite(seconds) && seconds >= minSeconds) incoming.push([key, seconds]);
			}
		}
		if (incoming.length > 0) {
			const all = [...this.table.entries(), ...incoming].sort((a, b) => a[1] - b[1]);
			this.rebuild(all, limits.maxEntries);
			this.expire(nowMs, limits);
			this.bump();
		}
		// The loaded copy came from elsewhere: save ours (a superset) over it.
		return true;
	}

	/** The user changed the memory size: rebuild at the new size, keeping the newest keys. */
	private fitCapacity(limits: LedgerLimits): void {
		const cap = Math.max(1, Math.floor(limits.maxEntries));
		if (cap === this.table.capacity) return;
		this.rebuild(this.table.entries(), cap);
		this.bump();
	}

	/** Replaces the table and the persisted chunks with `entries` (oldest first; newest kept). */
	private rebuild(entries: Array<[string, number]>, maxEntries: number): void {
		const cap = Math.max(1, Math.floor(maxEntries));
		const seen = new Set<string>();
		const unique: Array<[string, number]> = [];
		for (let i = entries.length - 1; i >= 0 && unique.length < cap; i--) {
			if (!seen.has(entries[i][0])) {
				seen.add(entries[i][0]);
				unique.push(entries[i]);
			}
		}
		unique.reverse();
		this.table = new KeyTable(cap);
		this.persisted.c = [];
		for (const [key, seconds] of unique) {
			this.table.add(key, seconds);
			this.appendPersisted(key, seconds);
		}
	}

	private appendPersisted(hashedKey: string, seconds: number): void {
		const chunks = this.persisted.c;
		const entry = hashedKey + encodeSeconds(seconds);
		const last = chunks.length - 1;
		if (last < 0 || chunks[last].length >= CHUNK_ENTRIES * ENTRY_CHARS) {
			chunks.push(entry);
			return;
		}
		chunks[last] += entry;
		if (chunks[last].length >= CHUNK_ENTRIES * ENTRY_CHARS) chunks[last] = flatten(chunks[last]);
	}

	/** Drops keys past their age. Amortised O(1) per entry. */
	private expire(nowMs: number, limits: LedgerLimits): void {
		const minSeconds = (nowMs - limits.maxAgeMs) / 1000;
		let dropped = 0;
		for (let oldest = this.table.oldestSeconds(); oldest !== undefined && oldest < minSeconds; oldest = this.table.oldestSeconds()) {
			this.table.dropOldest();
			dropped++;
		}
		if (dropped === 0) return;
		this.dropPersistedEntries(dropped);
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

/** The header of a persisted ledger; its chunks are checked only when they are merged. */
function parsePersisted(value: unknown): PersistedLedger | undefined {
	if (typeof value !== 'object' || value === null) return undefined;
	const v = value as Partial<PersistedLedger>;
	if (v.v !== FORMAT_VERSION || typeof v.w !== 'string' || typeof v.r !== 'number' || !Array.isArray(v.c)) return undefined;
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
