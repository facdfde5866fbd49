/**
 * The action nodes as tools (n8n's `<package>.uphanceTool` / `.upliftTool` variants, called by the
 * AI Agent or the MCP Server Trigger): bounded lists and errors that tell an agent what to fix
 * (docs/mcp.md). The same nodes in a workflow keep their behaviour.
 */
import { Uphance } from '../../nodes/Uphance/Uphance.node';
import { Uplift } from '../../nodes/Uplift/Uplift.node';
import { runAction, uphanceCredentials, upliftCredentials } from './helpers/actionContext';
import type { Params } from './helpers/actionContext';

/* eslint-disable @typescript-eslint/no-require-imports */
const fakeUphance = require('../support/fakeUphance');
const fakeUplift = require('../support/fakeUplift');

const UPHANCE_TOOL = 'n8n-nodes-uphance-uplift.uphanceTool';
const UPLIFT_TOOL = 'n8n-nodes-uphance-uplift.upliftTool';

describe('Uphance node as a tool', () => {
	let fake: Awaited<ReturnType<typeof fakeUphance.start>>;
	beforeAll(async () => {
		fake = await fakeUphance.start();
		fake.seed('pick_ticket', 250);
	});
	afterAll(async () => {
		await fake.close();
	});
	const run = (params: Params, nodeType?: string) =>
		runAction(new Uphance(), { params, credentials: uphanceCredentials(fake), nodeType });
	const list = { resource: 'pickTicket', operation: 'getAll', returnAll: false, filters: {} };

	it('Get Many returns the limit the agent asked for', async () => {
		const { output } = await run({ ...list, limit: 20 }, UPHANCE_TOOL);
		expect(output).toHaveLength(20);
	});

	it('Get Many refuses a limit above 100 and says what to ask for, before any request', async () => {
		fake.clearLog();
		const error = (await run({ ...list, limit: 150 }, UPHANCE_TOOL).catch((e: Error) => e)) as Error & {
			description?: string;
		};
		// the advice is in the message: in queue mode n8n passes on only the message (docs/mcp.md)
		expect(error.message).toBe(
			'The limit 150 is outside 1 to 100, the most one tool call returns. Ask for 100 or fewer; to see more, narrow the search with the other arguments (e.g. an ID to start after).',
		);
		expect(fake.requests.filter((r: { path: string }) => r.path === '/pick_tickets')).toHaveLength(0);
		await expect(run({ ...list, limit: 0 }, UPHANCE_TOOL)).rejects.toThrow('The limit 0 is outside 1 to 100');
	});

	it('a limit that is not a number is an error, never an unbounded list (as a tool and in a workflow)', async () => {
		for (const nodeType of [UPHANCE_TOOL, undefined]) {
			fake.clearLog();
			await expect(run({ ...list, limit: 'twenty' }, nodeType)).rejects.toThrow('The limit "twenty" is not a number');
			await expect(run({ ...list, limit: '' }, nodeType)).rejects.toThrow('is not a number');
			expect(fake.requests.filter((r: { path: string }) => r.path === '/pick_tickets')).toHaveLength(0);
		}
	});

	it('in a workflow the Limit keeps its meaning: above 100 is allowed, below 1 means 1', async () => {
		expect((await run({ ...list, limit: 150 })).output).toHaveLength(150);
		expect((await run({ ...list, limit: 0 })).output).toHaveLength(1);
		expect((await run({ ...list, limit: 2.7 })).output).toHaveLength(2);
	});

	it('a vendor error tells the agent what to do about it; in a workflow the description stays as it was', async () => {
		const get = { resource: 'pickTicket', operation: 'get', pickTicketId: '424242' };
		const asTool = (await run(get, UPHANCE_TOOL).catch((e: Error) => e)) as Error & { description?: string };
		expect(asTool.message).toBe(
			'Uphance answered HTTP 404 (not found) to GET /pick_tickets/424242: pick_ticket 424242 not found. Nothing with that ID in Uphance: check the ID (a find or list tool gives IDs).',
		);
		expect(asTool.description).toBe('GET /pick_tickets/424242 failed with HTTP 404.');
		const inWorkflow = (await run(get).catch((e: Error) => e)) as Error & { description?: string };
		expect(inWorkflow.message).toBe('Uphance answered HTTP 404 (not found) to GET /pick_tickets/424242: pick_ticket 424242 not found');
		expect(inWorkflow.description).toBe('GET /pick_tickets/424242 failed with HTTP 404.');
	});

	it('an empty id tells the agent to call again with one (and the editor user to map it)', async () => {
		const asTool = (await run({ resource: 'pickTicket', operation: 'get', pickTicketId: '' }, UPHANCE_TOOL).catch(
			(e: Error) => e,
		)) as Error & { description?: string };
		expect(asTool.message).toBe(
			'The parameter "pickTicketId" is empty. Call the tool again with the ID of the record (a list or search tool gives it).',
		);
		expect(asTool.description).toBeUndefined();
		const inWorkflow = (await run({ resource: 'pickTicket', operation: 'get', pickTicketId: '' }).catch(
			(e: Error) => e,
		)) as Error & { description?: string };
		expect(inWorkflow.description).toMatch(/\{\{ \$json\.id \}\}/);
	});
});

