#!/usr/bin/env node
'use strict';
/**
 * In-process benchmarks over the compiled package (dist/, run `npm run build` first). No n8n.
 *
 *   node bench/inprocess.js [--quick] > result.json
 *
 * 1. Cost per delivery: raw body → verifyUpliftSignature → JSON.parse + zod envelope (the real
 *    parseUpliftEvent) → delivery key → ledger claim + accept, for 1 KB, 16 KB and 256 KB bodies,
 *    against the floor `createHmac('sha256').update(raw).digest('hex')` + `JSON.parse` of the same
 *    bytes. Also each step alone, to show where the time goes.
 * 2. Ledger check-and-record at 100 … 100,000 entries (time per operation, bytes per entry) and the
 *    static-data size at the default cap (10,000).
 *
 * Method: rounds. Every round gets fresh, distinct, correctly signed bodies (built outside the
 * timed loops), then runs every candidate over the same bodies, the order rotating from round to
 * round (so none always runs first, on a cold cache). A round's figure is its mean time per
 * operation; the reported figure is the median over rounds, and a ratio is the median of the
 * per-round ratios (paired: subject and floor saw the same bodies at nearly the same moment).
 * Progress goes to stderr, the JSON result to stdout.
 */
const crypto = require('crypto');
const path = require('path');
const { median, iqrRel, nowNs, fmtTime, fmtRatio } = require('./lib/stats');

const DIST = path.resolve(__dirname, '..', 'dist');
const { verifyUpliftSignature } = require(path.join(DIST, 'nodes/shared/signature'));
const { DeliveryLedger, LEDGER_FIELD } = require(path.join(DIST, 'nodes/shared/DeliveryLedger'));
const { parseUpliftEvent, upliftDeliveryKey } = require(path.join(DIST, 'nodes/UpliftTrigger/upliftEvent'));
const { buildEvent } = require('../test/support/fakeUplift');

const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const SECRET = 'whsec_bench_0123456789abcdef';
const SIGNATURE_HEADER = 'x-uplift-signature-256';
const NODE_NAME = 'Uplift Trigger';
const DEFAULT_CAP = 10000; // the node's default "Max Remembered Deliveries"
const WINDOW_MS = 168 * 3600 * 1000; // the Uplift node's default window

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

let ledgerSeq = 0;
/** A ledger for one simulated workflow node, pre-filled to `entries` and capped at `cap`. */
function makeLedger(cap, entries = cap) {
	const workflowId = `bench-${process.pid}-${++ledgerSeq}`;
	const limits = { maxAgeMs: WINDOW_MS, maxEntries: cap };
	const staticData = {};
	for (let i = 0; i < entries; i++) {
		const ledger = new DeliveryLedger(staticData, workflowId, NODE_NAME, limits);
		const { hashedKey } = ledger.claim(`uplift:prefill-${workflowId}-${i}`);
		ledger.accept(hashedKey);
	}
	return {
		workflowId,
		limits,
		staticData,
		/**
		 * What n8n hands the node on a request: static data freshly loaded from the database, i.e.
		 * a copy of what the previous request saved (not the in-memory object itself).
		 */
		loadedCopy() {
			const saved = staticData[LEDGER_FIELD];
			return saved ? { [LEDGER_FIELD]: { v: saved.v, w: saved.w, r: saved.r, c: saved.c.slice() } } : {};
		},
	};
}

