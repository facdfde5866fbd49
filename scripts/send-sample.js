#!/usr/bin/env node
'use strict';
/**
 * Send a realistic sample webhook to an n8n production URL.
 *
 *   npm run send-sample -- uplift  [url] [--secret S] [--id EVENT_ID] [--type T] [--csv-url U] [--repeat N] [--no-sign] [--bad-signature]
 *   npm run send-sample -- uphance [url] [--token T] [--event pick_ticket_update] [--id RECORD_ID] [--repeat N]
 *
 * Without a url, the URLs printed by `npm run demo` are used (read from .e2e/demo/urls.json).
 * Uplift: signs the exact body with HMAC-SHA256 in `x-uplift-signature-256: sha256=<hex>`; the secret
 *   comes from --secret, env UPLIFT_SIGNING_SECRET, or the demo's secret.
 * Uphance: appends `?token=<token>` (from --token, env UPHANCE_URL_TOKEN, or the demo's token) unless
 *   the URL already has a token parameter.
 * --repeat N sends the same delivery N times (shows de-duplication).
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
			'  npm run send-sample -- uplift  [url] [--secret S] [--id EVENT_ID] [--type movement.analytics.created|webhook.created] [--csv-url U] [--repeat N] [--no-sign] [--bad-signature]\n' +
			'  npm run send-sample -- uphance [url] [--token T] [--event pick_ticket_update] [--id RECORD_ID] [--repeat N]\n' +
			'Without a url the demo URLs from .e2e/demo/urls.json are used (start `npm run demo` first).',
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
	let url = args._[1] || (demo && demo[vendor] && demo[vendor].url);
	if (!url) usage(`no URL given and ${path.relative(process.cwd(), URLS_FILE)} not found (run \`npm run demo\` first, or pass the webhook URL)`);
	const repeat = Math.max(1, Number(args.repeat || 1));

	if (vendor === 'uplift') {
		const { buildEvent, sign } = require('../test/support/fakeUplift');
		const secret = args.secret || process.env.UPLIFT_SIGNING_SECRET || (demo && demo.uplift && demo.uplift.secret) || DEMO_UPLIFT_SECRET;
		const csvUrl = args['csv-url'] || (demo && demo.uplift && demo.uplift.csvUrl) || undefined;
		const event = buildEvent({ id: args.id || crypto.randomUUID(), type: args.type, csvUrl, athleteName: 'sample athlete' });
		const body = JSON.stringify(event);
		const headers = { 'content-type': 'application/json', 'user-agent': 'send-sample (Uplift-like)' };
		if (!args['no-sign']) headers['x-uplift-signature-256'] = args['bad-signature'] ? sign(secret + 'x', body) : sign(secret, body);
		console.log(`POST ${url}`);
		console.log(`event ${event.type} id=${event.id}${args['no-sign'] ? ' (unsigned)' : args['bad-signature'] ? ' (WRONG signature)' : ' (signed)'}`);
		for (let i = 0; i < repeat; i++) await send(url, body, headers);
		return;
	}

	const { sampleRecord, buildWebhookBody } = require('../test/support/fakeUphance');
	const token = args.token || process.env.UPHANCE_URL_TOKEN || (demo && demo.uphance && demo.uphance.token);
	const u = new URL(url);
	if (token && !u.searchParams.has('token')) u.searchParams.set('token', token);
	url = u.toString();
	const event = args.event || 'pick_ticket_update';
	const resource = event.replace(/_(create|update|delete)$/, '');
	const id = Number(args.id || (demo && demo.uphance && demo.uphance.sampleIds && demo.uphance.sampleIds[resource]) || 123456);
	const record = resource === 'pick_ticket' || ['receiving_ticket', 'product', 'customer', 'credit_note', 'invoice', 'sales_order'].includes(resource)
		? sampleRecord(resource, id)
		: { id };
	const body = JSON.stringify(buildWebhookBody(event, record));
	console.log(`POST ${url.replace(/token=[^&]+/, 'token=***')}`);
	console.log(`event ${event} ${resource}.id=${id}`);
	for (let i = 0; i < repeat; i++) await send(url, body, { 'content-type': 'application/json', 'user-agent': 'send-sample (Uphance-like)' });
}

if (require.main === module) main();

module.exports = { DEMO_UPLIFT_SECRET };
