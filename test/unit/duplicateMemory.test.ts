import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { ObservableObject } from 'n8n-workflow';

import { acceptInExecution, MEMORY_FIELD, MemorySession, readStoredCopy } from '../../nodes/shared/duplicateMemory/staticData';
import type { MemoryPlace } from '../../nodes/shared/duplicateMemory/staticData';
import { DuplicateMemory, hashDeliveryKey } from '../../nodes/shared/duplicateMemory/store';
import type { DuplicateLimits, PersistedMemory } from '../../nodes/shared/duplicateMemory/store';
import { executeContext, RecordingLogger, StaticDataRow } from './helpers/n8nStubs';

const HOUR = 3_600_000;
const limits = { maxAgeMs: 48 * HOUR, maxEntries: 1000 };
let counter = 0;
const uniqueWorkflow = () => `memory-wf-${++counter}-${Math.random()}`;

/** A copy as another memory would have written it, read back from static data. */
function copyOf(persisted: PersistedMemory) {
	return readStoredCopy(JSON.parse(JSON.stringify(persisted))).copy!;
}

/** Loads the module again: a new n8n process, with an empty in-process registry. */
function newProcess(): typeof import('../../nodes/shared/duplicateMemory/staticData') {
	let fresh: typeof import('../../nodes/shared/duplicateMemory/staticData') | undefined;
	jest.isolateModules(() => {
		fresh = require('../../nodes/shared/duplicateMemory/staticData');
	});
	return fresh!;
}

function place(staticData: IDataObject, workflowId: string, extra: Partial<MemoryPlace> = {}): MemoryPlace {
	return { staticData, workflowId, nodeName: 'Trigger', log: () => undefined, ...extra };
}

/** One webhook request as n8n runs it: static data loaded from the row, memory used, row saved if assigned. */
function request(
	row: StaticDataRow,
	workflowId: string,
	fn: (memory: MemorySession) => void,
	extra: Partial<MemoryPlace> & { limits?: DuplicateLimits } = {},
	module = { MemorySession },
) {
	const loaded = row.load('Trigger');
	const { limits: own, ...where } = extra;
	fn(new module.MemorySession(place(loaded.nodeData, workflowId, where), own ?? limits));
	return loaded;
}

/** The entries of a persisted memory, decoded here independently of the code under test: 16 + 10 characters each. */
function entriesOf(persisted: PersistedMemory | undefined): Array<[string, number]> {
	const packed = (persisted?.entries ?? []).join('');
	expect(packed.length % 26).toBe(0);
	return Array.from({ length: packed.length / 26 }, (_v, i) => [packed.slice(i * 26, i * 26 + 16), Number(packed.slice(i * 26 + 16, i * 26 + 26))]);
}
const keysOf = (persisted: PersistedMemory | undefined) => entriesOf(persisted).map(([key]) => key);
const savedKeys = (row: StaticDataRow) => keysOf(row.nodeData('Trigger')?.[MEMORY_FIELD] as PersistedMemory | undefined);

