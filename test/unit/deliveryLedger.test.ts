import type { IDataObject } from 'n8n-workflow';

import { DeliveryLedger, ENTRY_CHARS, hashDeliveryKey, LEDGER_FIELD, LedgerState } from '../../nodes/shared/DeliveryLedger';
import type { PersistedLedger } from '../../nodes/shared/DeliveryLedger';
import { StaticDataRow } from './helpers/n8nStubs';

const HOUR = 3_600_000;
const limits = { maxAgeMs: 48 * HOUR, maxEntries: 1000 };
let counter = 0;
const uniqueWorkflow = () => `ledger-wf-${++counter}-${Math.random()}`;

/** One request as n8n runs it: static data loaded from the row, ledger used, row saved if assigned. */
function request(row: StaticDataRow, workflowId: string, fn: (ledger: DeliveryLedger) => void, now = Date.now, lim = limits) {
	const loaded = row.load('Trigger');
	const ledger = new DeliveryLedger(loaded.nodeData, workflowId, 'Trigger', lim, now);
	fn(ledger);
	return loaded;
}

describe('LedgerState', () => {
	it('forgets keys older than the window', () => {
		const state = new LedgerState('w1');
		const t0 = Date.UTC(2026, 0, 1);
		const lim = { maxAgeMs: 2 * HOUR, maxEntries: 100 };
		state.commit('a'.repeat(16), t0, lim);
		expect(state.check('a'.repeat(16), t0 + HOUR, lim)).toBe('duplicate');
		expect(state.check('a'.repeat(16), t0 + 2 * HOUR + 1000, lim)).toBe('new');
		expect(state.size).toBe(0);
	});

	it('evicts the oldest first when over the cap', () => {
		const state = new LedgerState('w2');
		const t0 = Date.UTC(2026, 0, 1);
		const lim = { maxAgeMs: 1000 * HOUR, maxEntries: 3 };
		const keys = ['k1', 'k2', 'k3', 'k4'].map(hashDeliveryKey);
		keys.forEach((k, i) => state.commit(k, t0 + i * 1000, lim));
		expect(state.size).toBe(3);
		expect(state.check(keys[0], t0 + 5000, lim)).toBe('new');
		expect(keys.slice(1).map((k) => state.check(k, t0 + 5000, lim))).toEqual(['duplicate', 'duplicate', 'duplicate']);
		// the persisted form holds exactly the survivors, oldest first
		expect(state.persisted.c.join('')).toBe(
			keys
				.slice(1)
				.map((k) => k + Math.floor((t0 + keys.indexOf(k) * 1000) / 1000).toString(36).padStart(7, '0'))
				.join(''),
		);
	});

	it('keeps each entry at 23 characters of persisted data', () => {
		const state = new LedgerState('w3');
		const lim = { maxAgeMs: 1000 * HOUR, maxEntries: 5000 };
		for (let i = 0; i < 2000; i++) state.commit(hashDeliveryKey(`d${i}`), Date.now(), lim);
		const persisted = JSON.stringify(state.persisted);
		expect(ENTRY_CHARS).toBe(23);
		expect(persisted.length / 2000).toBeLessThan(24);
		expect(state.persisted.c.every((chunk) => chunk.length % ENTRY_CHARS === 0)).toBe(true);
	});

	it('reports a reservation as in flight until it is committed or released', () => {
		const state = new LedgerState('w4');
		const k = hashDeliveryKey('x');
		state.reserve(k);
		expect(state.check(k, Date.now(), limits)).toBe('inFlight');
		state.release(k);
		expect(state.check(k, Date.now(), limits)).toBe('new');
		state.reserve(k);
		state.commit(k, Date.now(), limits);
		expect(state.check(k, Date.now(), limits)).toBe('duplicate');
	});
});

