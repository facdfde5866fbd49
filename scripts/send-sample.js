#!/usr/bin/env node
'use strict';
/**
 * Send a realistic sample webhook to an n8n production URL.
 *
 *   npm run send-sample -- uplift  [url] [--secret S] [--id EVENT_ID] [--type T] [--csv-url U] [--repeat N] [--no-sign] [--bad-signature]
 *   npm run send-sample -- uphance [url] [--token T] [--event pick_ticket_update] [--id RECORD_ID] [--repeat N]
 *
 * Without a url, the URLs printed by `npm run demo` are used (read from .e2e/demo/urls.json, which the
 * demo writes and removes when it stops; git-ignored): the same delivery goes to each of the demo's
 * workflows with a trigger of that vendor, one after the other.
 * Uplift: signs the exact body with HMAC-SHA256 in `x-uplift-signature-256: sha256=<hex>`; the secret
 *   comes from --secret, env UPLIFT_SIGNING_SECRET, or the demo's secret. --type defaults to
 *   movement.analytics.created, the one type the demo's Uplift workflows select; another type is
 *   answered 200 "ignored" and starts nothing.
 * Uphance: appends `?token=<token>` (from --token, env UPHANCE_URL_TOKEN, or the demo's token) unless
 *   the URL already has a token parameter.
 * --repeat N sends the same delivery N times (shows de-duplication).
 * Against the demo's URLs, after each answer it asks n8n's public API (with the demo's API key)
 * whether an execution started, waits for it to finish, and prints its status and editor link.
 */
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const REPO_ROOT = path.resolve(__dirname, '..');
const URLS_FILE = path.join(REPO_ROOT, '.e2e', 'demo', 'urls.json');
const DEMO_UPLIFT_SECRET = 'demo-uplift-signing-secret-5f0c1d2e3a4b';

function usage(msg) {
	if (msg) console.error(`send-sample: ${msg}\n`);
	console.error(
		'Usage:\n' +
			'  npm run send-sample -- uplift  [url] [--secret S] [--id EVENT_ID] [--type TYPE] [--csv-url U] [--repeat N] [--no-sign] [--bad-signature]\n' +
			'  npm run send-sample -- uphance [url] [--token T] [--event pick_ticket_update] [--id RECORD_ID] [--repeat N]\n' +
			'Without a url the delivery goes to each of the demo\'s workflows of that vendor (URLs from\n' +
			'.e2e/demo/urls.json; start `npm run demo` first), and the execution each delivery started (if any)\n' +
			'is reported with its editor link.\n' +
			'--type defaults to movement.analytics.created, the only type the demo\'s Uplift workflows select;\n' +
			'any other type (e.g. webhook.created) is answered 200 "ignored" and starts no execution.',
	);
	process.exit(2);
}

function parseArgs(argv) {
	const out = { _: [] };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '-h' || a === '--help') usage();
		if (a.startsWith('--')) {
			const eq = a.indexOf('=');
			if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1);
			else if (['no-sign', 'bad-signature'].includes(a.slice(2))) out[a.slice(2)] = true;
			else {
				if (i + 1 >= argv.length) usage(`${a} needs a value`);
				out[a.slice(2)] = argv[++i];
			}
		} else out._.push(a);
	}
	return out;
}