describe('Uplift node as a tool', () => {
	let fake: Awaited<ReturnType<typeof fakeUplift.start>>;
	beforeEach(async () => {
		fake = await fakeUplift.start();
	});
	afterEach(async () => {
		await fake.close();
	});
	const run = (params: Params, nodeType?: string) =>
		runAction(new Uplift(), { params, credentials: upliftCredentials(fake), nodeType });
	const exportParams = (options: object) => ({
		resource: 'dataExport',
		operation: 'run',
		activity: 'baseball',
		movement: 'hitting',
		startTime: '2024-01-01T00:00:00Z',
		endTime: '',
		dateMode: 'capture_time',
		options: { pollIntervalSeconds: 1, timeoutSeconds: 20, ...options },
	});
	const resultPages = () =>
		fake.requests
			.filter((r: { path: string }) => /\/results$/.test(r.path))
			.map((r: { query: string }) => new URLSearchParams(r.query).get('limit'));

	it('Data Export Run returns at most 100 rows by default, from one result page', async () => {
		fake.setExportRows(1234);
		fake.setExportPolls(0);
		const { output } = await run(exportParams({}), UPLIFT_TOOL);
		expect(output).toHaveLength(100);
		expect(resultPages()).toEqual(['100']);
	});

	it('Data Export Run returns the Max Rows the agent asked for', async () => {
		fake.setExportRows(1234);
		fake.setExportPolls(0);
		expect((await run(exportParams({ maxRows: 20 }), UPLIFT_TOOL)).output).toHaveLength(20);
	});

	it('Data Export Run refuses Max Rows above 100 before creating a job', async () => {
		const error = (await run(exportParams({ maxRows: 5000 }), UPLIFT_TOOL).catch((e: Error) => e)) as Error & {
			description?: string;
		};
		expect(error.message).toBe(
			'Max Rows 5000 is outside 1 to 100, the most one tool call returns. Ask for 100 rows or fewer; for one row per capture, set the row filter column (e.g. frame or peak_event).',
		);
		expect(fake.exportJobs).toHaveLength(0);
	});

	it('in a workflow Data Export Run still returns every row, or Max Rows', async () => {
		fake.setExportRows(1234);
		fake.setExportPolls(0);
		expect((await run(exportParams({}))).output).toHaveLength(1234);
		expect((await run(exportParams({ maxRows: 600 }))).output).toHaveLength(600);
		await expect(run(exportParams({ maxRows: -1 }))).rejects.toThrow('Max Rows -1 is not a whole number of 0 or more');
	});

	it('Capture Get Many as a tool refuses 500 (Uplift would answer that many in one call)', async () => {
		await expect(
			run({ resource: 'capture', operation: 'getAll', returnAll: false, limit: 500, filters: {} }, UPLIFT_TOOL),
		).rejects.toThrow('The limit 500 is outside 1 to 100');
	});
});
