#!/usr/bin/env node
'use strict';
/**
 * In-process benchmarks over the compiled package (dist/, run `npm run build` first). No n8n.
 *
 *   node bench/inprocess.js [--quick] > result.json
 *
 * 1. Cost per delivery: raw body → verifyUpliftSignature → JSON.parse + envelope (the real
 *    parseUpliftEvent) → delivery key → duplicate memory claim + accept, for 1 KB, 16 KB and 256 KB
 *    bodies, against the floor `createHmac('sha256').update(raw).digest('hex')` + `JSON.parse` of
 *    the same bytes. Also each step alone, to show where the time goes.
 * 2. The duplicate memory's own work per request at 100 … 100,000 keys (the memory full at its
 *    cap), one request as n8n runs it: n8n parses the workflow's static data from its database row
 *    (a fresh copy per request), the trigger's webhook() opens the memory on it (merge), claims the
 *    key and accepts it (which writes static data), the trigger's execute() records the key again,
 *    and n8n serialises the whole static data to save it. Only the store's part is timed as ours;
 *    n8n's parse and serialise are timed separately, in the same loop, on the same data. Also a
 *    duplicate, the persisted bytes per key, the static-data size, and the two cases that merge a
 *    copy written by another memory (first request after a restart; queue mode, where the worker
 *    writes the copy the webhook process reads next).
 *
 * Method for 1.: rounds. Every round gets fresh, distinct, correctly signed bodies (built outside
 * the timed loops), then runs every candidate over the same bodies, the order rotating from round
 * to round (so none always runs first, on a cold cache). A round's figure is its mean time per
 * operation; the reported figure is the median over rounds, and a ratio is the median of the
 * per-round ratios (paired: subject and floor saw the same bodies at nearly the same moment).
 * Method for 2.: every request is timed on its own (process.hrtime.bigint around the store's calls;
 * the timer's own cost is reported), sizes interleaved round by round in rotating order; figures
 * are medians (and means, p99) over all requests of a size.
 * Progress goes to stderr, the JSON result to stdout.
 */
const crypto = require('crypto');
const path = require('path');
const { median, iqrRel, nowNs, fmtTime, fmtRatio } = require('./lib/stats');

const DIST = path.resolve(__dirname, '..', 'dist');
const { verifyUpliftSignature } = require(path.join(DIST, 'nodes/shared/signature'));
const { MemorySession, MEMORY_FIELD, acceptInExecution } = require(path.join(DIST, 'nodes/shared/duplicateMemory/staticData'));
const { parseUpliftEvent, upliftDeliveryKey } = require(path.join(DIST, 'nodes/UpliftTrigger/upliftEvent'));
const { buildEvent } = require('../test/support/fakeUplift');

const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const SECRET = 'whsec_bench_0123456789abcdef';
const SIGNATURE_HEADER = 'x-uplift-signature-256';
const NODE_NAME = 'Uplift Trigger';
const DEFAULT_CAP = 10000; // the node's default "Duplicate Memory Size"
const WINDOW_MS = 168 * 3600 * 1000; // the Uplift node's default "Duplicate Window (Hours)"
/** where n8n keeps a node's static data inside the workflow's static data */
const NODE_KEY = `node:${NODE_NAME}`;

const log = (m) => process.stderr.write(`[bench:inprocess] ${m}\n`);

// ---------- bodies ----------

let idCounter = 0;
const ID_WIDTH = 20;
const ID_MARK = 'X'.repeat(ID_WIDTH);

/**
 * A realistic Uplift `movement.analytics.created` event padded to about `bytes` with per-frame
 * kinematic samples (numbers in objects, which is what an analytics payload is made of), as a
 * template with a fixed-width id placeholder so every body of a size has the same length.
 */