function readDemoUrls() {
	try {
		return JSON.parse(fs.readFileSync(URLS_FILE, 'utf8'));
	} catch {
		return null;
	}
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * How to look up executions for `url`: only when it is the demo's URL for this vendor and the demo
 * wrote its API key. Returns { base, apiKey, workflowId } or null.
 */
function executionLookup(demo, vendor, url) {
	if (!demo || !demo.n8n || !demo.n8n.apiKey) return null;
	const u = new URL(url);
	const v = demoWorkflows(demo, vendor).find((w) => w.url === `${u.origin}${u.pathname}`);
	if (!v || !v.workflowId) return null;
	return { base: demo.n8n.url, apiKey: demo.n8n.apiKey, workflowId: String(v.workflowId) };
}

/** The demo's workflows with a trigger of this vendor (`workflows`, or the single `uplift`/`uphance` entry an older demo wrote). */
function demoWorkflows(demo, vendor) {
	if (!demo) return [];
	if (Array.isArray(demo.workflows)) return demo.workflows.filter((w) => w.vendor === vendor && w.url);
	return demo[vendor] && demo[vendor].url ? [demo[vendor]] : [];
}

/** A line naming the demo workflow a URL belongs to, when there is more than one to send to. */
function announce(target, count) {
	if (count > 1 && target.workflow) console.log(`\n=== workflow "${target.workflow}"${target.file ? ` (${target.file})` : ''}`);
}

async function n8nApi(lookup, p) {
	const r = await fetch(`${lookup.base}/api/v1${p}`, {
		headers: { 'X-N8N-API-KEY': lookup.apiKey, accept: 'application/json' },
		signal: AbortSignal.timeout(10000),
	});
	if (!r.ok) throw new Error(`GET /api/v1${p} answered ${r.status}`);
	return r.json();
}

/** Ids of the workflow's newest executions. n8n's list leaves running ones out unless asked for them. */
async function executionIds(lookup) {
	const q = `/executions?workflowId=${encodeURIComponent(lookup.workflowId)}&limit=100`;
	const [done, running] = await Promise.all([n8nApi(lookup, q), n8nApi(lookup, `${q}&status=running`)]);
	return new Set([...(done.data || []), ...(running.data || [])].map((e) => String(e.id)));
}

/** Prints whether an execution started since `before` (ids), then its final status and editor link. */
async function reportExecution(lookup, before, answerStatus) {
	// n8n 2.x stores the execution before it answers; the short wait only covers slow databases.
	const deadline = Date.now() + (answerStatus === 200 ? 3000 : 1000);
	let started = [];
	for (;;) {
		started = [...(await executionIds(lookup))].filter((id) => !before.has(id));
		if (started.length || Date.now() > deadline) break;
		await sleep(250);
	}
	if (!started.length) {
		console.log('-> no execution started');
		return;
	}
	for (const id of started.sort((a, b) => Number(a) - Number(b))) {
		let e;
		const until = Date.now() + 60000;
		for (;;) {
			e = await n8nApi(lookup, `/executions/${encodeURIComponent(id)}`);
			if (!['new', 'running'].includes(e.status) || Date.now() > until) break;
			await sleep(300);
		}
		const ms = e.stoppedAt && e.startedAt ? ` in ${((Date.parse(e.stoppedAt) - Date.parse(e.startedAt)) / 1000).toFixed(1)} s` : '';
		const state = ['new', 'running'].includes(e.status) ? `still ${e.status} after 60 s` : `status ${e.status}${ms}`;
		console.log(`-> execution ${id} started, ${state}`);
		if (e.status === 'error' || e.status === 'crashed') {
			try {
				const full = await n8nApi(lookup, `/executions/${encodeURIComponent(id)}?includeData=true`);
				const rd = (full.data && full.data.resultData) || {};
				if (rd.error) console.log(`   error in node "${rd.lastNodeExecuted}": ${String(rd.error.message).slice(0, 300)}`);
			} catch {
				/* the link below shows it */
			}
		}
		console.log(`   ${lookup.base}/workflow/${lookup.workflowId}/executions/${id}`);
	}
}

/** POSTs once; with `lookup`, reports the execution the delivery started. */
async function sendAndReport(url, body, headers, lookup) {
	let before = null;
	if (lookup) {
		try {
			before = await executionIds(lookup);
		} catch (err) {
			console.log(`(cannot read executions from ${lookup.base}: ${err.message}; is the demo still running?)`);
		}
	}
	const status = await send(url, body, headers);
	if (status === null || !before) return;
	try {
		await reportExecution(lookup, before, status);
	} catch (err) {
		console.log(`(cannot read executions from ${lookup.base}: ${err.message})`);
	}
}

async function send(url, body, headers) {
	const t0 = Date.now();
	let res;
	try {
		res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(30000) });
	} catch (err) {
		console.error(`POST ${url} failed: ${err.cause ? err.cause.code || err.cause.message : err.message}`);
		console.error('Is n8n running (npm run demo) and is the workflow active?');
		process.exitCode = 1;
		return null;
	}
	const text = await res.text();
	console.log(`HTTP ${res.status} ${res.statusText} (${Date.now() - t0} ms)`);
	console.log(text === '' ? '(empty body)' : text);
	if (res.status >= 400) process.exitCode = 1;
	return res.status;
}

