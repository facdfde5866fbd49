import { hashDeliveryKey } from '../../nodes/shared/DeliveryLedger';
import { encodeKeyWords, KeyTable } from '../../nodes/shared/KeyTable';

describe('KeyTable', () => {
	it('round-trips every key through its three words', () => {
		const table = new KeyTable(64);
		const keys = Array.from({ length: 64 }, (_v, i) => hashDeliveryKey(`k${i}`));
		keys.forEach((k, i) => table.add(k, 1000 + i));
		expect(table.entries()).toEqual(keys.map((k, i) => [k, 1000 + i]));
		expect(encodeKeyWords(0, 0, 0)).toBe('AAAAAAAAAAAAAAAA');
		expect(encodeKeyWords(0xffffffff, 0xffffffff, 0xffffffff)).toBe('________________');
	});

	it('rejects strings that are not ledger keys', () => {
		const table = new KeyTable(4);
		expect(() => table.secondsOf('short')).toThrow();
		expect(() => table.secondsOf('not base64url!!!')).toThrow();
	});

	// 37: a tiny table makes probe runs long, so backward-shift deletion is exercised a lot.
	// 300: the arrays start smaller and grow (64 → 128 → 256 → 300) while entries are live.
	it.each([37, 300])('behaves like a Map + FIFO under 20,000 random operations (capacity %i)', (cap) => {
		const table = new KeyTable(cap);
		const model = new Map<string, number>();
		const order: string[] = [];
		let seed = 12345;
		const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
		const universe = Array.from({ length: cap * 3 }, (_v, i) => hashDeliveryKey(`u${i}`));
		for (let step = 1; step <= 20000; step++) {
			const key = universe[Math.floor(random() * universe.length)];
			const r = random();
			if (r < 0.6) {
				if (!model.has(key)) {
					const evicted = table.add(key, step);
					expect(evicted).toBe(model.size === cap ? 1 : 0);
					if (model.size === cap) model.delete(order.shift()!);
					model.set(key, step);
					order.push(key);
				}
			} else if (r < 0.7) {
				table.dropOldest();
				if (order.length > 0) model.delete(order.shift()!);
			}
			expect(table.secondsOf(key)).toBe(model.get(key) ?? -1);
			expect(table.size).toBe(model.size);
		}
		expect(table.entries()).toEqual(order.map((k) => [k, model.get(k)]));
		for (const k of universe) expect(table.secondsOf(k)).toBe(model.get(k) ?? -1);
	});
});
