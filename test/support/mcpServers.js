'use strict';
/**
 * The two MCP server examples (examples/uphance-mcp-server-workflow.json and
 * examples/uplift-mcp-server-workflow.json, docs/mcp.md) in a running n8n, and the MCP SDK's client
 * as the agent. Shared by test/e2e/mcp.e2e.test.ts (one n8n) and test/e2e-queue/queue.e2e.test.ts
 * (queue mode: the URLs are a webhook process's).
 *
 *   const workflows = await importMcpExamples(n8n, { uphanceApi, upliftApi, bearer: { uphance, uplift } });
 *   workflows.uphance.id, .path ('uphance'), .example (the file as it is)
 *   await waitForMcp(`${base}/mcp/uphance`, token);
 *   const { client, transport } = await connectClient(url, token);   // options: name, fetch
 *   const { isError, text, json } = await callTool(client, 'Get_Pick_Ticket', { pickTicketId: '501' });
 */
const fs = require('fs');
const path = require('path');

const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');

const REPO_ROOT = path.join(__dirname, '..', '..');
const FILES = { uphance: 'uphance-mcp-server-workflow.json', uplift: 'uplift-mcp-server-workflow.json' };
const MCP_TRIGGER = '@n8n/n8n-nodes-langchain.mcpTrigger';
const PLACEHOLDER = 'REPLACE_WITH_YOUR_CREDENTIAL_ID';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The example file of a server ('uphance' or 'uplift'), parsed. */
function readExample(server) {
	return JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'examples', FILES[server]), 'utf8'));
}

const triggerOf = (workflow) => workflow.nodes.find((n) => n.type === MCP_TRIGGER);

/** The MCP tool name n8n gives a tool node (`Get Pick Ticket` -> `Get_Pick_Ticket`). */
const toolName = (nodeName) => nodeName.replace(/[^a-zA-Z0-9_-]+/g, '_');

/** The tool's arguments as the node's `$fromAI(key, description, type[, default])` calls declare them. */
function declaredArguments(node) {
	const out = {};
	const re = /\$fromAI\('([^']+)', '([^']+)', '([^']+)'(?:, ('[^']*'|[^)\s]+))?\)/g;
	for (const m of JSON.stringify(node.parameters).matchAll(re)) {
		const property = { type: m[3], description: m[2] };
		if (m[4] !== undefined) property.default = m[4].startsWith("'") ? m[4].slice(1, -1) : JSON.parse(m[4]);
		out[m[1]] = property;
	}
	return out;
}

/**
 * Imports both examples through n8n's public API as they are, only the credential placeholders
 * replaced (as a user picks them), and activates them. `credentials`: `{ uphanceApi, upliftApi,
 * bearer: { uphance, uplift } }`, each `{ id, name }` (what createCredential returns). Throws if an
 * example no longer has the placeholders or its settings changed (the files are what users import).
 */
async function importMcpExamples(n8n, credentials) {
	const out = {};
	for (const server of Object.keys(FILES)) {
		const wf = readExample(server);
		for (const node of wf.nodes)
			for (const [type, c] of Object.entries(node.credentials || {})) {
				if (c.id !== PLACEHOLDER) throw new Error(`${FILES[server]}: node "${node.name}" has credential id ${c.id}, not the placeholder ${PLACEHOLDER}`);
				const mine = type === 'httpBearerAuth' ? credentials.bearer[server] : credentials[type];
				if (!mine) throw new Error(`${FILES[server]}: no credential of type ${type} given`);
				node.credentials[type] = { id: mine.id, name: mine.name };
			}
		if (JSON.stringify(wf.settings) !== JSON.stringify({ executionOrder: 'v1' })) throw new Error(`${FILES[server]}: settings ${JSON.stringify(wf.settings)}`);
		const created = await n8n.createWorkflow(wf);
		await n8n.activate(created.id);
		out[server] = { id: created.id, path: triggerOf(wf).parameters.path, example: readExample(server) };
	}
	return out;
}

/**
 * Waits until an MCP endpoint answers something other than 404 (it answers 404 until the workflow's
 * webhooks are registered, shortly after activation). `describe()` adds to the timeout's message.
 */
async function waitForMcp(url, token, { timeoutMs = 60000, describe = () => '' } = {}) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const r = await fetch(url, {
			method: 'POST',
			headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
			body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'ping' }),
		});
		await r.text();
		if (r.status !== 404) return;
		if (Date.now() > deadline) throw new Error(`${url} still answers 404 ${timeoutMs / 1000} s after activation\n${describe()}`);
		await sleep(250);
	}
}

/**
 * An MCP SDK client connected (initialize done) to `url` with the bearer token (`null`: none).
 * `fetch`: the transport's fetch (e.g. one that sends each request to another process).
 */
async function connectClient(url, token, { name = 'e2e-agent', fetch: fetchFn } = {}) {
	const client = new Client({ name, version: '1.0.0' });
	const headers = token === null ? {} : { authorization: `Bearer ${token}` };
	const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers }, ...(fetchFn ? { fetch: fetchFn } : {}) });
	await client.connect(transport);
	return { client, transport };
}

/** Ends the session (DELETE) if it still exists, and closes the client. */
async function disconnect({ client, transport }) {
	try {
		await transport.terminateSession();
	} catch {
		/* already gone */
	}
	await client.close();
}

/** Calls a tool; resolves to `{ isError, text, json }` (json: the text parsed, when it is JSON). */
async function callTool(client, name, args = {}) {
	const result = await client.callTool({ name, arguments: args });
	const text = (result.content || []).map((c) => c.text).join('');
	let json;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { isError: result.isError === true, text, json };
}

module.exports = { FILES, MCP_TRIGGER, readExample, triggerOf, toolName, declaredArguments, importMcpExamples, waitForMcp, connectClient, disconnect, callTool };
