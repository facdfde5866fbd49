/**
 * End-to-end: the two MCP server examples (examples/uphance-mcp-server-workflow.json and
 * examples/uplift-mcp-server-workflow.json) imported as they are through n8n's public API, active in
 * one real n8n, the fake Uphance and Uplift behind them, and an MCP client from
 * @modelcontextprotocol/sdk (StreamableHTTPClientTransport) playing the agent: no language model.
 * It lists the tools, calls each read tool and compares the answer with the fake's own record,
 * calls each Uphance write once and counts the fake's writes, calls with wrong arguments, connects
 * without the bearer token, and runs the same calls from two clients at once. docs/mcp.md.
 * n8n 2.40.7 only (scripts/test-all.sh leaves it out of the compatibility passes).
 */
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/* eslint-disable @typescript-eslint/no-var-requires */
const { N8nInstance, E2E_DIR } = require('../support/n8nInstance');
const fakeUphanceMod = require('../support/fakeUphance');
const fakeUpliftMod = require('../support/fakeUplift');
const { createUphanceCredential, createUpliftCredential, stopAll } = require('../support/vendorCredentials');
const mcp = require('../support/mcpServers');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');

const ORG = 9579;
const UPLIFT_KEY = 'sk_e2e_mcp_' + randomUUID().replace(/-/g, '');
const TOKENS = { uphance: 'mcp-uphance-' + randomUUID(), uplift: 'mcp-uplift-' + randomUUID() };
const FILES: { uphance: string; uplift: string } = mcp.FILES;
type Server = keyof typeof FILES;

let n8n: any;
let uphance: any;
let uplift: any;
const examples: Record<Server, any> = {} as any;
const urls: Record<Server, string> = {} as any;
const clients: any[] = [];

/** What the suite counted, printed at the end and written to .e2e/mcp/figures.json. */
const figures = {
	toolsListed: {} as Record<string, Array<{ name: string; arguments: string[]; required: string[] }>>,
	calls: 0,
	answersMatchingTheFake: 0,
	errorsAsked: 0,
	errorTexts: [] as string[],
	writes: [] as string[],
	refusals: [] as string[],
	concurrentClients: 0,
	seconds: {} as Record<string, number>,
};

async function connect(server: Server, token: string | null = TOKENS[server]) {
	const c = await mcp.connectClient(urls[server], token, { name: `e2e-agent-${clients.length}` });
	clients.push(c);
	return c as { client: any; transport: any };
}

const disconnect = mcp.disconnect;

/** Calls a tool (counted); returns `{ isError, text, json }` (json: the text parsed, when it is JSON). */
async function call(client: any, name: string, args: Record<string, unknown> = {}): Promise<{ isError: boolean; text: string; json: any }> {
	figures.calls++;
	return await mcp.callTool(client, name, args);
}

/** Expects a successful call whose items equal `expected` (the fake's records), and counts it. */
async function expectAnswer(client: any, name: string, args: Record<string, unknown>, expected: unknown[]) {
	const r = await call(client, name, args);
	if (r.isError) throw new Error(`${name} answered an error: ${r.text}`);
	expect(r.json).toEqual(expected);
	figures.answersMatchingTheFake++;
	return r.json;
}

/** Expects `isError` with a text matching `pattern`, and no secret in it. */
async function expectToolError(client: any, name: string, args: Record<string, unknown>, pattern: RegExp) {
	const r = await call(client, name, args);
	figures.errorsAsked++;
	if (!figures.errorTexts.includes(r.text)) figures.errorTexts.push(r.text);
	expect(r.isError).toBe(true);
	expect(r.text).toMatch(pattern);
	for (const secret of [uphance.password, UPLIFT_KEY, TOKENS.uphance, TOKENS.uplift]) expect(r.text).not.toContain(secret);
	expect(r.text).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace
	return r.text;
}

