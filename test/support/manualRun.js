'use strict';
/**
 * Runs a saved workflow now, from a given trigger, the way the editor's "Execute workflow" button
 * does: `POST /rest/workflows/{id}/run` with the owner's session (an N8nInstance from
 * test/support/n8nInstance.js, after start()). Used for workflows whose trigger is a schedule, which
 * n8n's public API cannot start. The execution is a manual one and is saved like any other, so the
 * public API reads it.
 *
 * n8n 2.40 reads the workflow from its database and wants `{ triggerToStartFrom: { name } }`;
 * n8n 2.8 wants the workflow in the body as well (`workflowData`, its id matching the URL's). One
 * body serves both: 2.40's schema drops `workflowData`.
 */

const { isFinished, hasFinalData } = require('./n8nInstance');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts the run; resolves to the execution id. */
async function startManualRun(n8n, workflowId, triggerName) {
	const got = await n8n.rest('GET', `/rest/workflows/${encodeURIComponent(workflowId)}`);
	if (got.status !== 200 || !got.json || !got.json.data) throw new Error(`GET /rest/workflows/${workflowId} -> ${got.status} ${got.text.slice(0, 500)}`);
	const workflowData = got.json.data;
	if (!workflowData.nodes.some((n) => n.name === triggerName)) throw new Error(`workflow ${workflowId} has no node "${triggerName}"`);
	const r = await n8n.rest('POST', `/rest/workflows/${encodeURIComponent(workflowId)}/run`, { workflowData, triggerToStartFrom: { name: triggerName } });
	const data = r.json && r.json.data;
	if (r.status !== 200 || !data || !data.executionId) {
		throw new Error(`POST /rest/workflows/${workflowId}/run -> ${r.status} ${r.text.slice(0, 1000)}${data && data.waitingForWebhook ? ' (n8n waits for a test webhook: the trigger is not one that can run now)' : ''}`);
	}
	return String(data.executionId);
}

/** Polls the public API until the execution has finished and its final data is stored (see hasFinalData); resolves to it. */
async function waitForExecution(n8n, executionId, timeoutMs = 120000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		let e;
		try {
			e = await n8n.api('GET', `/executions/${encodeURIComponent(executionId)}?includeData=true`);
		} catch (err) {
			// stored a moment after the run starts
			if (!/-> 404/.test(err.message) || Date.now() > deadline) throw err;
		}
		const finished = e && isFinished(e);
		if (finished && hasFinalData(e)) return e;
		if (Date.now() > deadline)
			throw new Error(`execution ${executionId} not finished after ${timeoutMs} ms (status ${e ? e.status : 'not stored yet'}${finished ? ', final data not stored' : ''})`);
		await sleep(300);
	}
}

/** Runs the workflow from `triggerName` and resolves to the finished execution (with data). */
async function runManually(n8n, workflowId, triggerName, { timeoutMs } = {}) {
	const id = await startManualRun(n8n, workflowId, triggerName);
	return waitForExecution(n8n, id, timeoutMs);
}

module.exports = { runManually, startManualRun, waitForExecution };