describe('DuplicateMemory', () => {
	it('forgets keys older than the window', () => {
		const t0 = Date.UTC(2026, 0, 1);
		const lim = { maxAgeMs: 2 * HOUR, maxEntries: 100 };
		const memory = new DuplicateMemory(lim);
		const key = hashDeliveryKey('a');
		expect(memory.claim(key, t0)).toBe('new');
		memory.accept(key, t0);
		expect(memory.claim(key, t0 + HOUR)).toBe('duplicate');
		expect(memory.claim(key, t0 + 2 * HOUR + 1000)).toBe('new');
		expect(memory.size).toBe(0);
	});

	it('evicts the oldest first when over the count, and the persisted form holds exactly the survivors', () => {
		const t0 = Date.UTC(2026, 0, 1);
		const lim = { maxAgeMs: 1000 * HOUR, maxEntries: 3 };
		const memory = new DuplicateMemory(lim);
		const keys = ['k1', 'k2', 'k3', 'k4'].map(hashDeliveryKey);
		keys.forEach((k, i) => memory.accept(k, t0 + i * 1000));
		expect(memory.size).toBe(3);
		expect(memory.claim(keys[0], t0 + 5000)).toBe('new');
		expect(keys.slice(1).map((k) => memory.claim(k, t0 + 5000))).toEqual(['duplicate', 'duplicate', 'duplicate']);
		expect(entriesOf(memory.toPersisted())).toEqual([[keys[1], t0 / 1000 + 1], [keys[2], t0 / 1000 + 2], [keys[3], t0 / 1000 + 3]]);
	});

	it('lowering the memory size keeps the newest keys', () => {
		const memory = new DuplicateMemory(limits);
		const keys = Array.from({ length: 10 }, (_v, i) => hashDeliveryKey(`k${i}`));
		keys.forEach((k, i) => memory.accept(k, 1_000_000 + i * 1000));
		memory.limits = { ...limits, maxEntries: 4 };
		memory.claim(hashDeliveryKey('other'), 1_100_000);
		expect(keysOf(memory.toPersisted())).toEqual(keys.slice(6));
	});

	it('reports a claim as in flight until it is accepted or released', () => {
		const memory = new DuplicateMemory(limits);
		const k = hashDeliveryKey('x');
		expect(memory.claim(k, Date.now())).toBe('new');
		expect(memory.claim(k, Date.now())).toBe('inFlight');
		memory.release(k);
		expect(memory.claim(k, Date.now())).toBe('new');
		memory.accept(k, Date.now());
		expect(memory.claim(k, Date.now())).toBe('duplicate');
	});

	it('keeps a persisted entry at about 26 bytes of JSON, in chunks of at most 100 entries', () => {
		const lim = { maxAgeMs: 1000 * HOUR, maxEntries: 10_000 };
		const memory = new DuplicateMemory(lim);
		for (let i = 0; i < 10_000; i++) memory.accept(hashDeliveryKey(`d${i}`), Date.now());
		expect(JSON.stringify(memory.toPersisted()).length / 10_000).toBeLessThan(27);
		expect(memory.toPersisted().entries.every((chunk) => chunk.length <= 100 * 26)).toBe(true);
		expect(entriesOf(memory.toPersisted())).toHaveLength(10_000);
	});

	it('merges a copy from another memory, takes nothing twice, and ignores its own copies', () => {
		const t0 = Date.UTC(2026, 0, 1);
		const a = new DuplicateMemory(limits);
		const b = new DuplicateMemory(limits);
		a.accept(hashDeliveryKey('from-a'), t0);
		b.accept(hashDeliveryKey('from-b'), t0 + 1000);
		expect(b.merge(copyOf(a.toPersisted()), t0 + 2000)).toBe(1);
		expect(b.merge(copyOf(a.toPersisted()), t0 + 2000)).toBe(0);
		expect(b.merge(copyOf(b.toPersisted()), t0 + 2000)).toBe(0);
		// merged oldest first: forgetting by count drops a's older key first
		b.limits = { ...limits, maxEntries: 2 };
		b.accept(hashDeliveryKey('third'), t0 + 3000);
		expect(keysOf(b.toPersisted())).toEqual([hashDeliveryKey('from-b'), hashDeliveryKey('third')]);
	});

	it('drops expired entries when merging a copy from another process', () => {
		const t0 = Date.UTC(2026, 0, 1);
		const old = new DuplicateMemory(limits);
		old.accept(hashDeliveryKey('stale'), t0);
		old.accept(hashDeliveryKey('fresh'), t0 + 47 * HOUR);
		const next = new DuplicateMemory(limits);
		next.merge(copyOf(old.toPersisted()), t0 + 49 * HOUR);
		expect(next.claim(hashDeliveryKey('stale'), t0 + 49 * HOUR)).toBe('new');
		expect(next.claim(hashDeliveryKey('fresh'), t0 + 49 * HOUR)).toBe('duplicate');
	});

	it("survives n8n wrapping static data in proxies for every workflow it builds (n8n-workflow's ObservableObject)", () => {
		// n8n builds a Workflow (ObservableObject.create over static data) for the webhook request and
		// again for its execution, over the same object. Nothing the memory reads back may be replaced.
		const memory = new DuplicateMemory(limits);
		const staticData: IDataObject = {};
		for (let i = 0; i < 50; i++) {
			const observed = ObservableObject.create(staticData, undefined, { ignoreEmptyOnFirstChild: true });
			(observed as IDataObject)[MEMORY_FIELD] = memory.toPersisted() as unknown as IDataObject;
			ObservableObject.create(staticData, undefined, { ignoreEmptyOnFirstChild: true });
			memory.accept(hashDeliveryKey(`k${i}`), Date.now());
		}
		const saved = JSON.parse(JSON.stringify(staticData))[MEMORY_FIELD];
		expect(keysOf(saved)).toHaveLength(50);
		expect(require('util').types.isProxy(memory.toPersisted().entries)).toBe(false);
	});
});