function bodyTemplate(bytes) {
	const event = buildEvent({
		id: ID_MARK,
		created: 1700000000000,
		csvUrl: 'https://d1.example.cloudfront.net/exports/uplift_data_export_20230307232552.csv',
	});
	const frames = [];
	event.data.object.frames = frames;
	let text = JSON.stringify(event);
	let i = 0;
	while (Buffer.byteLength(text) < bytes) {
		frames.push({
			frame: i,
			time: Number((i / 60).toFixed(4)),
			pelvis_rotation: Number((12.5 + Math.sin(i) * 3).toFixed(3)),
			trunk_rotation: Number((8.1 + Math.cos(i) * 2).toFixed(3)),
			peak_power: Number((i * 1.7).toFixed(2)),
		});
		i++;
		if (i % 16 === 0 || bytes - Buffer.byteLength(text) < 400) text = JSON.stringify(event);
	}
	text = JSON.stringify(event);
	const at = text.indexOf(ID_MARK);
	return { head: text.slice(0, at), tail: text.slice(at + ID_WIDTH), length: Buffer.byteLength(text) };
}

/** `count` fresh deliveries: distinct event ids, exact bytes, valid signature header. */
function deliveries(template, count) {
	const out = new Array(count);
	for (let k = 0; k < count; k++) {
		const id = `evt_${(++idCounter).toString(36).padStart(ID_WIDTH - 4, '0')}`;
		const raw = Buffer.from(template.head + id + template.tail, 'utf8');
		const signature = 'sha256=' + crypto.createHmac('sha256', SECRET).update(raw).digest('hex');
		out[k] = { raw, signature, id };
	}
	return out;
}

// ---------- candidates ----------

/** The floor: what any receiver that checks an HMAC and reads JSON must pay. */
function floor(d) {
	const digest = crypto.createHmac('sha256', SECRET).update(d.raw).digest('hex');
	const body = JSON.parse(d.raw.toString('utf8'));
	if (digest.length !== 64 || body === undefined) throw new Error('unreachable');
}

let storeSeq = 0;
const ignoreLog = () => undefined;

/**
 * One simulated workflow node whose duplicate memory is full: `keys` keys accepted over the last
 * hour, cap `keys`, so every further accept also forgets the oldest key (the steady state). Its
 * memory lives in this process's registry, as it would in n8n's main process; `saved` is the
 * workflow's static data as n8n last saved it (the JSON text of the database column).
 */
function makeStore(keys) {
	const workflowId = `bench-${process.pid}-${++storeSeq}`;
	const staticData = { [NODE_KEY]: {} };
	const startMs = Date.now() - 3600 * 1000;
	let clock = startMs;
	const memory = openMemory({ workflowId, keys }, staticData[NODE_KEY], () => clock);
	for (let i = 0; i < keys; i++) {
		clock = startMs + Math.floor((i * 3600 * 1000) / keys);
		const { verdict, hashedKey } = memory.claim(`uplift:prefill-${workflowId}-${i}`);
		if (verdict !== 'new') throw new Error(`prefill: ${verdict}`);
		memory.accept(hashedKey);
	}
	return { keys, workflowId, saved: JSON.stringify(staticData), recent: [] };
}

const limitsOf = (store) => ({ maxAgeMs: WINDOW_MS, maxEntries: store.keys });

/** What the pipeline opens on every request (nodes/shared/duplicateMemory/staticData.ts, memoryPlace). */
function openMemory(store, nodeStaticData, now) {
	const place = { staticData: nodeStaticData, workflowId: store.workflowId, nodeName: NODE_NAME, log: ignoreLog, now };
	return new MemorySession(place, limitsOf(store));
}

/** The execute context acceptInExecution reads: what n8n hands a trigger's execute(). */
function executeContext(store, nodeStaticData) {
	return {
		getMode: () => 'webhook',
		getNode: () => ({ name: NODE_NAME }),
		getWorkflow: () => ({ id: store.workflowId }),
		getWorkflowStaticData: () => nodeStaticData,
		logger: { warn: ignoreLog },
	};
}

