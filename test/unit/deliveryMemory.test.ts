import type { IDataObject } from 'n8n-workflow';
import { ObservableObject } from 'n8n-workflow';

import { DeliveryMemory, hashDeliveryKey } from '../../nodes/shared/deliveryMemory';
import type { PersistedMemory, StoredCopy } from '../../nodes/shared/deliveryMemory';
import { MEMORY_FIELD, readStoredCopy, StaticDataMemory } from '../../nodes/shared/staticDataMemory';
import type { MemoryScope } from '../../nodes/shared/staticDataMemory';
import { StaticDataRow } from './helpers/n8nStubs';

const HOUR = 3_600_000;
const limits = { maxAgeMs: 48 * HOUR, maxEntries: 1000 };
let counter = 0;
const uniqueWorkflow = () => `memory-wf-${++counter}-${Math.random()}`;

/** A copy as another memory would have written it. */
function copyOf(persisted: PersistedMemory): StoredCopy {
	return readStoredCopy(JSON.parse(JSON.stringify(persisted))).copy!;
}

/** Loads the module again: a new n8n process, with an empty in-process registry. */
function newProcess(): typeof import('../../nodes/shared/staticDataMemory') {
	let fresh: typeof import('../../nodes/shared/staticDataMemory') | undefined;
	jest.isolateModules(() => {
		fresh = require('../../nodes/shared/staticDataMemory');
	});
	return fresh!;
}

function scope(staticData: IDataObject, workflowId: string, extra: Partial<MemoryScope> = {}): MemoryScope {
	return { staticData, workflowId, nodeName: 'Trigger', limits, log: () => undefined, ...extra };
}