describe('MemorySession through n8n-like static data', () => {
	it('round-trips through JSON: a new process (empty registry) still sees the keys', () => {
		const row = new StaticDataRow();
		const wf = uniqueWorkflow();
		request(row, wf, (memory) => {
			const { verdict, hashedKey } = memory.claim('uplift:evt-1');
			expect(verdict).toBe('new');
			memory.accept(hashedKey);
		}).save();
		expect(savedKeys(row)).toEqual([hashDeliveryKey('uplift:evt-1')]);

		const restarted = newProcess();
		request(row, wf, (memory) => {
			expect(memory.claim('uplift:evt-1').verdict).toBe('duplicate');
			expect(memory.claim('uplift:evt-2').verdict).toBe('new');
		}, {}, restarted);
	});

	it('does not save when nothing changed (a repeat against an up-to-date row writes nothing)', () => {
		const row = new StaticDataRow();
		const wf = uniqueWorkflow();
		request(row, wf, (m) => m.accept(m.claim('k').hashedKey)).save();
		const savesBefore = row.saves;
		const repeat = request(row, wf, (m) => {
			expect(m.claim('k').verdict).toBe('duplicate');
			m.saveIfBehind();
		});
		expect(repeat.changed()).toBe(false);
		repeat.save();
		expect(row.saves).toBe(savesBefore);
	});

	it('a repeat against a row that lacks keys writes the union', () => {
		const row = new StaticDataRow();
		const wf = uniqueWorkflow();
		// accepted, but the write was not saved (n8n 2.40 when an execution starts)
		request(row, wf, (m) => m.accept(m.claim('k').hashedKey));
		expect(savedKeys(row)).toEqual([]);
		request(row, wf, (m) => {
			expect(m.claim('k').verdict).toBe('duplicate');
			m.saveIfBehind();
		}).save();
		expect(savedKeys(row)).toEqual([hashDeliveryKey('k')]);
	});

	it('100 concurrent copies of one key → exactly one accepted', () => {
		const row = new StaticDataRow();
		const wf = uniqueWorkflow();
		// All 100 requests load the row before any of them saves, as concurrent n8n requests do.
		const loads = Array.from({ length: 100 }, () => row.load('Trigger'));
		const verdicts = loads.map((loaded) => {
			const memory = new MemorySession(place(loaded.nodeData, wf), limits);
			const { verdict, hashedKey } = memory.claim('uplift:same');
			if (verdict === 'new') memory.accept(hashedKey);
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
			const memory = new MemorySession(place(loaded.nodeData, wf), limits);
			const { verdict, hashedKey } = memory.claim(`uplift:evt-${i}`);
			expect(verdict).toBe('new');
			memory.accept(hashedKey);
		});
		// Saves land in reverse order: the last write is the request that finished first.
		[...loads].reverse().forEach((l) => l.save());
		const saved = new Set(savedKeys(row));
		expect(saved.size).toBe(1000);
		for (let i = 0; i < 1000; i++) expect(saved.has(hashDeliveryKey(`uplift:evt-${i}`))).toBe(true);

		// and a process restarted on that row recognises every one of them
		const restarted = newProcess();
		request(row, wf, (m) => {
			for (let i = 0; i < 1000; i++) expect(m.claim(`uplift:evt-${i}`).verdict).toBe('duplicate');
		}, {}, restarted);
	});

	it('a released claim leaves no key, so the retry is accepted', () => {
		const row = new StaticDataRow();
		const wf = uniqueWorkflow();
		request(row, wf, (m) => m.release(m.claim('uphance:x').hashedKey)).save();
		expect(savedKeys(row)).not.toContain(hashDeliveryKey('uphance:x'));
		request(row, wf, (m) => expect(m.claim('uphance:x').verdict).toBe('new'));
	});

	it('separates memories by workflow and node', () => {
		const row = new StaticDataRow();
		const wf = uniqueWorkflow();
		request(row, wf, (m) => m.accept(m.claim('k').hashedKey)).save();
		expect(new MemorySession(place({}, uniqueWorkflow()), limits).claim('k').verdict).toBe('new');
		expect(new MemorySession(place({}, wf, { nodeName: 'Other Trigger' }), limits).claim('k').verdict).toBe('new');
	});

	it('logs an unreadable stored value, keeps working, and replaces it on the next write', () => {
		const logged: string[] = [];
		const staticData: IDataObject = { [MEMORY_FIELD]: 'garbage' };
		const memory = new MemorySession(place(staticData, uniqueWorkflow(), { log: (m) => logged.push(m) }), limits);
		expect(logged.join('\n')).toMatch(/duplicate memory in static data is unreadable \("garbage"\)/);
		const { verdict, hashedKey } = memory.claim('k');
		expect(verdict).toBe('new');
		memory.accept(hashedKey);
		expect(keysOf(staticData[MEMORY_FIELD] as unknown as PersistedMemory)).toEqual([hashedKey]);
	});

	it('skips malformed entries of a readable copy, keeps the rest, and logs how many it left out', () => {
		const good = hashDeliveryKey('good');
		const logged: string[] = [];
		const log = (m: string) => logged.push(m);
		const entry = (key: string, at: string) => key + at;
		const read = readStoredCopy({ format: 1, writer: 'w', revision: 3, entries: [entry(good, '1800000000') + entry('short!?*$%^&*()_', '0000000001') + entry(hashDeliveryKey('x'), 'soon-soon!'), 7] }, log);
		expect(read.copy!.entries).toEqual([[good, 1_800_000_000]]);
		const oneBad = readStoredCopy({ format: 1, writer: 'w', revision: 1, entries: [42, entry(good, '1800000000')] }, log);
		expect(oneBad.copy!.entries).toEqual([[good, 1_800_000_000]]);
		expect(logged).toEqual([
			'The duplicate memory in static data has 3 unreadable entries; left out.',
			'The duplicate memory in static data has 1 unreadable entry; left out.',
		]);
		// another format (an older, never published one) is unreadable as a whole and replaced on the next save
		expect(readStoredCopy({ v: 1, w: 'x', r: 1, c: [] }).problem).toMatch(/^unreadable/);
	});

	it('forgets the memory of a workflow node that has had no deliveries for longer than its window', () => {
		const fresh = newProcess();
		const t0 = Date.UTC(2026, 0, 1);
		const lim = { maxAgeMs: 2 * HOUR, maxEntries: 10 };
		const open = (wf: string, at: number) => new fresh.MemorySession(place({}, wf, { now: () => at }), lim);
		for (const wf of ['a', 'b', 'c']) {
			const m = open(wf, t0);
			m.accept(m.claim('k').hashedKey);
		}
		open('b', t0).claim('still in flight');
		expect(fresh.memoriesInProcess()).toBe(3);
		// three hours later only 'c' receives a delivery: 'a' is forgotten, 'b' is kept for its claim
		open('c', t0 + 3 * HOUR);
		expect(fresh.memoriesInProcess()).toBe(2);
		expect(open('b', t0 + 3 * HOUR).claim('still in flight').verdict).toBe('inFlight');
		expect(open('a', t0 + 3 * HOUR).claim('k').verdict).toBe('new');
	});
});