async function main() {
	const args = parseArgs(process.argv.slice(2));
	const vendor = (args._[0] || '').toLowerCase();
	if (!['uplift', 'uphance'].includes(vendor)) usage(vendor ? `unknown vendor "${vendor}"` : 'missing vendor');
	const demo = readDemoUrls();
	// one URL given, or each of the demo's workflows of this vendor
	const targets = args._[1] ? [{ url: args._[1] }] : demoWorkflows(demo, vendor);
	if (!targets.length) usage(`no URL given and ${path.relative(process.cwd(), URLS_FILE)} not found (run \`npm run demo\` first, or pass the webhook URL)`);
	const repeat = Math.max(1, Number(args.repeat || 1));

	if (vendor === 'uplift') {
		const { buildEvent, sign } = require('../test/support/fakeUplift');
		const secret = args.secret || process.env.UPLIFT_SIGNING_SECRET || (demo && demo.uplift && demo.uplift.secret) || DEMO_UPLIFT_SECRET;
		const csvUrl = args['csv-url'] || (demo && demo.uplift && demo.uplift.csvUrl) || undefined;
		const event = buildEvent({ id: args.id || crypto.randomUUID(), type: args.type, csvUrl, athleteName: 'sample athlete' });
		const body = JSON.stringify(event);
		const headers = { 'content-type': 'application/json', 'user-agent': 'send-sample (Uplift-like)' };
		if (!args['no-sign']) headers['x-uplift-signature-256'] = args['bad-signature'] ? sign(secret + 'x', body) : sign(secret, body);
		for (const target of targets) {
			announce(target, targets.length);
			console.log(`POST ${target.url}`);
			console.log(`event ${event.type} id=${event.id}${args['no-sign'] ? ' (unsigned)' : args['bad-signature'] ? ' (WRONG signature)' : ' (signed)'}`);
			const selected = target.events;
			if (Array.isArray(selected) && !selected.includes('*') && !selected.includes(event.type))
				console.log(`(this demo workflow selects only ${selected.join(', ')}: expect 200 "ignored" and no execution)`);
			const lookup = executionLookup(demo, vendor, target.url);
			for (let i = 0; i < repeat; i++) await sendAndReport(target.url, body, headers, lookup);
		}
		return;
	}

	const { sampleRecord, buildWebhookBody } = require('../test/support/fakeUphance');
	const token = args.token || process.env.UPHANCE_URL_TOKEN || (demo && demo.uphance && demo.uphance.token);
	const event = args.event || 'pick_ticket_update';
	const resource = event.replace(/_(create|update|delete)$/, '');
	const id = Number(args.id || (demo && demo.uphance && demo.uphance.sampleIds && demo.uphance.sampleIds[resource]) || 123456);
	const record = resource === 'pick_ticket' || ['receiving_ticket', 'product', 'customer', 'credit_note', 'invoice', 'sales_order'].includes(resource)
		? sampleRecord(resource, id)
		: { id };
	const body = JSON.stringify(buildWebhookBody(event, record));
	for (const target of targets) {
		announce(target, targets.length);
		const u = new URL(target.url);
		if (token && !u.searchParams.has('token')) u.searchParams.set('token', token);
		const url = u.toString();
		console.log(`POST ${url.replace(/token=[^&]+/, 'token=***')}`);
		console.log(`event ${event} ${resource}.id=${id}`);
		const selected = target.events;
		if (Array.isArray(selected) && !selected.includes('*') && !selected.includes(event))
			console.log(`(this demo workflow selects only ${selected.join(', ')}: expect 200 "ignored" and no execution)`);
		const lookup = executionLookup(demo, vendor, url);
		for (let i = 0; i < repeat; i++) await sendAndReport(url, body, { 'content-type': 'application/json', 'user-agent': 'send-sample (Uphance-like)' }, lookup);
	}
}

if (require.main === module) main();

module.exports = { DEMO_UPLIFT_SECRET, URLS_FILE };
