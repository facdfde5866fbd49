/**
 * A bounded FIFO set of hashed delivery keys with their acceptance times, in typed arrays.
 *
 * Why not a Map of strings: at 100,000 keys the strings and the Map's entries are scattered over
 * the heap, so each lookup misses the cache several times and the garbage collector traces every
 * key; the cost per operation grew with the ledger's size (BENCHMARKS.md). Here a key is three
 * 32-bit words in one contiguous open-addressing table (linear probing, backward-shift deletion, load
 * at most 1/2), and the acceptance order is a ring of the same words: no object per key, so the cost
 * per operation stays flat.
 *
 * Keys are the ledger's 16-character base64url hashes (96 bits): 5 characters (30 bits) per word,
 * with the 16th character's 6 bits spread two per word.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

export const KEY_LENGTH = 16;
const STRIDE = 4; // w0, w1, w2, seconds (0 = empty slot)
const INITIAL_RING = 64;

function sextet(key: string, index: number): number {
	const code = key.charCodeAt(index);
	const value = code < 128 ? DECODE[code] : -1;
	if (value < 0) throw new Error('not a base64url key');
	return value;
}

function word(key: string, from: number, extra: number): number {
	return (
		((sextet(key, from) << 24) |
			(sextet(key, from + 1) << 18) |
			(sextet(key, from + 2) << 12) |
			(sextet(key, from + 3) << 6) |
			sextet(key, from + 4) |
			(extra << 30)) >>>
		0
	);
}

function chars(value: number): string {
	let out = '';
	for (let shift = 24; shift >= 0; shift -= 6) out += ALPHABET[(value >>> shift) & 63];
	return out;
}

/** The 16-character key back from its three words. */
export function encodeKeyWords(w0: number, w1: number, w2: number): string {
	const last = ((w0 >>> 30) << 4) | ((w1 >>> 30) << 2) | (w2 >>> 30);
	return chars(w0) + chars(w1) + chars(w2) + ALPHABET[last];
}

export class KeyTable {
	readonly capacity: number;
	// Arrays grow by doubling up to `capacity`, so an idle or small ledger holds little memory
	// (at the default 10,000 keys a full table is about 670 KB).
	private slots = new Uint32Array(0);
	private mask = 0;
	private ring = new Uint32Array(0);
	/** entries the ring holds before it must grow (or, at `capacity`, evict) */
	private ringSize = 0;
	private head = 0;
	private count = 0;
	// The words of the key last decoded (fields, so the hot path allocates nothing).
	private w0 = 0;
	private w1 = 0;
	private w2 = 0;

	constructor(capacity: number) {
		this.capacity = Math.max(1, Math.floor(capacity));
		this.allocate(Math.min(this.capacity, INITIAL_RING));
	}

	/** (Re)allocates for `ringSize` entries (table load at most 1/2), keeping the entries in order. */
	private allocate(ringSize: number): void {
		const oldRing = this.ring;
		const oldSize = this.ringSize;
		const oldHead = this.head;
		const count = this.count;
		let tableSize = 16;
		while (tableSize < ringSize * 2) tableSize *= 2;
		this.mask = tableSize - 1;
		this.slots = new Uint32Array(tableSize * STRIDE);
		this.ring = new Uint32Array(ringSize * STRIDE);
		this.ringSize = ringSize;
		this.head = 0;
		this.count = 0;
		for (let k = 0; k < count; k++) {
			const at = ((oldHead + k) % oldSize) * STRIDE;
			this.insert(oldRing[at], oldRing[at + 1], oldRing[at + 2], oldRing[at + 3]);
		}
	}

	get size(): number {
		return this.count;
	}

	// A request looks a key up, then adds it: decode once.
	private decodedKey = '';

