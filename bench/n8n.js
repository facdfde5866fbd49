'use strict';
/**
 * Throughput and acknowledgement latency inside a real n8n (provisioned by scripts/provision-n8n.js,
 * package installed as users install it, via test/support/n8nInstance.js), driven by autocannon
 * over loopback. Every workflow is trigger → Set ("Mark as received"), with identical settings.
 *
 *   (1) baseline: n8n's own Webhook node, respond immediately
 *   (2) Uplift Trigger, valid signed distinct events, CSV download off
 *   (3) Uphance Trigger, distinct events, record fetched from the fake Uphance API before the ack
 *   duplicate memory, empty vs full: the Uplift workflow of (2) twice, new each cycle, one with no
 *     static data and one created with its duplicate memory full at the default size (10,000 keys,
 *     the persisted format of nodes/shared/duplicateMemory/store.ts), signed distinct deliveries: CPU of
 *     the n8n processes per accepted delivery, throughput, and acknowledgement latency one at a time
 *   duplicate flood: one valid Uplift delivery repeated
 *   slow follow-up: Uplift with CSV download on, CSV server answering at once vs after 2 s
 *
 * Fairness: the three workflows run in short interleaved segments (1,2,3,1,2,3,…), each after its
 * own warm-up, so drift (executions piling up in SQLite, other load on the box) hits all alike.
 * Requests/s = 2xx answers / measured seconds over all segments of a workflow; p50/p99 = the median
 * over segments of autocannon's per-segment percentiles.
 */
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const autocannon = require('autocannon');

const { N8nInstance } = require('../test/support/n8nInstance');
const fakeUplift = require('../test/support/fakeUplift');
const fakeUphance = require('../test/support/fakeUphance');
const { triggerToSet, setNode, SET_NODE } = require('../test/support/workflows');
const { createUpliftTriggerCredential } = require('../test/support/vendorCredentials');
const { median } = require('./lib/stats');
const { execSync } = require('child_process');