describe('keepSinceMs: keys catch-up may list again outlive the window', () => {
	const t0 = Date.UTC(2026, 0, 1);
	const k = (name: string) => hashDeliveryKey(name);

	it('keys accepted at or after keepSinceMs are held beyond maxAgeMs; older ones are forgotten by age', () => {
		const lim = { maxAgeMs: 2 * HOUR, maxEntries: 100, keepSinceMs: t0 + 30 * 60_000 };
		const memory = new DuplicateMemory(lim);
		memory.accept(k('before'), t0);
		memory.accept(k('after'), t0 + HOUR);
		memory.accept(k('exactly'), t0 + 30 * 60_000);
		const later = t0 + 10 * HOUR;
		expect(memory.holds(k('after'), later)).toBe(true);
		expect(memory.holds(k('exactly'), later)).toBe(true);
		expect(memory.holds(k('before'), later)).toBe(false);
		// forgetting (run by claim) drops only the old one, from the persisted form too
		expect(memory.claim(k('after'), later)).toBe('duplicate');
		expect(new Set(keysOf(memory.toPersisted()))).toEqual(new Set([k('after'), k('exactly')]));
		// the control: without keepSinceMs the same keys are gone
		memory.limits = { maxAgeMs: 2 * HOUR, maxEntries: 100 };
		expect(memory.claim(k('after'), later)).toBe('new');
		expect(keysOf(memory.toPersisted())).toEqual([]);
	});

	it('merging a copy keeps its entries from keepSinceMs on, even past the window', () => {
		const other = new DuplicateMemory({ maxAgeMs: 1000 * HOUR, maxEntries: 100 });
		other.accept(k('old'), t0);
		other.accept(k('kept'), t0 + HOUR);
		const later = t0 + 10 * HOUR;
		const memory = new DuplicateMemory({ maxAgeMs: 2 * HOUR, maxEntries: 100, keepSinceMs: t0 + HOUR });
		expect(memory.merge(copyOf(other.toPersisted()), later)).toBe(1);
		expect(memory.claim(k('kept'), later)).toBe('duplicate');
		expect(memory.claim(k('old'), later)).toBe('new');
		const plain = new DuplicateMemory({ maxAgeMs: 2 * HOUR, maxEntries: 100 });
		expect(plain.merge(copyOf(other.toPersisted()), later)).toBe(0);
	});

	it('the count limit still applies to kept keys, oldest first', () => {
		const memory = new DuplicateMemory({ maxAgeMs: 2 * HOUR, maxEntries: 2, keepSinceMs: t0 });
		['a', 'b', 'c'].forEach((name, i) => memory.accept(k(name), t0 + i * 1000));
		expect(memory.size).toBe(2);
		expect(keysOf(memory.toPersisted())).toEqual([k('b'), k('c')]);
		expect(memory.holds(k('a'), t0 + 10 * HOUR)).toBe(false);
		expect(memory.holds(k('c'), t0 + 10 * HOUR)).toBe(true);
	});

	it('a MemorySession takes keepSinceMs from the catch-up cursor in static data (minus the overlap)', () => {
		const wf = uniqueWorkflow();
		const since = t0 + 5 * HOUR;
		const lim = { maxAgeMs: 2 * HOUR, maxEntries: 100 };
		const at = (ms: number, staticData: IDataObject) => new MemorySession(place(staticData, wf, { now: () => ms }), lim);
		const staticData: IDataObject = { catchUp: { format: 1, since: new Date(since).toISOString() } };
		const first = at(since - 4 * 60_000, staticData); // within the 5-minute overlap before the cursor
		first.accept(first.claim('near-cursor').hashedKey);
		const early = at(since - 10 * 60_000, staticData);
		early.accept(early.claim('before-overlap').hashedKey);
		// n8n was down for a day: the window is long past, the cursor is not
		const back = at(since + 24 * HOUR, staticData);
		expect(back.claim('near-cursor').verdict).toBe('duplicate');
		expect(back.claim('before-overlap').verdict).toBe('new');
	});

	it("with catchUpReachMs, keys are kept as far back as catch-up's listing reaches, whatever the Duplicate Window (Uplift: Duplicate Window 1 h, Processing Allowance 24 h)", () => {
		const wf = uniqueWorkflow();
		const since = t0 + 30 * HOUR;
		const lim = { maxAgeMs: HOUR, maxEntries: 100, catchUpReachMs: 24 * HOUR };
		const at = (ms: number, staticData: IDataObject) => new MemorySession(place(staticData, wf, { now: () => ms }), lim);
		const staticData: IDataObject = { catchUp: { format: 1, since: new Date(since).toISOString() } };
		const webhook = at(since - 20 * HOUR, staticData); // a capture delivered 20 h before the cursor
		webhook.accept(webhook.claim('uplift:capture:c1').hashedKey);
		const older = at(since - 26 * HOUR, staticData); // beyond the listing's reach
		older.accept(older.claim('uplift:capture:c0').hashedKey);
		// the listing reaches back cursor - 5 min - 24 h: c1 is still held two days later, c0 is not
		const later = at(since + 48 * HOUR, staticData);
		expect(later.claim('uplift:capture:c1').verdict).toBe('duplicate');
		expect(later.claim('uplift:capture:c0').verdict).toBe('new');
	});

	it('a MemorySession over static data holding null for the memory (the catch-up timer snapshot) starts empty', () => {
		const logged: string[] = [];
		const staticData: IDataObject = { [MEMORY_FIELD]: null as unknown as IDataObject };
		const memory = new MemorySession(place(staticData, uniqueWorkflow(), { log: (m) => logged.push(m) }), limits);
		expect(memory.claim('k').verdict).toBe('new');
		expect(logged).toEqual([]);
	});
});