	private decode(key: string): void {
		if (key === this.decodedKey) return;
		if (key.length !== KEY_LENGTH) throw new Error('not a ledger key');
		const last = sextet(key, 15);
		this.w0 = word(key, 0, last >>> 4);
		this.w1 = word(key, 5, (last >>> 2) & 3);
		this.w2 = word(key, 10, last & 3);
		this.decodedKey = key;
	}

	private find(w0: number, w1: number, w2: number): number {
		const slots = this.slots;
		for (let i = w0 & this.mask; ; i = (i + 1) & this.mask) {
			const at = i * STRIDE;
			if (slots[at + 3] === 0) return -1;
			if (slots[at] === w0 && slots[at + 1] === w1 && slots[at + 2] === w2) return i;
		}
	}

	/** Acceptance time (seconds) of a key, or -1 when absent. */
	secondsOf(key: string): number {
		this.decode(key);
		const slot = this.find(this.w0, this.w1, this.w2);
		return slot < 0 ? -1 : this.slots[slot * STRIDE + 3];
	}

	/** Adds a key that is not present (evicting the oldest when full). Returns how many were evicted. */
	add(key: string, seconds: number): number {
		this.decode(key);
		const { w0, w1, w2 } = this;
		let evicted = 0;
		if (this.count === this.ringSize) {
			if (this.ringSize < this.capacity) this.allocate(Math.min(this.capacity, this.ringSize * 2));
			else {
				this.dropOldest();
				evicted = 1;
			}
		}
		this.insert(w0, w1, w2, Math.max(1, Math.floor(seconds)) >>> 0);
		return evicted;
	}

	private insert(w0: number, w1: number, w2: number, time: number): void {
		let i = w0 & this.mask;
		while (this.slots[i * STRIDE + 3] !== 0) i = (i + 1) & this.mask;
		KeyTable.write(this.slots, i * STRIDE, w0, w1, w2, time);
		KeyTable.write(this.ring, ((this.head + this.count) % this.ringSize) * STRIDE, w0, w1, w2, time);
		this.count++;
	}

	private static write(target: Uint32Array, at: number, w0: number, w1: number, w2: number, time: number): void {
		target[at] = w0;
		target[at + 1] = w1;
		target[at + 2] = w2;
		target[at + 3] = time;
	}

	/** Acceptance time of the oldest key, or undefined when empty. */
	oldestSeconds(): number | undefined {
		return this.count === 0 ? undefined : this.ring[this.head * STRIDE + 3];
	}

	dropOldest(): void {
		if (this.count === 0) return;
		const at = this.head * STRIDE;
		const slot = this.find(this.ring[at], this.ring[at + 1], this.ring[at + 2]);
		if (slot >= 0) this.removeSlot(slot);
		this.head = (this.head + 1) % this.ringSize;
		this.count--;
	}

	/** Linear-probing deletion without tombstones: later entries of the probe run move back. */
	private removeSlot(slot: number): void {
		const slots = this.slots;
		const mask = this.mask;
		let hole = slot;
		for (let j = (slot + 1) & mask; slots[j * STRIDE + 3] !== 0; j = (j + 1) & mask) {
			const home = slots[j * STRIDE] & mask;
			// Move j into the hole unless its home lies cyclically in (hole, j].
			const homeAfterHole = hole <= j ? home > hole && home <= j : home > hole || home <= j;
			if (!homeAfterHole) {
				slots.copyWithin(hole * STRIDE, j * STRIDE, j * STRIDE + STRIDE);
				hole = j;
			}
		}
		slots.fill(0, hole * STRIDE, hole * STRIDE + STRIDE);
	}

	/** All keys with their times, oldest first. */
	entries(): Array<[string, number]> {
		const out: Array<[string, number]> = [];
		for (let k = 0; k < this.count; k++) {
			const at = ((this.head + k) % this.ringSize) * STRIDE;
			out.push([encodeKeyWords(this.ring[at], this.ring[at + 1], this.ring[at + 2]), this.ring[at + 3]]);
		}
		return out;
	}
}