const declaredArguments = (node: any): Record<string, { type: string; description: string; default?: unknown }> => mcp.declaredArguments(node);
const toolName = (nodeName: string): string => mcp.toolName(nodeName);

async function setUp() {
	const t0 = Date.now();
	uphance = await fakeUphanceMod.start({ email: 'e2e@uphance.example', password: 'uphance-mcp-password-' + randomUUID(), organisations: [{ id: ORG, name: 'E2E Org' }] });
	uplift = await fakeUpliftMod.start({ apiKey: UPLIFT_KEY });
	n8n = new N8nInstance({ name: 'mcp-e2e' });
	await n8n.start();
	figures.seconds.n8nStart = (Date.now() - t0) / 1000;
	const uphanceCred = await createUphanceCredential(n8n, uphance, { organisationId: ORG, urlToken: 'e2e-mcp-url-token-' + randomUUID() });
	const upliftCred = await createUpliftCredential(n8n, uplift, { apiKey: UPLIFT_KEY });
	const bearer = {
		uphance: await n8n.createCredential('httpBearerAuth', 'Uphance MCP bearer token', { token: TOKENS.uphance }),
		uplift: await n8n.createCredential('httpBearerAuth', 'Uplift MCP bearer token', { token: TOKENS.uplift }),
	};
	// imported as they are: only the credential placeholders are replaced, as a user picks them
	const workflows = await mcp.importMcpExamples(n8n, { uphanceApi: uphanceCred, upliftApi: upliftCred, bearer });
	for (const server of Object.keys(FILES) as Server[]) {
		examples[server] = workflows[server].example;
		urls[server] = `${n8n.baseUrl}/mcp/${workflows[server].path}`;
		await mcp.waitForMcp(urls[server], TOKENS[server], { describe: () => n8n.logTail(30) });
	}
	figures.seconds.setup = (Date.now() - t0) / 1000;

	// The fakes' records the read tools must return.
	for (const [id, order] of [
		[7101, '7001'],
		[7102, '7001'],
		[7103, '7002'],
	] as Array<[number, string]>)
		uphance.setRecord('pick_ticket', id, fakeUphanceMod.sampleRecord('pick_ticket', id, { order_number: order, status: 'packed', shipment_number: `SH-${id}` }));
	uphance.seed('pick_ticket', 130, (i: number) => ({ order_number: `BULK-${i}`, warehouse_name: 'Bulk' }), 8000);
	uphance.setRecord('sales_order', 5001, fakeUphanceMod.sampleRecord('sales_order', 5001, { order_number: '7001' }));
	uphance.setRecord('product', 301, fakeUphanceMod.sampleRecord('product', 301));
	uphance.setRecord('product', 302, fakeUphanceMod.sampleRecord('product', 302, { name: 'Linen Shirt', product_identifier: 'SHIRT-LIN' }));
	uphance.setRecord('sku', 11, { id: 11, ean: '8712345678906', product_id: 301, size: 'M', in_stock: 10, available_to_sell: 8 });
	uplift.setCapture('cap-mcp-1', { athlete_id: 'ath-mcp-1', activity: 'baseball', movement: 'hitting' });
	uplift.setCapture('cap-mcp-2', { athlete_id: 'ath-mcp-1', activity: 'baseball', movement: 'pitching' });
	uplift.setCapture('cap-mcp-3', { athlete_id: 'ath-mcp-2', activity: 'jump', movement: 'single_leg' });
	for (const a of [
		{ first_name: 'Ada', last_name: 'A', custom_attributes: { team: 'A' } },
		{ first_name: 'Bo', last_name: 'B', custom_attributes: { team: 'B' } },
		{ first_name: 'Cy', last_name: 'C', custom_attributes: { team: 'A' } },
	])
		await upliftApi('POST', '/athletes', a);
}

