#!/usr/bin/env node
'use strict';
/**
 * The `npm run demo` runtime (scripts/demo.sh builds and provisions first, then runs this):
 * starts a fake Uphance API and a fake Uplift server, a real n8n on http://localhost:5678 (with
 * NODE_ENV=production) with this package installed as a community package, creates the owner, a
 * public API key and credentials pointing at the fakes, imports + activates examples/*.json, runs
 * the scheduled ones once now (as the editor's "Execute workflow" does), prints the webhook URLs,
 * the MCP server URLs with their bearer token (docs/mcp.md), the API key and send-sample commands, writes .e2e/demo/urls.json (git-ignored; send-sample reads
 * it) and stays up until Ctrl-C (which stops everything it started and removes that file).
 */
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const REPO_ROOT = path.resolve(__dirname, '..');
const { N8nInstance, assertPortFree, isPortFree, freePort, PACKAGE_NAME } = require('../test/support/n8nInstance');
const fakeUplift = require('../test/support/fakeUplift');
const fakeUphance = require('../test/support/fakeUphance');
const { runManually } = require('../test/support/manualRun');
const { nodeOutput } = require('../test/support/n8nInstance');
const { DEMO_UPLIFT_SECRET, URLS_FILE } = require('./send-sample');

const PORT = Number(process.env.N8N_DEMO_PORT || 5678);
const HOST = 'localhost';
const DEMO_UPHANCE_TOKEN = 'demo-uphance-url-token-7c41e9a2b8d3';
// the bearer token of the MCP server examples (one Bearer Auth credential for both)
const DEMO_MCP_TOKEN = 'demo-mcp-bearer-token-4e8a1c7d9b2f';
const MCP_TRIGGER = '@n8n/n8n-nodes-langchain.mcpTrigger';
const SAMPLE_ID = 123456;
// the Uplift example's Data Export Run pages 500 rows a call: 1200 rows take three pages
const DEMO_EXPORT_ROWS = 1200;
const OWNER = { email: 'demo@example.com', password: 'DemoPassw0rd!', firstName: 'Demo', lastName: 'Owner' };

const started = [];
let stopping = false;

function say(msg = '') {
	process.stdout.write(msg + '\n');
}

async function stopAll(code) {
	if (stopping) return;
	stopping = true;
	say('\n[demo] stopping n8n and the fake servers ...');
	fs.rmSync(URLS_FILE, { force: true });
	for (const s of started.reverse()) {
		try {
			await s();
		} catch (e) {
			say(`[demo] cleanup error: ${e.message}`);
		}
	}
	say('[demo] stopped.');
	process.exit(code);
}

/** Credential data for a credential type, filled from the compiled credential class's properties. */
function credentialData(type, fakes) {
	const pkg = require(path.join(REPO_ROOT, 'package.json'));
	let props = [];
	for (const rel of (pkg.n8n && pkg.n8n.credentials) || []) {
		const file = path.join(REPO_ROOT, rel);
		if (!fs.existsSync(file)) continue;
		const mod = require(file);
		for (const Cls of Object.values(mod)) {
			if (typeof Cls !== 'function' || !/^class\s/.test(Function.prototype.toString.call(Cls))) continue;
			try {
				const inst = new Cls();
				if (inst && inst.name === type) props = inst.properties || [];
			} catch {
				/* not a credential class */
			}
		}
	}
	if (type === 'upliftApi') {
		return { apiKey: fakes.uplift.apiKey, baseUrl: fakes.uplift.apiBaseUrl };
	}
	if (type === 'upliftWebhookApi') return { signingSecret: DEMO_UPLIFT_SECRET, previousSigningSecret: '' };
	if (type === 'httpBearerAuth') return { token: DEMO_MCP_TOKEN };
	if (type === 'uphanceApi') {
		const data = {};
		for (const p of props) {
			const n = p.name;
			if (p.type === 'notice' || p.type === 'hidden') continue;
			if (/email/i.test(n)) data[n] = fakes.uphance.email;
			else if (/password/i.test(n)) data[n] = fakes.uphance.password;
			else if (/org/i.test(n)) data[n] = p.type === 'number' ? 9579 : '9579';
			else if (/token|secret/i.test(n) && p.type === 'string') data[n] = DEMO_UPHANCE_TOKEN;
			else if (/url|base/i.test(n) && p.type === 'string') data[n] = fakes.uphance.url;
			else if (p.default !== undefined) data[n] = p.default;
		}
		if (!props.length) Object.assign(data, { email: fakes.uphance.email, password: fakes.uphance.password, organisationId: 9579, baseUrl: fakes.uphance.url, urlToken: DEMO_UPHANCE_TOKEN });
		return data;
	}
	return null;
}

