'use strict';
/**
 * Reading back what a trigger with catch-up did in a real n8n (test/support/n8nInstance.js), for the
 * e2e files that run catch-up (test/e2e/catchUp.e2e.test.ts, test/e2e/echoes.e2e.test.ts):
 *
 *   await catchUpRuns(n8n, workflowId, n8n.logText().length)   the next finished catch-up run
 *   const executions = await settled(n8n, workflowId, { atLeast: 3 })   all finished, none added for quietMs
 *   bySource(triggerItems(executions, 'Uphance Trigger'))   -> { 'no output': 1, webhook: 2, catchUp: 1 }
 */
const { nodeOutput, isFinished } = require('./n8nInstance');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Executions of the workflow (with data), all finished, once none was added for `quietMs`. */
async function settled(n8n, workflowId, { atLeast = 0, quietMs = 5000, timeoutMs = 180_000 } = {}) {
	const deadline = Date.now() + timeoutMs;
	let last = -1;
	for (;;) {
		const list = await n8n.listExecutions(workflowId, { includeData: false });
		const done = list.length >= atLeast && list.every(isFinished);
		if (done && list.length === last) return await n8n.listExecutions(workflowId, { includeData: true });
		if (Date.now() > deadline) throw new Error(`workflow ${workflowId}: ${list.length} executions (wanted ${atLeast}) after ${timeoutMs} ms\n${n8n.logTail(40)}`);
		last = done ? list.length : -1;
		await sleep(done ? quietMs : 500);
	}
}

/** The trigger's output items of each execution, oldest first, with the execution's id. */
function triggerItems(executions, triggerName) {
	return [...executions]
		.sort((a, b) => Number(a.id) - Number(b.id))
		.map((e) => ({ executionId: e.id, items: nodeOutput(e, triggerName) || [] }));
}

/** How many executions each source started ('webhook', 'catchUp'; 'no output' for a bookkeeping run). */
function bySource(runs) {
	const count = {};
	for (const r of runs) {
		const source = r.items.length === 0 ? 'no output' : r.items.map((i) => i.json.source).join('+');
		count[source] = (count[source] || 0) + 1;
	}
	return count;
}

const runLine = (workflowId) => new RegExp(`Catch-up \\(".*" in workflow ${workflowId}\\)(: run done| run incomplete)`, 'g');

/**
 * Waits until the workflow's catch-up has logged `count` finished runs (done or incomplete) after
 * offset `after` of n8n's log; resolves with the log offset just past the last of them.
 */
async function catchUpRuns(n8n, workflowId, after, count = 1, timeoutMs = 150_000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const text = n8n.logText();
		const tail = text.slice(after);
		const re = runLine(workflowId);
		let seen = 0;
		let m;
		while ((m = re.exec(tail))) {
			seen++;
			if (seen >= count) {
				const lineEnd = text.indexOf('\n', after + m.index);
				return lineEnd === -1 ? text.length : lineEnd + 1;
			}
		}
		if (Date.now() > deadline) throw new Error(`no catch-up run logged within ${timeoutMs} ms\n${n8n.logTail(40)}`);
		await sleep(1000);
	}
}

module.exports = { settled, triggerItems, bySource, catchUpRuns };