async function tearDown() {
	for (const c of clients.splice(0)) await disconnect(c).catch(() => undefined);
	await stopAll(n8n, uphance, uplift);
	fs.mkdirSync(path.join(E2E_DIR, 'mcp'), { recursive: true });
	fs.writeFileSync(path.join(E2E_DIR, 'mcp', 'figures.json'), JSON.stringify(figures, null, 2) + '\n');
	process.stderr.write(`[mcp-e2e] figures: ${JSON.stringify(figures)}\n`);
}

/** The fake Uplift's own answer (the record the tools must return). */
async function upliftApi(method: string, p: string, body?: unknown) {
	const r = await fetch(`${uplift.apiBaseUrl}${p}`, {
		method,
		headers: { authorization: `Bearer ${UPLIFT_KEY}`, 'content-type': 'application/json' },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	return (await r.json()) as any;
}

const pickTickets = (filter: (r: any) => boolean) =>
	[...Array(10000).keys()].map((i) => uphance.record('pick_ticket', i)).filter((r: any) => r && filter(r));

// The MCP Server Trigger's typeVersion 2 exists on 2.8.4 and 1.123.81 too, but only 2.40.7 is tested:
// the compatibility passes leave this file out by path (scripts/test-all.sh), never by a skip.
describe('MCP server examples in a real n8n, driven by an MCP client', () => {
	beforeAll(setUp, 900000);
	afterAll(tearDown);

	test('each server lists its tools with the names, descriptions and input schemas of the example', async () => {
		for (const server of Object.keys(FILES) as Server[]) {
			const c = await connect(server);
			const trigger = examples[server].nodes.find((n: any) => n.type === '@n8n/n8n-nodes-langchain.mcpTrigger');
			expect(c.client.getInstructions()).toBe(trigger.parameters.instructions);
			const { tools } = await c.client.listTools();
			const toolNodes = examples[server].nodes.filter((n: any) => n !== trigger);
			expect(tools.map((t: any) => t.name).sort()).toEqual(toolNodes.map((n: any) => toolName(n.name)).sort());
			for (const node of toolNodes) {
				const tool = tools.find((t: any) => t.name === toolName(node.name));
				expect(tool.description).toBe(node.parameters.toolDescription);
				const declared = declaredArguments(node);
				expect(tool.inputSchema.type).toBe('object');
				expect(tool.inputSchema.properties).toEqual(declared);
				const required = Object.keys(declared).filter((k) => !('default' in declared[k]));
				expect([...(tool.inputSchema.required || [])].sort()).toEqual(required.sort());
			}
			figures.toolsListed[server] = tools.map((t: any) => ({
				name: t.name,
				arguments: Object.keys(t.inputSchema.properties || {}),
				required: t.inputSchema.required || [],
			}));
			await disconnect(c);
		}
		// reads and writes are separate tools; the writes say so first
		const writes = figures.toolsListed.uphance.filter((t) => /^WRITES/.test(examples.uphance.nodes.find((n: any) => toolName(n.name) === t.name).parameters.toolDescription));
		expect(writes.map((t) => t.name).sort()).toEqual(['Adjust_Stock', 'Mark_Pick_Ticket_Shipped', 'Update_Pick_Ticket_Tracking']);
		expect(examples.uplift.nodes.some((n: any) => /^WRITES/.test(n.parameters.toolDescription || ''))).toBe(false);
	});

	test('every Uphance read tool answers what the fake Uphance holds; lists are bounded (20 by default, at most 100)', async () => {
		const { client } = await connect('uphance');
		uphance.clearLog();
		await expectAnswer(client, 'Find_Pick_Tickets', { orderNumber: '7001' }, pickTickets((r) => r.order_number === '7001'));
		await expectAnswer(client, 'Get_Pick_Ticket', { pickTicketId: '7103' }, [uphance.record('pick_ticket', 7103)]);
		await expectAnswer(client, 'Find_Sales_Orders', { orderNumber: '7001' }, [uphance.record('sales_order', 5001)]);
		await expectAnswer(client, 'Get_Sales_Order', { salesOrderId: '5001' }, [uphance.record('sales_order', 5001)]);
		await expectAnswer(client, 'Find_Products', { productIdentifier: 'SHIRT-LIN' }, [uphance.record('product', 302)]);
		await expectAnswer(client, 'Get_Product', { productId: '301' }, [uphance.record('product', 301)]);
		await expectAnswer(client, 'Find_SKU_by_EAN', { ean: '8712345678906' }, [uphance.record('sku', 11)]);
		// 133 tickets: 20 without a limit, as many as asked up to 100, the next ones after an id
		const bulk = pickTickets((r) => r.warehouse_name === 'Bulk');
		await expectAnswer(client, 'Find_Pick_Tickets', { warehouseName: 'Bulk' }, bulk.slice(0, 20));
		await expectAnswer(client, 'Find_Pick_Tickets', { warehouseName: 'Bulk', limit: 100 }, bulk.slice(0, 100));
		await expectAnswer(client, 'Find_Pick_Tickets', { warehouseName: 'Bulk', limit: 100, afterId: String(bulk[99].id) }, bulk.slice(100));
		// Uphance pages hold 100: each of those four lists read its first page only, never the whole list
		const pages = uphance.requests.filter((q: any) => q.path === '/pick_tickets').map((q: any) => new URLSearchParams(q.query).get('page'));
		expect(pages).toEqual(['1', '1', '1', '1']);
		expect(uphance.writes).toEqual([]);
	});

	test('every Uplift read tool answers what the fake Uplift holds; Run Data Export returns 20 rows by default', async () => {
		const { client } = await connect('uplift');
		const teamA = (await upliftApi('GET', '/athletes?team=A')).athletes;
		expect(teamA).toHaveLength(2);
		await expectAnswer(client, 'Find_Athletes', { attributeName: 'team', attributeValue: 'A' }, teamA);
		await expectAnswer(client, 'Find_Athletes', {}, (await upliftApi('GET', '/athletes')).athletes);
		await expectAnswer(client, 'Find_Captures', { athleteId: 'ath-mcp-1', activity: 'baseball' }, (await upliftApi('GET', '/captures?athlete_id=ath-mcp-1&activity=baseball')).captures);
		await expectAnswer(client, 'Get_Capture', { captureId: 'cap-mcp-2' }, [await upliftApi('GET', '/captures/cap-mcp-2')]);
		uplift.setExportRows(1234);
		uplift.setExportPolls(1);
		const t0 = Date.now();
		const rows = await call(client, 'Run_Data_Export', { activity: 'baseball', movement: 'hitting', startTime: '2026-01-01T00:00:00Z' });
		figures.seconds.dataExport = (Date.now() - t0) / 1000;
		expect(rows.isError).toBe(false);
		const job = uplift.exportJobs[uplift.exportJobs.length - 1];
		expect(job.request).toMatchObject({ activity: 'baseball', movement: 'hitting', startTime: Date.parse('2026-01-01T00:00:00Z') / 1000, dateMode: 'capture_time' });
		expect(rows.json).toEqual((await upliftApi('GET', `/data/export/job/${job.jobId}/results?limit=20`)).rows);
		figures.answersMatchingTheFake++;
		await expectAnswer(client, 'Get_Export_Results', { jobId: job.jobId, limit: 5 }, (await upliftApi('GET', `/data/export/job/${job.jobId}/results?limit=5`)).rows);
	});

	test('the Uphance writes reach the fake once each, with what the agent gave', async () => {
		const { client } = await connect('uphance');
		uphance.clearLog();
		const tracked = await call(client, 'Update_Pick_Ticket_Tracking', { pickTicketId: '7101', trackingNumber: 'TRK-MCP-7101', carrier: 'dhl', shippingCost: '12.50' });
		expect(tracked.isError).toBe(false);
		expect(tracked.json).toEqual([uphance.record('pick_ticket', 7101)]);
		const shipped = await call(client, 'Mark_Pick_Ticket_Shipped', { pickTicketId: '7101' });
		expect(shipped.json).toEqual([uphance.record('pick_ticket', 7101)]);
		expect(uphance.record('pick_ticket', 7101)).toMatchObject({ status: 'shipped', tracking_number: 'TRK-MCP-7101', carrier: 'dhl', shipping_cost: '12.50' });
		const adjusted = await call(client, 'Adjust_Stock', { skuId: '11', quantity: 5, reference: 'delivery-MCP-1', comment: 'returned by a customer' });
		expect(adjusted.isError).toBe(false);
		expect(adjusted.json[0]).toMatchObject({ idempotency_key: 'delivery-MCP-1', stock_operation: { line_quantities: [{ sku_id: '11', quantity: 5 }] } });
		const writes = uphance.writes.map((w: any) => `${w.method} ${w.path}`);
		expect(writes).toEqual(['PUT /pick_tickets/7101', 'PUT /pick_tickets/7101/ship', 'POST /stock_operations']);
		expect(uphance.writes[0].query).toEqual({ tracking_number: 'TRK-MCP-7101', carrier: 'dhl', shipping_cost: '12.50' });
		expect(uphance.writes[2].body).toEqual({
			stock_operation: { line_quantities: [{ sku_id: '11', quantity: 5 }], comments: 'returned by a customer', source: 'AI agent (n8n MCP server)' },
			idempotency_key: 'delivery-MCP-1',
		});
		figures.writes.push(...writes);
		// an agent that repeats the adjustment with the same reference changes nothing
		const again = await call(client, 'Adjust_Stock', { skuId: '11', quantity: 5, reference: 'delivery-MCP-1', comment: 'returned by a customer' });
		expect(again.json[0].stock_operation.id).toBe(adjusted.json[0].stock_operation.id);
		figures.writes.push('POST /stock_operations (same reference: Uphance created nothing)');
	});

	test('wrong arguments come back as isError with a message that says what is wrong, no stack and no secret', async () => {
		const uph = (await connect('uphance')).client;
		const upl = (await connect('uplift')).client;
		uphance.clearLog();
		await expectToolError(uph, 'Get_Pick_Ticket', { pickTicketId: '999999' }, /^NodeOperationError: Uphance answered HTTP 404 \(not found\) to GET \/pick_tickets\/999999: pick_ticket 999999 not found\. Nothing with that ID in Uphance: check the ID \(a find or list tool gives IDs\)\.\n\nDetails: GET \/pick_tickets\/999999 failed with HTTP 404\.$/);
		await expectToolError(uph, 'Mark_Pick_Ticket_Shipped', { pickTicketId: '999999' }, /HTTP 404 \(not found\) to PUT \/pick_tickets\/999999\/ship/);
		await expectToolError(upl, 'Get_Capture', { captureId: 'no-such-capture' }, /Uplift answered HTTP 404 \(not found\) to GET \/captures\/no-such-capture: Capture not found\. Nothing with that ID in Uplift/);
		await expectToolError(uph, 'Get_Pick_Ticket', { pickTicketId: '' }, /The parameter "pickTicketId" is empty[\s\S]*Call the tool again with the ID/);
		await expectToolError(uph, 'Find_Pick_Tickets', { limit: 500 }, /The limit 500 is outside 1 to 100, the most one tool call returns[\s\S]*Ask for 100 or fewer/);
		await expectToolError(upl, 'Run_Data_Export', { activity: 'baseball', movement: 'hitting', startTime: '2026-01-01T00:00:00Z', maxRows: 5000 }, /Max Rows 5000 is outside 1 to 100/);
		// an argument of the wrong type is refused by the tool's schema before the node runs
		await expectToolError(uph, 'Find_Pick_Tickets', { limit: 'all' }, /Received tool input did not match expected schema[\s\S]*Expected number, received string[\s\S]*at limit/);
		// the refused calls read nothing more than the one record each and wrote nothing that stuck
		expect(uphance.requests.filter((q: any) => q.path === '/pick_tickets')).toEqual([]);
		expect(uphance.record('pick_ticket', 999999)).toBeUndefined();
	});

	test('a client without the bearer token, or with another server\'s, is refused before any tool runs', async () => {
		uphance.clearLog();
		const before = uplift.requests.length;
		const initialize = (token?: string) =>
			fetch(urls.uphance, {
				method: 'POST',
				headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
				body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
			});
		for (const [what, token] of [
			['no token', undefined],
			['a wrong token', 'not-the-token'],
			["the Uplift server's token", TOKENS.uplift],
		] as Array<[string, string | undefined]>) {
			const r = await initialize(token);
			const text = await r.text();
			expect([what, r.status]).toEqual([what, 403]);
			expect(text).not.toContain(TOKENS.uphance);
			figures.refusals.push(`${what}: HTTP ${r.status} ${text.slice(0, 60)}`);
		}
		// the SDK's client fails to connect without the token, for both servers
		for (const server of Object.keys(FILES) as Server[]) {
			const client = new Client({ name: 'no-token', version: '1.0.0' });
			const error = await client.connect(new StreamableHTTPClientTransport(new URL(urls[server]))).then(
				() => null,
				(e: any) => e,
			);
			expect(error).toMatchObject({ code: 403, message: expect.stringMatching(/Authorization data is wrong!/) });
			figures.refusals.push(`SDK client without a token to ${server}: connect() rejected, code ${error.code}: ${error.message}`);
		}
		// a session id does not replace the token: a tool call with a live session id but no token is refused
		const { transport } = await connect('uphance');
		const r = await fetch(urls.uphance, {
			method: 'POST',
			headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': transport.sessionId, 'mcp-protocol-version': transport.protocolVersion || '2025-06-18' },
			body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'Get_Pick_Ticket', arguments: { pickTicketId: '7101' } } }),
		});
		expect(r.status).toBe(403);
		await r.text();
		figures.refusals.push('a tool call with a live session id and no token: HTTP 403');
		expect(uphance.requests.filter((q: any) => q.path !== '/oauth/token')).toEqual([]);
		expect(uplift.requests.length).toBe(before);
	});

	test('two clients at once get the same answers, each in its own session', async () => {
		const a = await connect('uphance');
		const b = await connect('uphance');
		const c = await connect('uplift');
		const d = await connect('uplift');
		expect(a.transport.sessionId).not.toBe(b.transport.sessionId);
		expect(c.transport.sessionId).not.toBe(d.transport.sessionId);
		figures.concurrentClients = 2;
		const expectedUphance = {
			ticket: [uphance.record('pick_ticket', 7102)],
			list: pickTickets((r) => r.order_number === '7001'),
			product: [uphance.record('product', 301)],
		};
		const expectedCapture = [await upliftApi('GET', '/captures/cap-mcp-3')];
		const sameCalls = async (u: any, l: any) =>
			await Promise.all([
				expectAnswer(u.client, 'Get_Pick_Ticket', { pickTicketId: '7102' }, expectedUphance.ticket),
				expectAnswer(u.client, 'Find_Pick_Tickets', { orderNumber: '7001' }, expectedUphance.list),
				expectAnswer(u.client, 'Get_Product', { productId: '301' }, expectedUphance.product),
				expectAnswer(l.client, 'Get_Capture', { captureId: 'cap-mcp-3' }, expectedCapture),
				expectToolError(u.client, 'Get_Pick_Ticket', { pickTicketId: '888888' }, /HTTP 404 \(not found\) to GET \/pick_tickets\/888888/),
			]);
		const t0 = Date.now();
		await Promise.all([sameCalls(a, c), sameCalls(b, d)]);
		figures.seconds.twoClients = (Date.now() - t0) / 1000;
	});
});