describe('DeliveryLedger through n8n-like static data', () => {
	it('round-trips through JSON: a new process (fresh in-memory state) still sees the keys', () => {
		const row = new StaticDataRow();
		const wf = uniqueWorkflow();
		const first = request(row, wf, (ledger) => {
			const { verdict, hashedKey } = ledger.claim('uplift:evt-1');
			expect(verdict).toBe('new');
			ledger.accept(hashedKey);
		});
		first.save();
		const saved = row.nodeData('Trigger')?.[LEDGER_FIELD] as PersistedLedger;
		expect(saved.c.join('')).toContain(hashDeliveryKey('uplift:evt-1'));

		// Simulate a restart: a new process has its own LedgerState but reads the same row.
		const restarted = new LedgerState('after-restart');
		const loaded = JSON.parse(row.json)['node:Trigger'][LEDGER_FIELD];
		expect(restarted.absorb(loaded, Date.now(), limits)).toBe(true);
		expect(restarted.check(hashDeliveryKey('uplift:evt-1'), Date.now(), limits)).toBe('duplicate');
		expect(restarted.check(hashDeliveryKey('uplift:evt-2'), Date.now(), limits)).toBe('new');
	});

	it('drops expired entries when absorbing a copy from another process', () => {
		const old = new LedgerState('old-process');
		const t0 = Date.UTC(2026, 0, 1);
		old.commit(hashDeliveryKey('stale'), t0, limits);
		old.commit(hashDeliveryKey('fresh'), t0 + 47 * HOUR, limits);
		const copy = JSON.parse(JSON.stringify(old.persisted));
		const next = new LedgerState('new-process');
		next.absorb(copy, t0 + 49 * HOUR, limits);
		expect(next.check(hashDeliveryKey('stale'), t0 + 49 * HOUR, limits)).toBe('new');
		expect(next.check(hashDeliveryKey('fresh'), t0 + 49 * HOUR, limits)).toBe('duplicate');
	});

	it('does not save when nothing changed (a repeat against an up-to-date row writes nothing)', () => {
		const row = new StaticDataRow();
		const wf = uniqueWorkflow();
		request(row, wf, (l) => l.accept(l.claim('k').hashedKey)).save();
		const savesBefore = row.saves;
		const repeat = request(row, wf, (l) => {
			expect(l.claim('k').verdict).toBe('duplicate');
			l.save();
		});
		expect(repeat.changed()).toBe(false);
		repeat.save();
		expect(row.saves).toBe(savesBefore);
	});

	it('100 concurrent copies of one key → exactly one accepted', () => {
		const row = new StaticDataRow();
		const wf = uniqueWorkflow();
		// All 100 requests load the row before any of them saves, as concurrent n8n requests do.
		const loads = Array.from({ length: 100 }, () => row.load('Trigger'));
		const verdicts = loads.map((loaded) => {
			const ledger = new DeliveryLedger(loaded.nodeData, wf, 'Trigger', limits);
			const { verdict, hashedKey } = ledger.claim('uplift:same');
			if (verdict === 'new') ledger.accept(hashedKey);
			return verdict;
		});
		loads.forEach((l) => l.save());
		expect(verdicts.filter((v) => v === 'new')).toHaveLength(1);
		expect(verdicts.filter((v) => v === 'duplicate')).toHaveLength(99);
	});

	it('1,000 concurrent distinct keys → all 1,000 kept in the saved row, whatever the save order', () => {
		const row = new StaticDataRow();
		const wf = uniqueWorkflow();
		const loads = Array.from({ length: 1000 }, () => row.load('Trigger'));
		loads.forEach((loaded, i) => {
			const ledger = new DeliveryLedger(loaded.nodeData, wf, 'Trigger', limits);
			const { verdict, hashedKey } = ledger.claim(`uplift:evt-${i}`);
			expect(verdict).toBe('new');
			ledger.accept(hashedKey);
		});
		// Saves land in reverse order: the last write is the request that finished first.
		[...loads].reverse().forEach((l) => l.save());
		const saved = row.nodeData('Trigger')?.[LEDGER_FIELD] as PersistedLedger;
		const packed = saved.c.join('');
		expect(packed.length / ENTRY_CHARS).toBe(1000);
		for (let i = 0; i < 1000; i++) expect(packed).toContain(hashDeliveryKey(`uplift:evt-${i}`));

		// and a process restarted on that row recognises every one of them
		const restarted = new LedgerState('restarted');
		restarted.absorb(JSON.parse(row.json)['node:Trigger'][LEDGER_FIELD], Date.now(), limits);
		expect(restarted.size).toBe(1000);
	});

	it('a released claim leaves no key, so the retry is accepted', () => {
		const row = new StaticDataRow();
		const wf = uniqueWorkflow();
		request(row, wf, (l) => l.abandon(l.claim('uphance:x').hashedKey)).save();
		expect((row.nodeData('Trigger')?.[LEDGER_FIELD] as PersistedLedger | undefined)?.c.join('') ?? '').not.toContain(hashDeliveryKey('uphance:x'));
		request(row, wf, (l) => expect(l.claim('uphance:x').verdict).toBe('new'));
	});

	it('separates ledgers by workflow and node', () => {
		const row = new StaticDataRow();
		const wfA = uniqueWorkflow();
		const wfB = uniqueWorkflow();
		request(row, wfA, (l) => l.accept(l.claim('k').hashedKey)).save();
		const other = new DeliveryLedger({} as IDataObject, wfB, 'Trigger', limits);
		expect(other.claim('k').verdict).toBe('new');
	});

	it('ignores a corrupt persisted value instead of failing the delivery', () => {
		const ledger = new DeliveryLedger({ [LEDGER_FIELD]: 'garbage' } as IDataObject, uniqueWorkflow(), 'Trigger', limits);
		expect(ledger.claim('k').verdict).toBe('new');
		const ledger2 = new DeliveryLedger({ [LEDGER_FIELD]: { v: 1, w: 'x', r: 1, c: [42] } } as unknown as IDataObject, uniqueWorkflow(), 'Trigger', limits);
		expect(ledger2.claim('k').verdict).toBe('new');
	});
});