describe('acceptInExecution', () => {
	const NODE = 'Trigger';
	const sinceIso = (ms: number) => new Date(ms).toISOString();
	const now = Date.now();
	const webhookItem = (key: string) => ({ json: { deliveryKey: key, receivedAt: new Date(now).toISOString(), source: 'webhook' } });
	const catchUpItem = (key: string, cursorMs: number) => ({
		json: { deliveryKey: key, receivedAt: new Date(now).toISOString(), source: 'catchUp', catchUp: { runAt: new Date(now).toISOString(), since: sinceIso(cursorMs) } },
	});
	const bookkeepingItem = (cursorMs: number) => ({ json: { source: 'catchUp', catchUp: { runAt: new Date(now).toISOString(), since: sinceIso(cursorMs), bookkeeping: true } } });

	async function execution(row: StaticDataRow, workflowId: string, items: INodeExecutionData[], mode: 'webhook' | 'manual' = 'webhook') {
		const logger = new RecordingLogger();
		const { ctx, finish } = executeContext({ nodeName: NODE, workflowId, staticData: row, logger, mode }, items);
		const kept = await acceptInExecution(ctx as never, items, limits);
		finish();
		return { kept, logger };
	}
	/** a webhook request (or another execution) of this process accepted the key */
	const acceptedElsewhere = (workflowId: string, key: string) => {
		const s = new MemorySession(place({}, workflowId), limits);
		s.accept(hashDeliveryKey(key));
	};

	it('drops a catch-up item whose key is already held and logs it; keeps new catch-up items and every webhook item', async () => {
		const row = new StaticDataRow();
		const wf = uniqueWorkflow();
		acceptedElsewhere(wf, 'uphance:product:1:t1');
		const items = [
			catchUpItem('uphance:product:1:t1', now - HOUR),
			catchUpItem('uphance:product:2:t2', now - HOUR),
			webhookItem('uphance:product:1:t1'),
			{ json: { unrelated: true } },
		];
		const { kept, logger } = await execution(row, wf, items);
		expect(kept).toEqual([1, 2, 3]);
		expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
			'Catch-up found a change that was delivered meanwhile (uphance:product:1:t1); it is left out of this execution.',
		]);
		// the kept ones' keys are saved with the execution
		expect(new Set(savedKeys(row))).toEqual(new Set(['uphance:product:1:t1', 'uphance:product:2:t2'].map(hashDeliveryKey)));
		// and a second execution of the same catch-up item drops it
		expect((await execution(row, wf, [catchUpItem('uphance:product:2:t2', now - HOUR)])).kept).toEqual([]);
	});

	it('an execution that only stores the cursor (a bookkeeping item, a change delivered meanwhile) saves the memory with every key this process holds, not the copy it was created with (issue 19, finding 8)', async () => {
		for (const item of [bookkeepingItem(now), catchUpItem('held-meanwhile', now)]) {
			const row = new StaticDataRow();
			const wf = uniqueWorkflow();
			// the execution's static data was loaded before these keys were saved (n8n: at its creation)
			const execution = executeContext({ nodeName: NODE, workflowId: wf, staticData: row, logger: new RecordingLogger() }, [item]);
			acceptedElsewhere(wf, 'held-meanwhile');
			acceptedElsewhere(wf, 'saved-since');
			expect(await acceptInExecution(execution.ctx as never, [item], limits)).toEqual([]);
			execution.finish();
			expect(new Set(savedKeys(row))).toEqual(new Set(['held-meanwhile', 'saved-since'].map(hashDeliveryKey)));
		}
	});

	it("stores the cursor: the largest of the items' and the stored one, never moving back", async () => {
		const row = new StaticDataRow();
		const wf = uniqueWorkflow();
		const s0 = now - 2 * HOUR;
		row.json = JSON.stringify({ [`node:${NODE}`]: { catchUp: { format: 1, since: sinceIso(s0) } } });
		await execution(row, wf, [catchUpItem('a', s0 - HOUR), catchUpItem('b', s0 + HOUR), catchUpItem('c', s0 + 30 * 60_000)]);
		expect(row.nodeData(NODE)?.catchUp).toEqual({ format: 1, since: sinceIso(s0 + HOUR) });
		await execution(row, wf, [catchUpItem('d', s0)]);
		expect(row.nodeData(NODE)?.catchUp).toEqual({ format: 1, since: sinceIso(s0 + HOUR) });
		// a held (dropped) item's cursor counts too: the change was handled
		acceptedElsewhere(wf, 'e');
		const { kept } = await execution(row, wf, [catchUpItem('e', s0 + 2 * HOUR)]);
		expect(kept).toEqual([]);
		expect(row.nodeData(NODE)?.catchUp).toEqual({ format: 1, since: sinceIso(s0 + 2 * HOUR) });
	});

	it('a bookkeeping item is dropped, stores its cursor and no key', async () => {
		const row = new StaticDataRow();
		const wf = uniqueWorkflow();
		const { kept } = await execution(row, wf, [bookkeepingItem(now - HOUR)]);
		expect(kept).toEqual([]);
		expect(row.nodeData(NODE)).toEqual({ catchUp: { format: 1, since: sinceIso(now - HOUR) } });
	});

	it('webhook items alone store no cursor of their own', async () => {
		const row = new StaticDataRow();
		const wf = uniqueWorkflow();
		expect((await execution(row, wf, [webhookItem('w1')])).kept).toEqual([0]);
		expect(row.nodeData(NODE)?.catchUp).toBeUndefined();
		expect(savedKeys(row)).toEqual([hashDeliveryKey('w1')]);
	});

	it('manual mode returns every index and touches neither the memory nor static data', async () => {
		const row = new StaticDataRow();
		const wf = uniqueWorkflow();
		acceptedElsewhere(wf, 'held');
		const items = [catchUpItem('held', now - HOUR), catchUpItem('fresh', now - HOUR), bookkeepingItem(now), webhookItem('w')];
		const { kept } = await execution(row, wf, items, 'manual');
		expect(kept).toEqual([0, 1, 2, 3]);
		expect(row.saves).toBe(0);
		expect(row.json).toBe('{}');
		expect(new MemorySession(place({}, wf), limits).claim('fresh').verdict).toBe('new');
		expect(new MemorySession(place({}, wf), limits).claim('w').verdict).toBe('new');
	});
});