const REPO_ROOT = path.resolve(__dirname, '..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (m) => process.stderr.write(`[bench:n8n] ${m}\n`);

const SECRET = 'whsec_bench_' + crypto.randomBytes(12).toString('hex');
const UPLIFT_API_KEY = 'sk_bench_' + crypto.randomBytes(8).toString('hex');
const URL_TOKEN = 'tok_bench_' + crypto.randomBytes(16).toString('hex');
const UPHANCE_RECORD_IDS = 100;

function uphanceAvailable() {
	const pj = require(path.join(REPO_ROOT, 'package.json'));
	const file = (pj.n8n.nodes || []).find((f) => /UphanceTrigger\.node\.js$/.test(f));
	return Boolean(file && fs.existsSync(path.join(REPO_ROOT, file)));
}

// ---------- request generators (a fresh body per request) ----------

let seq = 0;
const runTag = crypto.randomBytes(4).toString('hex');

function upliftBody(csvUrl) {
	const id = `evt_bench_${runTag}_${(++seq).toString(36)}`;
	return fakeUplift.signedDelivery({ secret: SECRET, id, csvUrl }).body;
}

function upliftRequest(csvUrl) {
	return (req) => {
		const body = upliftBody(csvUrl);
		return {
			...req,
			method: 'POST',
			body,
			headers: {
				'content-type': 'application/json',
				'x-uplift-signature-256': fakeUplift.sign(SECRET, body),
			},
		};
	};
}

function uphanceRequest() {
	let t = Date.UTC(2026, 0, 1);
	return (req) => {
		const n = ++seq;
		const id = 1 + (n % UPHANCE_RECORD_IDS);
		// distinct deliveries: same records, each delivery a newer version (key = resource + id +
		// updated_at to the whole second, so each version is a second later)
		const record = fakeUphance.sampleRecord('pick_ticket', id, { updated_at: new Date((t += 1000)).toISOString() });
		const body = JSON.stringify(fakeUphance.buildWebhookBody('pick_ticket_update', record));
		return { ...req, method: 'POST', body, headers: { 'content-type': 'application/json' } };
	};
}

function fixedRequest(body, headers) {
	return (req) => ({ ...req, method: 'POST', body, headers });
}

// ---------- autocannon ----------

function cannon({ url, setupRequest, duration, connections = 10 }) {
	return new Promise((resolve, reject) => {
		autocannon(
			{
				url,
				connections,
				duration,
				timeout: 30,
				requests: [{ method: 'POST', setupRequest }],
			},
			(err, res) => (err ? reject(err) : resolve(res)),
		);
	});
}

function summarise(res) {
	const ok = res['2xx'];
	return {
		seconds: res.duration,
		total: res.requests.total,
		ok,
		non2xx: res.non2xx,
		errors: res.errors,
		timeouts: res.timeouts,
		statusCodes: Object.fromEntries(Object.entries(res.statusCodeStats || {}).map(([k, v]) => [k, v.count])),
		rps: ok / res.duration,
		p50: res.latency.p50,
		p90: res.latency.p90,
		p99: res.latency.p99,
		max: res.latency.max,
	};
}

function combine(segments) {
	const seconds = segments.reduce((s, x) => s + x.seconds, 0);
	const ok = segments.reduce((s, x) => s + x.ok, 0);
	const statusCodes = {};
	for (const s of segments) for (const [k, v] of Object.entries(s.statusCodes)) statusCodes[k] = (statusCodes[k] || 0) + v;
	return {
		seconds,
		total: segments.reduce((s, x) => s + x.total, 0),
		ok,
		non2xx: segments.reduce((s, x) => s + x.non2xx, 0),
		errors: segments.reduce((s, x) => s + x.errors, 0),
		statusCodes,
		rps: ok / seconds,
		p50: median(segments.map((s) => s.p50)),
		p99: median(segments.map((s) => s.p99)),
		segments: segments.map((s) => ({ rps: s.rps, p50: s.p50, p99: s.p99, non2xx: s.non2xx })),
	};
}

/** Warm-up (discarded), then one measured segment. */
async function segment(target, { warmup, duration }) {
	if (warmup > 0) await cannon({ url: target.url, setupRequest: target.setupRequest, duration: warmup });
	const res = summarise(await cannon({ url: target.url, setupRequest: target.setupRequest, duration }));
	log(
		`  ${target.label.padEnd(28)} ${res.rps.toFixed(1).padStart(7)} req/s  p50 ${res.p50} ms  p99 ${res.p99} ms  non-2xx ${res.non2xx}  errors ${res.errors}`,
	);
	return res;
}

// ---------- CPU of n8n ----------

const CLOCK_TICKS = (() => {
	try {
		return Number(execSync('getconf CLK_TCK', { encoding: 'utf8' }).trim()) || 100;
	} catch {
		return 100;
	}
})();

/**
 * CPU time (user + system, ms) used so far by the processes of a process group: n8n runs in its own
 * group (test/support/n8nInstance.js starts it detached), with its task runner. Linux only; null
 * elsewhere. Processes that ended in between are not counted.
 */
function groupCpuMs(pgid) {
	let ticks = 0;
	let names;
	try {
		names = fs.readdirSync('/proc');
	} catch {
		return null;
	}
	for (const name of names) {
		if (!/^\d+$/.test(name)) continue;
		try {
			const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
			const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
			// after "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
			if (Number(f[2]) === pgid) ticks += Number(f[11]) + Number(f[12]);
		} catch {
			/* ended meanwhile */
		}
	}
	return (ticks * 1000) / CLOCK_TICKS;
}

// ---------- the duplicate memory, empty vs full ----------

/** The trigger's default "Duplicate Memory Size" (nodes/shared/nodeDescription.ts). */
const MEMORY_DEFAULT_SIZE = 10000;

/**
 * A node's static data holding `count` accepted keys, as the trigger persists it (format 2 of
 * nodes/shared/duplicateMemory/store.ts: the first 16 characters of base64url(SHA-256(delivery key)) and
 * the acceptance time as 10 digits of seconds), accepted over the last hour so none is near the end
 * of the window.
 */
function fullMemoryStaticData(count) {
	const nowSeconds = Math.floor(Date.now() / 1000);
	const entries = [];
	for (let i = 0; i < count; i++) {
		const hashed = crypto.createHash('sha256').update(`uplift:evt_bench_prefill_${runTag}_${i}`, 'utf8').digest('base64url').slice(0, 16);
		entries.push(hashed + String(nowSeconds - 3600 + Math.floor((i * 3600) / count)).padStart(10, '0'));
	}
	// packed as the node packs them: chunks of 100 entries of 26 characters
	const chunks = [];
	for (let i = 0; i < entries.length; i += 100) chunks.push(entries.slice(i, i + 100).join(''));
	return { duplicateMemory: { format: 1, writer: 'bench-prefill', revision: count, entries: chunks } };
}

/** A workflow's static data as n8n has it in its database, through the public API. */
async function staticDataOf(n8n, workflowId) {
	const { staticData } = await n8n.getWorkflow(workflowId);
	return (typeof staticData === 'string' ? JSON.parse(staticData) : staticData) || {};
}

/** Keys held in a node's persisted memory (format 2), or null if it holds none. */
function persistedKeyCount(nodeStaticData) {
	const memory = nodeStaticData && nodeStaticData.duplicateMemory;
	return memory && Array.isArray(memory.entries) ? memory.entries.join('').length / 26 : null;
}

/**
 * Per cycle: two new workflows identical but for their static data (empty; full at the default
 * size), then (a) `sequential` signed distinct deliveries to each, one at a time, alternating,
 * timing each answer; (b) one throughput segment each (order alternating between cycles), counting
 * the CPU the n8n processes use from the start of the measured part until its executions have
 * ended. The CPU per accepted delivery is the cost figure: it includes what n8n does after
 * answering (the execution, and saving the whole static data when it ends).
 */
async function memoryCost(n8n, { makeUplift, cycles, warmup, duration, sequential, csvUrl }) {
	const nodeName = 'Uplift Trigger';
	const prefill = { [`node:${nodeName}`]: fullMemoryStaticData(MEMORY_DEFAULT_SIZE) };
	const prefillBytes = Buffer.byteLength(JSON.stringify(prefill));
	const out = { defaultSize: MEMORY_DEFAULT_SIZE, prefillStaticDataBytes: prefillBytes, cycles: [], empty: {}, full: {} };
	const pgid = n8n.proc && n8n.proc.pid;
	log(`duplicate memory, empty vs full (${MEMORY_DEFAULT_SIZE} keys, static data ${prefillBytes} B): ${cycles} cycles`);
	const seg = { empty: [], full: [] };
	const lat = { empty: [], full: [] };
	for (let c = 0; c < cycles; c++) {
		const made = {};
		for (const which of ['empty', 'full'])
			made[which] = await makeUplift(`bench memory ${which} #${c + 1}`, which === 'full' ? prefill : undefined);
		// n8n's public API takes staticData on create (2.40.7): check that the full one holds the keys.
		const heldAtStart = persistedKeyCount((await staticDataOf(n8n, made.full.wf.id))[`node:${nodeName}`]);
		if (heldAtStart !== MEMORY_DEFAULT_SIZE)
			throw new Error(
				`the full workflow holds ${heldAtStart} keys after creation, not ${MEMORY_DEFAULT_SIZE}: n8n did not take staticData on create`,
			);
		const cycle = { heldAtStart };
		// (a) one at a time, alternating (the first request of each merges the stored keys: warm-up)
		const send = async (which) => {
			const req = upliftRequest(csvUrl)({});
			const t0 = process.hrtime.bigint();
			const r = await fetch(made[which].url, { method: 'POST', body: req.body, headers: req.headers });
			const text = await r.text();
			const ms = Number(process.hrtime.bigint() - t0) / 1e6;
			if (r.status !== 200 || /duplicate/.test(text)) throw new Error(`memory ${which}: answered ${r.status} ${text.slice(0, 200)}`);
			return ms;
		};
		for (let i = 0; i < 3; i++) for (const which of ['empty', 'full']) await send(which);
		for (let i = 0; i < sequential; i++) {
			const order = i % 2 === 0 ? ['empty', 'full'] : ['full', 'empty'];
			for (const which of order) lat[which].push(await send(which));
		}
		await idle(n8n);
		// (b) throughput, CPU per accepted delivery
		const order = c % 2 === 0 ? ['empty', 'full'] : ['full', 'empty'];
		for (const which of order) {
			const target = { label: `memory ${which}`, url: made[which].url, setupRequest: upliftRequest(csvUrl) };
			if (warmup > 0) await cannon({ url: target.url, setupRequest: target.setupRequest, duration: warmup });
			const cpu0 = pgid ? groupCpuMs(pgid) : null;
			const res = summarise(await cannon({ url: target.url, setupRequest: target.setupRequest, duration }));
			await idle(n8n); // its executions end and save their static data
			const cpu1 = pgid ? groupCpuMs(pgid) : null;
			res.cpuMs = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0;
			res.cpuMsPerDelivery = res.cpuMs === null ? null : res.cpuMs / res.ok;
			log(
				`  ${target.label.padEnd(28)} ${res.rps.toFixed(1).padStart(7)} req/s  p50 ${res.p50} ms  p99 ${res.p99} ms  CPU ${res.cpuMsPerDelivery === null ? 'n/a' : res.cpuMsPerDelivery.toFixed(2)} ms/delivery  non-2xx ${res.non2xx}`,
			);
			seg[which].push(res);
		}
		for (const which of ['empty', 'full']) {
			cycle[`${which}KeysAtEnd`] = persistedKeyCount((await staticDataOf(n8n, made[which].wf.id))[`node:${nodeName}`]);
			cycle[`${which}StaticDataBytesAtEnd`] = Buffer.byteLength(JSON.stringify(await staticDataOf(n8n, made[which].wf.id)));
			cycle[`${which}Executions`] = (await countExecutions(n8n, made[which].wf.id)).count;
			await n8n.deactivate(made[which].wf.id);
		}
		out.cycles.push(cycle);
	}
	for (const which of ['empty', 'full']) {
		const segments = seg[which];
		const cpuMs = segments.reduce((a, x) => a + (x.cpuMs || 0), 0);
		const ok = segments.reduce((a, x) => a + x.ok, 0);
		out[which] = {
			...combine(segments),
			cpuMsPerDelivery: pgid ? cpuMs / ok : null,
			cpuSegments: segments.map((x) => x.cpuMsPerDelivery),
			sequentialMs: {
				n: lat[which].length,
				median: median(lat[which]),
				p90: [...lat[which]].sort((a, b) => a - b)[Math.floor(lat[which].length * 0.9)],
			},
		};
	}
	out.ratios = {
		cpuPerDelivery: out.full.cpuMsPerDelivery / out.empty.cpuMsPerDelivery,
		// time per delivery at saturation = 1 / throughput
		timePerDeliveryAtSaturation: out.empty.rps / out.full.rps,
		sequentialLatency: out.full.sequentialMs.median / out.empty.sequentialMs.median,
	};
	log(
		`memory full/empty: CPU per delivery ${out.ratios.cpuPerDelivery.toFixed(3)}×, time per delivery at saturation ${out.ratios.timePerDeliveryAtSaturation.toFixed(3)}×, ack latency one at a time ${out.ratios.sequentialLatency.toFixed(3)}×`,
	);
	return out;
}

// ---------- workflows ----------

function webhookNodeWorkflow() {
	const webhookPath = crypto.randomUUID();
	const name = 'Webhook';
	return {
		path: webhookPath,
		workflow: {
			name: 'bench (1) baseline: Webhook node',
			nodes: [
				{
					id: crypto.randomUUID(),
					name,
					type: 'n8n-nodes-base.webhook',
					typeVersion: 2.1,
					position: [0, 0],
					webhookId: crypto.randomUUID(),
					parameters: { httpMethod: 'POST', path: webhookPath, responseMode: 'onReceived', options: {} },
				},
				setNode(),
			],
			connections: { [name]: { main: [[{ node: SET_NODE, type: 'main', index: 0 }]] } },
			settings: { executionOrder: 'v1' },
		},
	};
}

/** The typeVersion a user gets when adding the node today (description.defaultVersion, else the newest). */
function defaultTypeVersion(nodeFile) {
	const mod = require(path.join(REPO_ROOT, nodeFile));
	const Cls = Object.values(mod).find((v) => typeof v === 'function');
	const d = new Cls().description;
	return d.defaultVersion ?? (Array.isArray(d.version) ? Math.max(...d.version) : d.version);
}

async function idle(n8n, ms = 2500) {
	// let executions of the previous segment finish and their rows be written
	await sleep(ms);
}

async function countExecutions(n8n, workflowId) {
	const list = await n8n.listExecutions(workflowId, { includeData: false });
	const byStatus = {};
	for (const e of list) byStatus[e.status] = (byStatus[e.status] || 0) + 1;
	return { count: list.length, byStatus };
}

/**
 * @param {{duration:number, warmup:number, cycles:number, floodSeconds:number, slowCsvMs:number}} cfg
 */
async function runN8nBench(cfg) {
	const {
		duration,
		warmup,
		cycles,
		floodSeconds,
		slowCsvMs,
		env = {},
		slowFollowUp = true,
		label = 'n8n defaults',
		memoryCycles = cycles,
		sequentialPerCycle = 20,
	} = cfg;
	const result = {
		label,
		config: { duration, warmup, cycles, floodSeconds, slowCsvMs, env, memoryCycles, sequentialPerCycle },
		started: new Date().toISOString(),
	};
	log(
		`=== ${label}${
			Object.keys(env).length
				? ` (${Object.entries(env)
						.map(([k, v]) => `${k}=${v}`)
						.join(' ')})`
				: ''
		} ===`,
	);
	const uplift = await fakeUplift.start({ apiKey: UPLIFT_API_KEY });
	const uphance = await fakeUphance.start({});
	for (let id = 1; id <= UPHANCE_RECORD_IDS + 1; id++) uphance.setRecord('pick_ticket', id);
	const n8n = new N8nInstance({
		name: 'bench',
		quiet: true,
		build: false,
		env: { N8N_LOG_LEVEL: process.env.N8N_LOG_LEVEL || 'info', ...env },
	});
	try {
		const t0 = Date.now();
		await n8n.start();
		result.n8n = {
			version: n8n.version,
			node: n8n.info.nodeVersion,
			bootSeconds: n8n.bootMs / 1000,
			setupSeconds: (Date.now() - t0) / 1000,
		};

		// (1) baseline
		const base = webhookNodeWorkflow();
		const baseWf = await n8n.createWorkflow(base.workflow);
		const baseUrl = `${n8n.baseUrl}/webhook/${base.path}`;
		await n8n.activate(baseWf.id, baseUrl);

		// (2) Uplift, CSV download off. Workflows use the typeVersion a user gets today (typeVersion 1
		// costs n8n an expression isolate per request: bench/notes.md §2), with the credential type
		// that version reads its signing secret from.
		const upliftVersion = cfg.typeVersion ?? defaultTypeVersion('dist/nodes/UpliftTrigger/UpliftTrigger.node.js');
		result.typeVersions = { uplift: upliftVersion };
		const credRef = await createUpliftTriggerCredential(n8n, { signingSecret: SECRET });
		const makeUplift = async (name, staticData) => {
			const w = triggerToSet({
				nodeName: 'upliftTrigger',
				triggerName: 'Uplift Trigger',
				name,
				parameters: { events: ['*'], verifySignature: true, options: { downloadCsv: false } },
				credential: credRef,
			});
			w.workflow.nodes[0].typeVersion = upliftVersion;
			if (staticData) w.workflow.staticData = staticData;
			const wf = await n8n.createWorkflow(w.workflow);
			const url = n8n.webhookUrl(w.webhookId);
			await n8n.activate(wf.id, url);
			return { wf, url };
		};
		const { wf: upWf, url: upUrl } = await makeUplift('bench (2) Uplift Trigger');

		// Uplift with CSV download on (for the slow follow-up case)
		const upCsv = triggerToSet({
			nodeName: 'upliftTrigger',
			triggerName: 'Uplift Trigger',
			name: 'bench Uplift Trigger + CSV download',
			parameters: { events: ['*'], verifySignature: true, options: { downloadCsv: true } },
			credential: credRef,
		});
		upCsv.workflow.nodes[0].typeVersion = upliftVersion;
		const upCsvWf = await n8n.createWorkflow(upCsv.workflow);
		const upCsvUrl = n8n.webhookUrl(upCsv.webhookId);
		await n8n.activate(upCsvWf.id, upCsvUrl);

		// (3) Uphance
		let uphTarget = null;
		let uphWf = null;
		if (uphanceAvailable()) {
			const uphCred = await n8n.createCredential('uphanceApi', 'Uphance (bench)', {
				email: uphance.email,
				password: uphance.password,
				organisationId: String(uphance.organisations[0].id),
				urlToken: URL_TOKEN,
				baseUrl: uphance.url,
			});
			const makeUphance = async (typeVersion, name) => {
				const w = triggerToSet({
					nodeName: 'uphanceTrigger',
					triggerName: 'Uphance Trigger',
					name,
					parameters: { events: ['*'], requireUrlToken: true, fetchRecord: true, acknowledge: 'afterFetch' },
					credential: { type: 'uphanceApi', id: uphCred.id, name: uphCred.name },
				});
				w.workflow.nodes[0].typeVersion = typeVersion;
				const wf = await n8n.createWorkflow(w.workflow);
				const url = `${n8n.webhookUrl(w.webhookId)}?token=${URL_TOKEN}`;
				await n8n.activate(wf.id, url);
				return { wf, url };
			};
			const uphanceVersion = cfg.typeVersion ?? defaultTypeVersion('dist/nodes/UphanceTrigger/UphanceTrigger.node.js');
			result.typeVersions.uphance = uphanceVersion;
			const made = await makeUphance(uphanceVersion, 'bench (3) Uphance Trigger');
			uphWf = made.wf;
			uphTarget = { label: '(3) Uphance Trigger', url: made.url, setupRequest: uphanceRequest() };
		} else {
			log('Uphance Trigger is not built (dist/nodes/UphanceTrigger/UphanceTrigger.node.js missing): skipping (3)');
		}

		// Sanity: one request each must be accepted as a new delivery.
		const csvUrlFast = uplift.csvUrl('uplift_data_export_bench');
		const targets = [
			{ key: 'baseline', label: '(1) Webhook node (baseline)', url: baseUrl, setupRequest: upliftRequest(csvUrlFast) },
			{ key: 'uplift', label: '(2) Uplift Trigger', url: upUrl, setupRequest: upliftRequest(csvUrlFast) },
		];
		if (uphTarget) targets.push({ key: 'uphance', ...uphTarget });
		for (const t of targets) {
			const req = t.setupRequest({});
			const r = await fetch(t.url, { method: 'POST', body: req.body, headers: req.headers });
			const text = await r.text();
			if (r.status !== 200) throw new Error(`${t.label}: sanity request answered ${r.status} ${text.slice(0, 300)}\n${n8n.logTail(30)}`);
			log(`${t.label}: sanity ${r.status} ${text.slice(0, 80)}`);
		}

		// Interleaved throughput segments
		log(`throughput: ${cycles} cycles × ${targets.length} workflows × (${warmup} s warm-up + ${duration} s), 10 connections`);
		const segs = Object.fromEntries(targets.map((t) => [t.key, []]));
		for (let c = 0; c < cycles; c++) {
			const order = c % 2 === 0 ? targets : [...targets].reverse();
			for (const t of order) {
				segs[t.key].push(await segment(t, { warmup, duration }));
				await idle(n8n);
			}
		}
		result.throughput = Object.fromEntries(Object.entries(segs).map(([k, v]) => [k, combine(v)]));
		if (!uphTarget) result.throughput.uphance = null;

		// The duplicate memory: what a full one costs per accepted delivery against an empty one
		if (memoryCycles > 0)
			result.memory = await memoryCost(n8n, {
				makeUplift,
				cycles: memoryCycles,
				warmup,
				duration,
				sequential: sequentialPerCycle,
				csvUrl: csvUrlFast,
			});

		// Duplicate flood: one delivery, accepted once, then repeated
		const flood = async (wf, url, label) => {
			const dupBody = upliftBody(csvUrlFast);
			const dupHeaders = { 'content-type': 'application/json', 'x-uplift-signature-256': fakeUplift.sign(SECRET, dupBody) };
			const first = await fetch(url, { method: 'POST', body: dupBody, headers: dupHeaders });
			await first.text();
			await idle(n8n, 1000);
			const before = await countExecutions(n8n, wf.id);
			const res = await segment(
				{ label, url, setupRequest: fixedRequest(dupBody, dupHeaders) },
				{ warmup: Math.min(warmup, 2), duration: floodSeconds },
			);
			await idle(n8n);
			const after = await countExecutions(n8n, wf.id);
			return { ...res, executionsStarted: after.count - before.count };
		};
		result.duplicateFlood = await flood(upWf, upUrl, 'duplicate flood (Uplift)');

		// Slow follow-up: the CSV server answers at once, or after slowCsvMs
		if (slowFollowUp) {
			const slowCycles = Math.min(cycles, 2);
			log(`slow follow-up: CSV download on, CSV server fast vs ${slowCsvMs} ms, ${slowCycles} cycles`);
			const fastSegs = [];
			const slowSegs = [];
			const csvTarget = { url: upCsvUrl, setupRequest: upliftRequest(csvUrlFast) };
			for (let c = 0; c < slowCycles; c++) {
				const order = c % 2 === 0 ? ['fast', 'slow'] : ['slow', 'fast'];
				for (const which of order) {
					uplift.setCsvDelay(which === 'slow' ? slowCsvMs : 0);
					const seg = await segment(
						{ ...csvTarget, label: `Uplift + CSV (${which === 'slow' ? `${slowCsvMs / 1000} s` : 'fast'})` },
						{ warmup, duration },
					);
					(which === 'slow' ? slowSegs : fastSegs).push(seg);
					await idle(n8n, which === 'slow' ? slowCsvMs + 3000 : 2500);
				}
			}
			uplift.setCsvDelay(0);
			result.slowFollowUp = {
				fast: combine(fastSegs),
				slow: combine(slowSegs),
				csvDelayMs: slowCsvMs,
				csvRequests: uplift.csvRequests().length,
			};
		}

		// What the runs left behind: executions per workflow and their status
		await idle(n8n, 3000);
		result.executions = {
			baseline: await countExecutions(n8n, baseWf.id),
			uplift: await countExecutions(n8n, upWf.id),
			upliftCsv: await countExecutions(n8n, upCsvWf.id),
			uphance: uphWf ? await countExecutions(n8n, uphWf.id) : null,
		};
		result.uphanceApiRequests = uphance.requests.length;
		result.uphanceTokenRequests = uphance.tokenRequests().length;
		const dbFile = path.join(n8n.folder, '.n8n', 'database.sqlite');
		result.databaseBytes = fs.existsSync(dbFile) ? fs.statSync(dbFile).size : null;
		const wfRow = await n8n.getWorkflow(upWf.id);
		result.upliftStaticDataBytes = Buffer.byteLength(JSON.stringify(wfRow.staticData || {}));
		result.finished = new Date().toISOString();
		return result;
	} catch (e) {
		e.message += `\n${n8n.logTail(40)}`;
		throw e;
	} finally {
		await n8n.stop();
		await uplift.close();
		await uphance.close();
	}
}

module.exports = { runN8nBench };