/** The pipeline's own work for one delivery, in the order webhookPipeline.ts runs it. */
function makePipeline(ledgerCtx, parse = parseUpliftEvent) {
	let loaded = ledgerCtx.loadedCopy();
	return {
		refresh() {
			loaded = ledgerCtx.loadedCopy();
		},
		run(d) {
			const check = verifyUpliftSignature(d.raw, d.signature, { current: SECRET, previous: '' });
			if (!check.valid) throw new Error('signature rejected');
			const body = JSON.parse(d.raw.toString('utf8'));
			const parsed = parse(body);
			if (!parsed.ok) throw new Error(`envelope rejected: ${parsed.refusal.message}`);
			const key = upliftDeliveryKey(parsed.value, d.raw);
			const ledger = new DeliveryLedger(loaded, ledgerCtx.workflowId, NODE_NAME, ledgerCtx.limits);
			const { verdict, hashedKey } = ledger.claim(key);
			if (verdict !== 'new') throw new Error(`ledger said ${verdict} for a fresh delivery`);
			ledger.accept(hashedKey);
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
		// Subject's ledger sits at the default cap, so every accept also evicts (steady state).
		const subjectLedger = makeLedger(DEFAULT_CAP);
		const pipeline = makePipeline(subjectLedger);
		// Step-by-step breakdown, each on its own data (the ledger step on its own ledger).
		const stepLedger = makeLedger(DEFAULT_CAP);
		const stepPipeline = makeLedgerStep(stepLedger);
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
			{ name: 'key + ledger claim/accept', fn: (d) => stepPipeline.run(d) },
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

/** Delivery key + ledger (what the pipeline adds after parsing), with an item's pre-parsed event. */
function makeLedgerStep(ledgerCtx) {
	let loaded = ledgerCtx.loadedCopy();
	return {
		refresh() {
			loaded = ledgerCtx.loadedCopy();
		},
		run(d) {
			const key = upliftDeliveryKey(d.parsed, d.raw);
			const ledger = new DeliveryLedger(loaded, ledgerCtx.workflowId, NODE_NAME, ledgerCtx.limits);
			const { verdict, hashedKey } = ledger.claim(key);
			if (verdict !== 'new') throw new Error(`ledger said ${verdict}`);
			ledger.accept(hashedKey);
		},
	};
}

// ---------- 2. ledger scaling ----------

function ledgerBench() {
	const sizes = [100, 1000, 10000, 100000];
	const perRound = QUICK ? 500 : 5000;
	const rounds = QUICK ? 10 : 31;
	const t0 = Date.now();
	const ctxs = sizes.map((n) => ({ n, ctx: makeLedger(n) }));
	log(`ledger prefill ${sizes.join(', ')} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
	const loadedFor = new Map();
	let keySeq = 0;
	const candidates = ctxs.map(({ n, ctx }) => ({
		name: String(n),
		fn: (key) => {
			// One request's ledger work: open on freshly loaded static data, claim, accept.
			const ledger = new DeliveryLedger(loadedFor.get(n), ctx.workflowId, NODE_NAME, ctx.limits);
			const { verdict, hashedKey } = ledger.claim(key);
			if (verdict !== 'new') throw new Error(`ledger ${n} said ${verdict}`);
			ledger.accept(hashedKey);
		},
	}));
	const perOp = interleaved({
		label: 'ledger',
		rounds,
		// Keys are distinct across rounds and sizes never share a ledger, so every op is a new key.
		makeItems: () => Array.from({ length: perRound }, () => `uplift:evt_${(++keySeq).toString(36)}`),
		before: () => {
			for (const { n, ctx } of ctxs) loadedFor.set(n, ctx.loadedCopy());
		},
		candidates,
	});
	const base = perOp['100'];
	const rows = ctxs.map(({ n, ctx }) => {
		const persisted = ctx.staticData[LEDGER_FIELD];
		const json = JSON.stringify(persisted);
		// What n8n stores for the node: staticData = { "node:<name>": { deliveryLedger: … } }.
		const staticJson = JSON.stringify({ [`node:${NODE_NAME}`]: ctx.staticData });
		// n8n serialises the whole static data on every save: time that too (n8n's cost, our size).
		const reps = n >= 100000 ? 20 : n >= 10000 ? 100 : 1000;
		const stringifyRuns = [];
		for (let k = 0; k < 7; k++) {
			const s = nowNs();
			for (let i = 0; i < reps; i++)
				JSON.stringify({ [`node:${NODE_NAME}`]: { [LEDGER_FIELD]: { ...persisted, c: persisted.c.slice() } } });
			stringifyRuns.push(Number(nowNs() - s) / 1000 / reps);
		}
		const parseRuns = [];
		for (let k = 0; k < 7; k++) {
			const s = nowNs();
			for (let i = 0; i < reps; i++) JSON.parse(staticJson);
			parseRuns.push(Number(nowNs() - s) / 1000 / reps);
		}
		let entries = 0;
		for (const c of persisted.c) entries += c.length / 23;
		return {
			entries: n,
			storedEntries: entries,
			opUs: median(perOp[String(n)]),
			ratioTo100: pairedRatio(perOp[String(n)], base),
			noise: iqrRel(perOp[String(n)]),
			persistedBytes: Buffer.byteLength(json),
			bytesPerEntry: Buffer.byteLength(json) / entries,
			staticDataBytes: Buffer.byteLength(staticJson),
			stringifyUs: median(stringifyRuns),
			parseUs: median(parseRuns),
		};
	});
	for (const r of rows)
		log(
			`ledger ${r.entries}: ${fmtTime(r.opUs)}/op (${fmtRatio(r.ratioTo100)} of 100), ${r.bytesPerEntry.toFixed(2)} B/entry, static data ${r.staticDataBytes} B, JSON.stringify ${fmtTime(r.stringifyUs)}`,
		);
	const atCap = rows.find((r) => r.entries === DEFAULT_CAP);
	return {
		rounds,
		opsPerRound: perRound,
		rows,
		defaultCap: DEFAULT_CAP,
		staticDataBytesAtDefaultCap: atCap.staticDataBytes,
		targets: {
			scaling: { target: 1.2, value: rows[rows.length - 1].ratioTo100, pass: rows[rows.length - 1].ratioTo100 <= 1.2 },
			bytesPerEntry: { target: 32, value: Math.max(...rows.map((r) => r.bytesPerEntry)), pass: rows.every((r) => r.bytesPerEntry <= 32) },
		},
	};
}

function main() {
	const started = Date.now();
	log(`node ${process.version}, ${QUICK ? 'quick' : 'full'} mode`);
	const pipeline = pipelineBench();
	const ledger = ledgerBench();
	const result = {
		node: process.version,
		openssl: process.versions.openssl,
		quick: QUICK,
		seconds: (Date.now() - started) / 1000,
		pipeline,
		ledger,
	};
	process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

main();