/** One webhook request as n8n runs it: static data loaded from the row, memory used, row saved if assigned. */
function request(row: StaticDataRow, workflowId: string, fn: (memory: StaticDataMemory) => void, extra: Partial<MemoryScope> = {}, module = { StaticDataMemory }) {
	const loaded = row.load('Trigger');
	fn(new module.StaticDataMemory(scope(loaded.nodeData, workflowId, extra)));
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

describe('DeliveryMemory', () => {
	it('forgets keys older than the window', () => {
		const memory = new DeliveryMemory();
		const t0 = Date.UTC(2026, 0, 1);
		const lim = { maxAgeMs: 2 * HOUR, maxEntries: 100 };
		const key = hashDeliveryKey('a');
		expect(memory.claim(key, t0, lim)).toBe('new');
		memory.accept(key, t0, lim);
		expect(memory.claim(key, t0 + HOUR, lim)).toBe('duplicate');
		expect(memory.claim(key, t0 + 2 * HOUR + 1000, lim)).toBe('new');
		expect(memory.size).toBe(0);
	});

	it('evicts the oldest first when over the count, and the persisted form holds exactly the survivors', () => {
		const memory = new DeliveryMemory();
		const t0 = Date.UTC(2026, 0, 1);
		const lim = { maxAgeMs: 1000 * HOUR, maxEntries: 3 };
		const keys = ['k1', 'k2', 'k3', 'k4'].map(hashDeliveryKey);
		keys.forEach((k, i) => memory.accept(k, t0 + i * 1000, lim));
		expect(memory.size).toBe(3);
		expect(memory.claim(keys[0], t0 + 5000, lim)).toBe('new');
		expect(keys.slice(1).map((k) => memory.claim(k, t0 + 5000, lim))).toEqual(['duplicate', 'duplicate', 'duplicate']);
		expect(entriesOf(memory.toPersisted())).toEqual([[keys[1], t0 / 1000 + 1], [keys[2], t0 / 1000 + 2], [keys[3], t0 / 1000 + 3]]);
	});

	it('lowering the memory size keeps the newest keys', () => {
		const memory = new DeliveryMemory();
		const keys = Array.from({ length: 10 }, (_v, i) => hashDeliveryKey(`k${i}`));
		keys.forEach((k, i) => memory.accept(k, 1_000_000 + i * 1000, limits));
		memory.claim(hashDeliveryKey('other'), 1_100_000, { ...limits, maxEntries: 4 });
		expect(keysOf(memory.toPersisted())).toEqual(keys.slice(6));
	});

	it('reports a claim as in flight until it is accepted or released', () => {
		const memory = new DeliveryMemory();
		const k = hashDeliveryKey('x');
		expect(memory.claim(k, Date.now(), limits)).toBe('new');
		expect(memory.claim(k, Date.now(), limits)).toBe('inFlight');
		memory.release(k);
		expect(memory.claim(k, Date.now(), limits)).toBe('new');
		memory.accept(k, Date.now(), limits);
		expect(memory.claim(k, Date.now(), limits)).toBe('duplicate');
	});

	it('keeps a persisted entry at about 26 bytes of JSON, in chunks of at most 100 entries', () => {
		const memory = new DeliveryMemory();
		const lim = { maxAgeMs: 1000 * HOUR, maxEntries: 10_000 };
		for (let i = 0; i < 10_000; i++) memory.accept(hashDeliveryKey(`d${i}`), Date.now(), lim);
		expect(JSON.stringify(memory.toPersisted()).length / 10_000).toBeLessThan(27);
		expect(memory.toPersisted().entries.every((chunk) => chunk.length <= 100 * 26)).toBe(true);
		expect(entriesOf(memory.toPersisted())).toHaveLength(10_000);
	});

	it('merges a copy from another memory once, and ignores its own copies', () => {
		const t0 = Date.UTC(2026, 0, 1);
		const a = new DeliveryMemory();
		const b = new DeliveryMemory();
		a.accept(hashDeliveryKey('from-a'), t0, limits);
		b.accept(hashDeliveryKey('from-b'), t0 + 1000, limits);
		expect(b.merge(copyOf(a.toPersisted()), t0 + 2000, limits)).toBe(1);
		expect(b.merge(copyOf(a.toPersisted()), t0 + 2000, limits)).toBe(0);
		expect(b.merge(copyOf(b.toPersisted()), t0 + 2000, limits)).toBe(0);
		// merged oldest first: forgetting by count drops a's older key first
		b.accept(hashDeliveryKey('third'), t0 + 3000, { ...limits, maxEntries: 2 });
		expect(keysOf(b.toPersisted())).toEqual([hashDeliveryKey('from-b'), hashDeliveryKey('third')]);
	});

	it('drops expired entries when merging a copy from another process', () => {
		const t0 = Date.UTC(2026, 0, 1);
		const old = new DeliveryMemory();
		old.accept(hashDeliveryKey('stale'), t0, limits);
		old.accept(hashDeliveryKey('fresh'), t0 + 47 * HOUR, limits);
		const next = new DeliveryMemory();
		next.merge(copyOf(old.toPersisted()), t0 + 49 * HOUR, limits);
		expect(next.claim(hashDeliveryKey('stale'), t0 + 49 * HOUR, limits)).toBe('new');
		expect(next.claim(hashDeliveryKey('fresh'), t0 + 49 * HOUR, limits)).toBe('duplicate');
	});

	it("survives n8n wrapping static data in proxies for every workflow it builds (n8n-workflow's ObservableObject)", () => {
		// n8n builds a Workflow (ObservableObject.create over static data) for the webhook request and
		// again for its execution, over the same object. Nothing the memory reads back may be replaced.
		const memory = new DeliveryMemory();
		const staticData: IDataObject = {};
		for (let i = 0; i < 50; i++) {
			const observed = ObservableObject.create(staticData, undefined, { ignoreEmptyOnFirstChild: true });
			(observed as IDataObject)[MEMORY_FIELD] = memory.toPersisted() as unknown as IDataObject;
			ObservableObject.create(staticData, undefined, { ignoreEmptyOnFirstChild: true });
			memory.accept(hashDeliveryKey(`k${i}`), Date.now(), limits);
		}
		const saved = JSON.parse(JSON.stringify(staticData))[MEMORY_FIELD];
		expect(keysOf(saved)).toHaveLength(50);
		expect(require('util').types.isProxy(memory.toPersisted().entries)).toBe(false);
	});
});

describe('StaticDataMemory through n8n-like static data', () => {
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
			m.writeIfStale();
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
			m.writeIfStale();
		}).save();
		expect(savedKeys(row)).toEqual([hashDeliveryKey('k')]);
	});

	it('100 concurrent copies of one key → exactly one accepted', () => {
		const row = new StaticDataRow();
		const wf = uniqueWorkflow();
		// All 100 requests load the row before any of them saves, as concurrent n8n requests do.
		const loads = Array.from({ length: 100 }, () => row.load('Trigger'));
		const verdicts = loads.map((loaded) => {
			const memory = new StaticDataMemory(scope(loaded.nodeData, wf));
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
			const memory = new StaticDataMemory(scope(loaded.nodeData, wf));
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
		expect(new StaticDataMemory(scope({}, uniqueWorkflow())).claim('k').verdict).toBe('new');
		expect(new StaticDataMemory(scope({}, wf, { nodeName: 'Other Trigger' })).claim('k').verdict).toBe('new');
	});

	it('logs an unreadable stored value, keeps working, and replaces it on the next write', () => {
		const logged: string[] = [];
		const staticData: IDataObject = { [MEMORY_FIELD]: 'garbage' };
		const memory = new StaticDataMemory(scope(staticData, uniqueWorkflow(), { log: (m) => logged.push(m) }));
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
		const read = readStoredCopy({ format: 2, writer: 'w', revision: 3, entries: [entry(good, '1800000000') + entry('short!?*$%^&*()_', '0000000001') + entry(hashDeliveryKey('x'), 'soon-soon!'), 7] }, log);
		expect(read.copy!.readEntries()).toEqual([[good, 1_800_000_000]]);
		const v1 = readStoredCopy({ v: 1, w: 'x', r: 1, c: [42, `${good}${(1_800_000_000).toString(36).padStart(7, '0')}`] }, log);
		expect(v1.copy!.readEntries()).toEqual([[good, 1_800_000_000]]);
		expect(logged).toEqual([
			'The duplicate memory in static data has 3 unreadable entries; left out.',
			'The duplicate memory in static data has 1 unreadable entry; left out.',
		]);
	});

	it('forgets the memory of a workflow node that has had no deliveries for longer than its window', () => {
		const fresh = newProcess();
		const t0 = Date.UTC(2026, 0, 1);
		const lim = { maxAgeMs: 2 * HOUR, maxEntries: 10 };
		const open = (wf: string, at: number) => new fresh.StaticDataMemory(scope({}, wf, { limits: lim, now: () => at }));
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

describe('upgrade from 0.1.0', () => {
	const fixture = require('../fixtures/ledger-v1-0.1.0.json') as {
		acceptedFrom: string;
		acceptedEveryMs: number;
		deliveryKeys: string[];
		nodeStaticData: IDataObject;
	};
	const fixtureStart = Date.parse(fixture.acceptedFrom);

	it("recognises every key 0.1.0 persisted, and the next write keeps them in today's format", () => {
		const row = new StaticDataRow();
		row.json = JSON.stringify({ 'node:Trigger': fixture.nodeStaticData });
		const wf = uniqueWorkflow();
		const now = () => fixtureStart + 2 * HOUR;
		const lim = { maxAgeMs: 168 * HOUR, maxEntries: 10_000 };
		request(row, wf, (m) => {
			for (const key of fixture.deliveryKeys) expect(m.claim(key).verdict).toBe('duplicate');
			const { verdict, hashedKey } = m.claim('uplift:evt_after_upgrade');
			expect(verdict).toBe('new');
			m.accept(hashedKey);
		}, { now, limits: lim }).save();

		const saved = row.nodeData('Trigger')![MEMORY_FIELD] as unknown as PersistedMemory;
		expect(saved.format).toBe(2);
		expect(keysOf(saved)).toEqual([...fixture.deliveryKeys, 'uplift:evt_after_upgrade'].map(hashDeliveryKey));
		// the times survive too: the first key was accepted at the fixture's start
		expect(entriesOf(saved)[0]).toEqual([hashDeliveryKey(fixture.deliveryKeys[0]), fixtureStart / 1000]);
		// and a process started after the upgrade reads the new format
		request(row, wf, (m) => expect(m.claim(fixture.deliveryKeys[39]).verdict).toBe('duplicate'), { now, limits: lim }, newProcess());
	});
});