/** The pipeline's own work for one delivery, in the order webhookPipeline.ts runs it. */
function makePipeline(store, parse = parseUpliftEvent) {
	let nodeData = JSON.parse(store.saved)[NODE_KEY];
	return {
		refresh() {
			nodeData = JSON.parse(store.saved)[NODE_KEY];
		},
		run(d) {
			const check = verifyUpliftSignature(d.raw, d.signature, { current: SECRET, previous: '' });
			if (!check.valid) throw new Error('signature rejected');
			const body = JSON.parse(d.raw.toString('utf8'));
			const parsed = parse(body);
			if (!parsed.ok) throw new Error(`envelope rejected: ${parsed.refusal.message}`);
			const key = upliftDeliveryKey(parsed.value, d.raw);
			const memory = openMemory(store, nodeData);
			const { verdict, hashedKey } = memory.claim(key);
			if (verdict !== 'new') throw new Error(`memory said ${verdict} for a fresh delivery`);
			memory.accept(hashedKey);
		},
	};
}

/**
 * Runs `rounds` (+ warm-up) rounds. makeItems(round) builds the round's input outside the timing;
 * before(round) lets candidates reset per-round state outside the timing.
 */
function interleaved({ label, rounds, warmup = 3, makeItems, candidates, before }) {
	const perOp = Object.fromEntries(candidates.map((c) => [c.name, []]));
	const t0 = Date.now();
	for (let r = -warmup; r < rounds; r++) {
		const items = makeItems(r);
		if (before) before(r, items);
		const shift = ((r % candidates.length) + candidates.length) % candidates.length;
		const order = candidates.slice(shift).concat(candidates.slice(0, shift));
		for (const c of order) {
			const fn = c.fn;
			const start = nowNs();
			for (let i = 0; i < items.length; i++) fn(items[i]);
			const us = Number(nowNs() - start) / 1000 / items.length;
			if (r >= 0) perOp[c.name].push(us);
		}
	}
	log(`${label}: ${rounds} rounds in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
	return perOp;
}

function pairedRatio(a, b) {
	return median(a.map((x, i) => x / b[i]));
}

// ---------- 1. cost per delivery ----------

function pipelineBench() {
	const sizes = [
		{ label: '1 KB', bytes: 1024, perRound: QUICK ? 300 : 2000, rounds: QUICK ? 10 : 31 },
		{ label: '16 KB', bytes: 16 * 1024, perRound: QUICK ? 40 : 250, rounds: QUICK ? 10 : 31 },
		{ label: '256 KB', bytes: 256 * 1024, perRound: QUICK ? 4 : 16, rounds: QUICK ? 8 : 25 },
	];
	const results = [];
	for (const size of sizes) {
		const template = bodyTemplate(size.bytes);
		// The subject's memory is full at the default size, so every accept also forgets the oldest key.
		const pipeline = makePipeline(makeStore(DEFAULT_CAP));
		// Step-by-step breakdown, each on its own data (the memory step on its own memory).
		const stepPipeline = makeMemoryStep(makeStore(DEFAULT_CAP));
		const candidates = [
			{ name: 'floor', fn: floor },
			{ name: 'pipeline', fn: (d) => pipeline.run(d) },
			{
				name: 'hmac',
				fn: (d) => {
					if (crypto.createHmac('sha256', SECRET).update(d.raw).digest('hex').length !== 64) throw new Error('x');
				},
			},
			{
				name: 'verifyUpliftSignature',
				fn: (d) => {
					if (!verifyUpliftSignature(d.raw, d.signature, { current: SECRET, previous: '' }).valid) throw new Error('x');
				},
			},
			{
				name: 'JSON.parse',
				fn: (d) => {
					if (JSON.parse(d.raw.toString('utf8')) === undefined) throw new Error('x');
				},
			},
			{
				name: 'parseUpliftEvent',
				fn: (d) => {
					if (!parseUpliftEvent(d.parsed).ok) throw new Error('x');
				},
			},
			{ name: 'key + memory claim/accept', fn: (d) => stepPipeline.run(d) },
		];
		const perOp = interleaved({
			label: `pipeline ${size.label}`,
			rounds: size.rounds,
			makeItems: () => {
				const items = deliveries(template, size.perRound);
				for (const d of items) d.parsed = JSON.parse(d.raw.toString('utf8'));
				return items;
			},
			before: () => {
				pipeline.refresh();
				stepPipeline.refresh();
			},
			candidates,
		});
		const row = {
			size: size.label,
			bodyBytes: template.length,
			rounds: size.rounds,
			opsPerRound: size.perRound,
			floorUs: median(perOp.floor),
			pipelineUs: median(perOp.pipeline),
			ratio: pairedRatio(perOp.pipeline, perOp.floor),
			noise: { floor: iqrRel(perOp.floor), pipeline: iqrRel(perOp.pipeline) },
			steps: Object.fromEntries(
				candidates.filter((c) => !['floor', 'pipeline'].includes(c.name)).map((c) => [c.name, median(perOp[c.name])]),
			),
			target: size.bytes <= 16 * 1024 ? 1.5 : null,
		};
		row.pass = row.target === null ? null : row.ratio <= row.target;
		log(
			`${size.label} (${row.bodyBytes} B): floor ${fmtTime(row.floorUs)}, pipeline ${fmtTime(row.pipelineUs)}, ratio ${fmtRatio(row.ratio)}; ` +
				Object.entries(row.steps)
					.map(([k, v]) => `${k} ${fmtTime(v)}`)
					.join(', '),
		);
		results.push(row);
	}
	return results;
}

/** Delivery key + duplicate memory (what the pipeline adds after parsing), with an item's pre-parsed event. */
function makeMemoryStep(store) {
	let nodeData = JSON.parse(store.saved)[NODE_KEY];
	return {
		refresh() {
			nodeData = JSON.parse(store.saved)[NODE_KEY];
		},
		run(d) {
			const key = upliftDeliveryKey(d.parsed, d.raw);
			const memory = openMemory(store, nodeData);
			const { verdict, hashedKey } = memory.claim(key);
			if (verdict !== 'new') throw new Error(`memory said ${verdict}`);
			memory.accept(hashedKey);
		},
	};
}

// ---------- 2. the duplicate memory, one request at a time, at each size ----------

const toUs = (ns) => Number(ns) / 1000;

function summary(samples) {
	const v = Float64Array.from(samples).sort();
	const q = (p) => v[Math.min(v.length - 1, Math.floor(p * v.length))];
	return { n: v.length, medianUs: q(0.5), meanUs: v.reduce((a, b) => a + b, 0) / v.length, p99Us: q(0.99) };
}

/** What one hrtime pair costs (included in every per-request figure below). */
function timerOverheadUs() {
	const s = [];
	for (let i = 0; i < 20000; i++) {
		const t0 = nowNs();
		const t1 = nowNs();
		s.push(toUs(t1 - t0));
	}
	return summary(s).medianUs;
}

let keySeq = 0;
const freshKey = () => `uplift:evt_bench_${(++keySeq).toString(36)}`;

/**
 * The store's part of one accepted delivery, as n8n 2.40 runs it in regular mode (docs/n8n-internals.md):
 * the trigger's webhook() works on `webhookCopy`, the static data n8n loaded for the request; it
 * opens the memory on it (merge), claims the key and accepts it, which writes static data (not
 * saved on 2.40, since an execution starts). The trigger's execute() works on `executionCopy`, the
 * static data the execution read afresh from the database (the same saved text), and accepts the
 * item's key again, which n8n saves when the execution ends. Returns µs for each part.
 */
function storeAccepts(store, webhookCopy, executionCopy) {
	const delivery = storeWebhook(store, webhookCopy);
	return { webhook: delivery.us, execute: storeExecute(store, executionCopy, delivery) };
}

/** webhook(): a new delivery on the request's copy: open (merge), claim, accept (writes static data). */
function storeWebhook(store, webhookCopy) {
	const deliveryKey = freshKey();
	const receivedAtMs = Date.now();
	const t0 = nowNs();
	const memory = openMemory(store, webhookCopy[NODE_KEY]);
	const { verdict, hashedKey } = memory.claim(deliveryKey);
	memory.accept(hashedKey, receivedAtMs);
	const us = toUs(nowNs() - t0);
	if (verdict !== 'new') throw new Error(`memory of ${store.keys} said ${verdict} for a new key`);
	store.recent.push(deliveryKey);
	if (store.recent.length > 32) store.recent.shift();
	return { deliveryKey, receivedAtMs, us };
}

/** execute(): records the delivery's key again on the execution's copy. */
function storeExecute(store, executionCopy, { deliveryKey, receivedAtMs }) {
	// what n8n hands execute(): its context and the item webhook() emitted (built outside the timing)
	const ctx = executeContext(store, executionCopy[NODE_KEY]);
	const items = [{ json: { deliveryKey, receivedAt: new Date(receivedAtMs).toISOString() } }];
	const limits = limitsOf(store);
	const t0 = nowNs();
	acceptInExecution(ctx, items, limits);
	return toUs(nowNs() - t0);
}

/** The store's part of a repeated delivery: webhook() answers 'duplicate', writes only if static data lacks something. */
function storeRejectsDuplicate(store, staticData, deliveryKey) {
	const t0 = nowNs();
	const memory = openMemory(store, staticData[NODE_KEY]);
	const { verdict } = memory.claim(deliveryKey);
	memory.saveIfBehind();
	const t1 = nowNs();
	if (verdict !== 'duplicate') throw new Error(`memory of ${store.keys} said ${verdict} for a repeated key`);
	return toUs(t1 - t0);
}

/** n8n's part: load the row's static data (a fresh copy per request), timed. */
function n8nLoads(store) {
	const t0 = nowNs();
	const staticData = JSON.parse(store.saved);
	return { staticData, us: toUs(nowNs() - t0) };
}

/** n8n's part: save the whole static data when the execution ends, timed. */
function n8nSaves(store, staticData) {
	const t0 = nowNs();
	store.saved = JSON.stringify(staticData);
	return toUs(nowNs() - t0);
}

/**
 * The two cases where the memory merges a copy another memory wrote, at each size:
 * - restart: the first request of a new process (an empty memory) on static data holding `keys`
 *   keys; once per process and workflow node;
 * - queue mode: the webhook process's memory already holds the keys, and the copy it loads was
 *   written by the worker (another writer, a new revision every execution), so it reads the copy's
 *   keys on every request to find what is new (here: nothing).
 */
function mergeCases(keys, reps) {
	const restart = [];
	const queueMode = [];
	const source = makeStore(keys);
	const sourceData = JSON.parse(source.saved)[NODE_KEY][MEMORY_FIELD];
	const asWrittenBy = (writer, revision) => JSON.stringify({ [NODE_KEY]: { [MEMORY_FIELD]: { ...sourceData, writer, revision } } });
	for (let r = 0; r < reps; r++) {
		// a new process: a memory of its own (a new workflow id stands for the new process)
		const fresh = { keys, workflowId: `bench-restart-${process.pid}-${++storeSeq}` };
		const nodeData = JSON.parse(asWrittenBy(`before-restart-${r}`, 1))[NODE_KEY];
		const t0 = nowNs();
		const memory = openMemory(fresh, nodeData);
		const { verdict, hashedKey } = memory.claim(freshKey());
		memory.accept(hashedKey);
		const t1 = nowNs();
		if (verdict !== 'new') throw new Error('restart: not new');
		restart.push(toUs(t1 - t0));
	}
	// The source's memory holds every key; the worker wrote the same keys (it learned them from the
	// executions' items) under its own name, so each request finds nothing new after reading them all.
	let current = JSON.parse(source.saved)[NODE_KEY];
	for (let r = 0; r < reps * 4; r++) {
		const nodeData = JSON.parse(JSON.stringify({ [MEMORY_FIELD]: { ...current[MEMORY_FIELD], writer: 'worker', revision: 1000 + r } }));
		const t0 = nowNs();
		const memory = openMemory(source, nodeData);
		const { verdict, hashedKey } = memory.claim(freshKey());
		memory.accept(hashedKey);
		const t1 = nowNs();
		if (verdict !== 'new') throw new Error('queue mode: not new');
		queueMode.push(toUs(t1 - t0));
		current = nodeData;
	}
	return { restart: summary(restart), queueMode: summary(queueMode) };
}

/**
 * Deliveries accepted between two rounds, untimed, so that the measured requests meet the memory
 * at every point of its steady state: full at its cap, forgetting its oldest key on every accept,
 * with whatever the JavaScript engine keeps of the forgotten entries (V8 leaves deleted Map entries
 * in place until the table is next rehashed). Over the rounds this accepts about 3× the cap.
 */
function churn(store, count) {
	const staticData = JSON.parse(store.saved);
	const memory = openMemory(store, staticData[NODE_KEY]);
	for (let i = 0; i < count; i++) memory.accept(memory.claim(freshKey()).hashedKey);
	store.saved = JSON.stringify(staticData);
}

/**
 * Per size and round:
 * - warm: `batch` requests back to back, each on its own fresh copy (all parsed before the timing),
 *   then n8n's save of the last; then `batch` duplicates the same way. This is the store's own work.
 * - cold: `cold` requests one at a time exactly as n8n interleaves them, n8n's parse, the store,
 *   n8n's save of the whole static data; the store's part then runs on caches that n8n's
 *   parse and serialise of the static data (and whatever else runs on the machine) just walked over.
 */
function memoryBench() {
	const sizes = [100, 1000, 10000, 100000];
	const plan = {
		100: { batch: 64, cold: 64 },
		1000: { batch: 64, cold: 64 },
		10000: { batch: 32, cold: 32 },
		100000: { batch: 8, cold: 4 },
	};
	const rounds = QUICK ? 5 : 25;
	const t0 = Date.now();
	const stores = sizes.map((n) => makeStore(n));
	log(`memory prefill ${sizes.join(', ')} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
	const timer = timerOverheadUs();
	const samples = Object.fromEntries(
		sizes.map((n) => [
			n,
			{ store: [], webhook: [], execute: [], duplicate: [], coldStore: [], coldDuplicate: [], n8nParse: [], n8nStringify: [] },
		]),
	);
	const t1 = Date.now();
	for (let r = -2; r < rounds; r++) {
		const warm = r >= 0;
		const shift = ((r % sizes.length) + sizes.length) % sizes.length;
		for (const store of stores.slice(shift).concat(stores.slice(0, shift))) {
			const s = samples[store.keys];
			const { batch, cold } = plan[store.keys];
			churn(store, Math.ceil(store.keys / 8));
			// warm: accepted deliveries (two copies each: the webhook's and the execution's)
			let copies = Array.from({ length: batch * 2 }, () => JSON.parse(store.saved));
			const accepted = [];
			for (let i = 0; i < batch; i++) accepted.push(storeAccepts(store, copies[2 * i], copies[2 * i + 1]));
			const n8nParse = [];
			const n8nStringify = [n8nSaves(store, copies[copies.length - 1])];
			// warm: duplicates of recent deliveries, on copies of what was just saved
			copies = Array.from({ length: batch }, () => JSON.parse(store.saved));
			const duplicates = copies.map((copy, i) => storeRejectsDuplicate(store, copy, store.recent[(i * 7) % store.recent.length]));
			copies = null;
			// cold: one request at a time, as n8n runs it
			const coldAccepted = [];
			const coldDuplicates = [];
			for (let i = 0; i < cold; i++) {
				const forWebhook = n8nLoads(store);
				const delivery = storeWebhook(store, forWebhook.staticData);
				const forExecution = n8nLoads(store);
				const executeUs = storeExecute(store, forExecution.staticData, delivery);
				const save = n8nSaves(store, forExecution.staticData);
				coldAccepted.push(delivery.us + executeUs);
				n8nParse.push(forWebhook.us, forExecution.us);
				n8nStringify.push(save);
				if (i % 4 === 3) {
					const dupLoad = n8nLoads(store);
					coldDuplicates.push(storeRejectsDuplicate(store, dupLoad.staticData, store.recent[i % store.recent.length]));
				}
			}
			if (!warm) continue;
			for (const a of accepted) {
				s.store.push(a.webhook + a.execute);
				s.webhook.push(a.webhook);
				s.execute.push(a.execute);
			}
			s.duplicate.push(...duplicates);
			s.coldStore.push(...coldAccepted);
			s.coldDuplicate.push(...coldDuplicates);
			s.n8nParse.push(...n8nParse);
			s.n8nStringify.push(...n8nStringify);
		}
	}
	log(`memory: ${rounds} rounds in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
	const base = summary(samples[sizes[0]].store).medianUs;
	const rows = stores.map((store) => {
		const s = samples[store.keys];
		const staticData = JSON.parse(store.saved);
		const persisted = JSON.stringify(staticData[NODE_KEY][MEMORY_FIELD]);
		const keysHeld = staticData[NODE_KEY][MEMORY_FIELD].entries.join('').length / 26;
		const row = {
			keys: store.keys,
			keysHeld,
			perDelivery: summary(s.store),
			webhook: summary(s.webhook),
			execute: summary(s.execute),
			duplicate: summary(s.duplicate),
			coldPerDelivery: summary(s.coldStore),
			coldDuplicate: summary(s.coldDuplicate),
			n8nParse: summary(s.n8nParse),
			n8nStringify: summary(s.n8nStringify),
			persistedBytes: Buffer.byteLength(persisted),
			bytesPerKey: Buffer.byteLength(persisted) / keysHeld,
			staticDataBytes: Buffer.byteLength(store.saved),
		};
		row.ratioTo100 = row.perDelivery.medianUs / base;
		return row;
	});
	const t2 = Date.now();
	for (const row of rows) Object.assign(row, mergeCases(row.keys, row.keys >= 100000 ? 3 : row.keys >= 10000 ? 10 : 25));
	log(`memory merge cases in ${((Date.now() - t2) / 1000).toFixed(1)} s`);
	for (const r of rows)
		log(
			`memory ${r.keys}: accepted ${fmtTime(r.perDelivery.medianUs)} (webhook ${fmtTime(r.webhook.medianUs)} + execute ${fmtTime(r.execute.medianUs)}; ${fmtRatio(r.ratioTo100)} of 100), ` +
				`duplicate ${fmtTime(r.duplicate.medianUs)}; cold: accepted ${fmtTime(r.coldPerDelivery.medianUs)}, duplicate ${fmtTime(r.coldDuplicate.medianUs)}; ${r.bytesPerKey.toFixed(1)} B/key, static data ${r.staticDataBytes} B, ` +
				`n8n parse ${fmtTime(r.n8nParse.medianUs)} + stringify ${fmtTime(r.n8nStringify.medianUs)}; restart merge ${fmtTime(r.restart.medianUs)}, queue-mode merge ${fmtTime(r.queueMode.medianUs)}`,
		);
	const atDefault = rows.find((r) => r.keys === DEFAULT_CAP);
	return {
		rounds,
		plan,
		timerOverheadUs: timer,
		rows,
		defaultSize: DEFAULT_CAP,
		staticDataBytesAtDefault: atDefault.staticDataBytes,
		targets: {
			perDeliveryAtDefault: { target: 5, value: atDefault.perDelivery.medianUs, pass: atDefault.perDelivery.medianUs < 5 },
		},
	};
}

function main() {
	const started = Date.now();
	log(`node ${process.version}, ${QUICK ? 'quick' : 'full'} mode`);
	const pipeline = pipelineBench();
	const memory = memoryBench();
	const result = {
		node: process.version,
		openssl: process.versions.openssl,
		quick: QUICK,
		seconds: (Date.now() - started) / 1000,
		pipeline,
		memory,
	};
	process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

main();