describe('MemorySession.admitOnce: the webhook path admits a delivery at most once', () => {
	const session = (workflowId: string, staticData: IDataObject = {}) => new MemorySession(place(staticData, workflowId), limits);
	const item = (value: string) => async () => ({ ok: true as const, value: { value, aliases: ['alias:' + value] } });

	it('a new key runs prepare, then holds the key and its aliases, and saves them to static data', async () => {
		const wf = uniqueWorkflow();
		const staticData: IDataObject = {};
		const admission = await session(wf, staticData).admitOnce('k1', Date.now(), item('a'));
		expect(admission).toEqual({ admitted: true, value: 'a' });
		const again = session(wf);
		expect(again.holds(hashDeliveryKey('k1'))).toBe(true);
		expect(again.holds(hashDeliveryKey('alias:a'))).toBe(true);
		expect(keysOf(staticData[MEMORY_FIELD] as PersistedMemory)).toEqual(
			expect.arrayContaining([hashDeliveryKey('k1'), hashDeliveryKey('alias:a')]),
		);
	});

	it('a key already accepted is a duplicate, and prepare does not run', async () => {
		const wf = uniqueWorkflow();
		await session(wf).admitOnce('k1', Date.now(), item('a'));
		const prepare = jest.fn(item('b'));
		expect(await session(wf).admitOnce('k1', Date.now(), prepare)).toEqual({ admitted: false, why: 'duplicate' });
		expect(prepare).not.toHaveBeenCalled();
	});

	it('a refusal or a throw in prepare releases the key, so the retry is admitted', async () => {
		const wf = uniqueWorkflow();
		const refusal = { status: 502, message: 'the API failed' };
		expect(await session(wf).admitOnce('k1', Date.now(), async () => ({ ok: false as const, refusal }))).toEqual({
			admitted: false,
			why: 'refused',
			refusal,
		});
		await expect(
			session(wf).admitOnce('k1', Date.now(), async () => {
				throw new Error('boom');
			}),
		).rejects.toThrow('boom');
		expect(session(wf).holds(hashDeliveryKey('k1'))).toBe(false);
		expect(await session(wf).admitOnce('k1', Date.now(), item('a'))).toEqual({ admitted: true, value: 'a' });
	});

	it('a copy arriving while another request prepares waits: a duplicate if that request was admitted, notAccepted if it was refused', async () => {
		for (const outcome of ['admitted', 'refused'] as const) {
			const wf = uniqueWorkflow();
			let finish: () => void = () => undefined;
			const slow = session(wf).admitOnce('k1', Date.now(), async () => {
				await new Promise<void>((resolve) => (finish = resolve));
				return outcome === 'admitted'
					? { ok: true as const, value: { value: 'a', aliases: [] } }
					: { ok: false as const, refusal: { status: 502, message: 'failed' } };
			});
			const copy = session(wf).admitOnce('k1', Date.now(), item('b'));
			finish();
			await slow;
			expect(await copy).toEqual({ admitted: false, why: outcome === 'admitted' ? 'duplicate' : 'notAccepted' });
		}
	});
});