async function main() {
	// Fail early and clearly if the port is taken.
	try {
		await assertPortFree(PORT, 'n8n editor/webhooks for the demo');
	} catch (e) {
		say(`[demo] ERROR: ${e.message}\n[demo] Another n8n may be running. Set N8N_DEMO_PORT=<port> to use a different port.`);
		process.exit(1);
	}
	const brokerPort = (await isPortFree(PORT + 1)) ? PORT + 1 : await freePort();

	process.on('SIGINT', () => stopAll(0));
	process.on('SIGTERM', () => stopAll(0));

	const uplift = await fakeUplift.start({ apiKey: 'sk_demo_' + crypto.randomBytes(8).toString('hex') });
	started.push(() => uplift.close());
	uplift.setCsv('uplift_data_export_demo', fakeUplift.DEFAULT_CSV);
	// what the action-node examples ask for: the capture send-sample's events name (Get Capture) and
	// an export job's rows (Data Export Run)
	uplift.setCapture(fakeUplift.DEFAULT_CAPTURE_ID, { activity: 'jump', movement: 'single_leg' });
	uplift.setExportRows(DEMO_EXPORT_ROWS);
	const uphance = await fakeUphance.start({ email: 'demo@uphance.example', password: 'uphance-demo-password' });
	started.push(() => uphance.close());
	for (const r of Object.keys(fakeUphance.RESOURCES)) uphance.setRecord(r, SAMPLE_ID);
	say(`[demo] fake Uplift (CSV files + /v1 API) on ${uplift.url}`);
	say(`[demo] fake Uphance API on ${uphance.url} (login ${uphance.email} / ${uphance.password}, organisation 9579)`);

	// NODE_ENV=production as in n8n's Docker image: without it n8n's own error answers (422, 500,
	// 404 for an unknown webhook) carry a `stacktrace` with the server's file paths.
	const n8n = new N8nInstance({
		name: 'demo',
		port: PORT,
		brokerPort,
		owner: OWNER,
		fresh: true,
		env: { N8N_HOST: HOST, WEBHOOK_URL: `http://${HOST}:${PORT}/`, NODE_ENV: 'production' },
	});
	started.push(() => n8n.stop());
	say(`[demo] starting n8n ${n8n.version} on http://${HOST}:${PORT} (log: .e2e/demo/n8n.log) ...`);
	await n8n.start();

	const fakes = { uplift, uphance };
	const creds = {};
	const credentialNames = {
		upliftApi: 'Uplift (demo fake)',
		upliftWebhookApi: 'Uplift webhook (demo)',
		uphanceApi: 'Uphance (demo fake)',
		httpBearerAuth: 'MCP bearer token (demo)',
	};
	for (const type of Object.keys(credentialNames)) {
		let data = credentialData(type, fakes);
		try {
			// keep only what the public API's schema accepts, with the types it wants
			const schema = await n8n.api('GET', `/credentials/schema/${type}`);
			const props = (schema && schema.properties) || {};
			const filtered = {};
			for (const [k, v] of Object.entries(data || {})) {
				if (!props[k]) continue;
				filtered[k] = props[k].type === 'string' && typeof v !== 'string' ? String(v) : v;
			}
			data = filtered;
		} catch {
			/* older n8n without the schema endpoint: send as is */
		}
		try {
			const c = await n8n.createCredential(type, credentialNames[type], data);
			creds[type] = { id: c.id, name: c.name };
			say(`[demo] credential ${type} created (id ${c.id})`);
		} catch (e) {
			say(`[demo] WARNING: could not create credential ${type}: ${e.message.slice(0, 300)}`);
		}
	}

	// The public API key n8nInstance created for the owner: send-sample uses it to report the execution.
	// `workflows`: every example workflow with a trigger of this package (send-sample sends to each
	// of a vendor's); `uplift`/`uphance`: the first of each vendor's, for older send-sample copies.
	const urls = { n8n: { url: `http://${HOST}:${PORT}`, email: OWNER.email, password: OWNER.password, apiKey: n8n.apiKey }, workflows: [], mcp: [] };
	const scheduled = [];
	const exampleDir = path.join(REPO_ROOT, 'examples');
	const files = fs.existsSync(exampleDir) ? fs.readdirSync(exampleDir).filter((f) => f.endsWith('.json')).sort() : [];
	if (!files.length) say('[demo] WARNING: no examples/*.json workflows found');
	for (const f of files) {
		let wf;
		try {
			wf = JSON.parse(fs.readFileSync(path.join(exampleDir, f), 'utf8'));
		} catch (e) {
			say(`[demo] WARNING: ${f} is not valid JSON: ${e.message}`);
			continue;
		}
		if (!Array.isArray(wf.nodes)) continue;
		const hooks = [];
		for (const node of wf.nodes) {
			for (const ctype of Object.keys(node.credentials || {})) {
				if (creds[ctype]) node.credentials[ctype] = { ...creds[ctype] };
				else say(`[demo] WARNING: ${f}: node "${node.name}" uses credential type ${ctype}, which the demo did not create`);
			}
			// this package's triggers only: its action nodes (uphance, uplift) have no webhook
			if (typeof node.type === 'string' && node.type.startsWith(`${PACKAGE_NAME}.`) && /Trigger$/.test(node.type)) {
				if (!node.webhookId) {
					const h = crypto.createHash('sha256').update(`${f}:${node.name}`).digest('hex');
					node.webhookId = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
				}
				const short = node.type.slice(PACKAGE_NAME.length + 1);
				const vendor = /^uplift/i.test(short) ? 'uplift' : /^uphance/i.test(short) ? 'uphance' : null;
				hooks.push({ vendor, url: `http://${HOST}:${PORT}/webhook/${node.webhookId}/webhook`, node });
			}
		}
		let created;
		try {
			created = await n8n.createWorkflow(wf);
			await n8n.activate(created.id, hooks.map((h) => h.url.replace(`${HOST}:`, '127.0.0.1:')));
			say(`[demo] workflow "${wf.name}" imported and active (id ${created.id}) from examples/${f}`);
		} catch (e) {
			say(`[demo] WARNING: workflow from examples/${f} could not be ${created ? 'activated' : 'created'}: ${e.message.slice(0, 400)}`);
			if (!created) continue;
		}
		for (const h of hooks) {
			if (!h.vendor) continue;
			const events = (h.node.parameters && h.node.parameters.events) || ['*'];
			const entry =
				h.vendor === 'uplift'
					? { url: h.url, secret: DEMO_UPLIFT_SECRET, csvUrl: uplift.csvUrl('uplift_data_export_demo'), workflowId: created.id, workflow: wf.name, file: `examples/${f}`, events }
					: { url: h.url, token: DEMO_UPHANCE_TOKEN, workflowId: created.id, workflow: wf.name, file: `examples/${f}`, events, sampleIds: Object.fromEntries(Object.keys(fakeUphance.RESOURCES).map((r) => [r, SAMPLE_ID])) };
			urls.workflows.push({ vendor: h.vendor, ...entry });
			if (!urls[h.vendor]) urls[h.vendor] = entry;
		}
		// an MCP Server Trigger serves its connected tools on /mcp/<path> (docs/mcp.md)
		for (const node of wf.nodes.filter((n) => n.type === MCP_TRIGGER)) {
			const tools = Object.entries(wf.connections || {}).filter(([, c]) => (c.ai_tool || []).some((out) => out.some((to) => to.node === node.name)));
			urls.mcp.push({ url: `http://${HOST}:${PORT}/mcp/${node.parameters.path}`, token: DEMO_MCP_TOKEN, workflowId: created.id, workflow: wf.name, file: `examples/${f}`, tools: tools.map(([name]) => name.replace(/[^a-zA-Z0-9_-]+/g, '_')) });
		}
		const schedule = wf.nodes.find((n) => n.type === 'n8n-nodes-base.scheduleTrigger');
		if (schedule) scheduled.push({ id: created.id, name: wf.name, file: `examples/${f}`, trigger: schedule.name, nodes: wf.nodes });
	}

	// A schedule does not fire while you watch: run each scheduled example once now, through the
	// endpoint the editor's "Execute workflow" button uses.
	for (const s of scheduled) {
		try {
			const t0 = Date.now();
			const e = await runManually(n8n, s.id, s.trigger, { timeoutMs: 180000 });
			const last = s.nodes.find((n) => n.type.startsWith(`${PACKAGE_NAME}.`) && !/Trigger$/.test(n.type));
			const out = last ? nodeOutput(e, last.name) : null;
			s.result = `execution ${e.id}, status ${e.status} in ${((Date.now() - t0) / 1000).toFixed(1)} s${out ? `, "${last.name}" output ${out.length} items` : ''}`;
			if (e.status !== 'success') {
				const rd = (e.data && e.data.resultData) || {};
				if (rd.error) s.result += ` (error in "${rd.lastNodeExecuted}": ${String(rd.error.message).slice(0, 200)})`;
			}
			s.executionId = e.id;
		} catch (err) {
			s.result = `could not be run now: ${err.message.slice(0, 300)}`;
		}
		say(`[demo] ran "${s.name}" once now: ${s.result}`);
	}
	// .e2e/ is git-ignored; the file holds the demo's secrets and API key, so only the owner may read it.
	fs.mkdirSync(path.join(REPO_ROOT, '.e2e', 'demo'), { recursive: true });
	fs.writeFileSync(URLS_FILE, JSON.stringify(urls, null, 2) + '\n', { mode: 0o600 });
	fs.chmodSync(URLS_FILE, 0o600);

	say('');
	say('================================================================================');
	say(` n8n is running:   http://${HOST}:${PORT}`);
	say(` log in with:      ${OWNER.email} / ${OWNER.password}`);
	say(` public API key:   ${n8n.apiKey}`);
	say(`                   (header X-N8N-API-KEY, e.g. curl -H "X-N8N-API-KEY: <key>" http://${HOST}:${PORT}/api/v1/executions)`);
	say('');
	const listWorkflows = (vendor) => {
		for (const w of urls.workflows.filter((x) => x.vendor === vendor)) {
			say(`   "${w.workflow}" (${w.file}), http://${HOST}:${PORT}/workflow/${w.workflowId}`);
			say(`     ${w.url}${vendor === 'uphance' ? `?token=${DEMO_UPHANCE_TOKEN}` : ''}`);
			say(`     events: ${w.events.includes('*') ? 'all' : w.events.join(', ')}`);
		}
	};
	if (urls.uplift) {
		say(' Uplift Trigger production webhook URLs:');
		listWorkflows('uplift');
		say(`   signing secret: ${DEMO_UPLIFT_SECRET}`);
		say('   send a signed movement.analytics.created event (to each workflow above):');
		say('     npm run send-sample -- uplift');
		say('   the same delivery 3 times (1 execution, then duplicates):  npm run send-sample -- uplift --repeat 3');
		say('   a forged one (401, no execution):                          npm run send-sample -- uplift --bad-signature');
		say('   a type these workflows do not select (200, no execution): npm run send-sample -- uplift --type webhook.created');
		say('');
	}
	if (urls.uphance) {
		say(' Uphance Trigger production webhook URLs (paste one into Uphance > Apps > Uphance API > New Webhook):');
		listWorkflows('uphance');
		say('   send a pick_ticket_update event (to each workflow above; the record is fetched from the fake Uphance API):');
		say('     npm run send-sample -- uphance');
		say('   other events:  npm run send-sample -- uphance --event invoice_update');
		say('');
	}
	if (urls.mcp.length) {
		say(' MCP servers (streamable HTTP; give an MCP client the URL and the header, docs/mcp.md):');
		for (const m of urls.mcp) {
			say(`   "${m.workflow}" (${m.file}), http://${HOST}:${PORT}/workflow/${m.workflowId}`);
			say(`     ${m.url}`);
			say(`     tools: ${m.tools.join(', ')}`);
		}
		say(`   header: Authorization: Bearer ${DEMO_MCP_TOKEN}`);
		say('');
	}
	for (const s of scheduled) {
		say(` Scheduled: "${s.name}" (${s.file}), http://${HOST}:${PORT}/workflow/${s.id}`);
		say(`   ran once at startup: ${s.result}`);
		if (s.executionId) say(`   http://${HOST}:${PORT}/workflow/${s.id}/executions/${s.executionId}`);
		say('   run it again with "Execute workflow" in the editor');
		say('');
	}
	say(' send-sample prints, per workflow, n8n\'s answer, whether an execution started, its status and its editor link.');
	say(` URLs, secrets and the API key are saved to ${path.relative(REPO_ROOT, URLS_FILE)} (git-ignored).`);
	say(' Press Ctrl-C to stop n8n and the fake servers.');
	say('================================================================================');
}

main().catch(async (e) => {
	say(`[demo] FAILED: ${e.stack || e.message}`);
	await stopAll(1);
});
