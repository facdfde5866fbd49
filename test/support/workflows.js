'use strict';
/** Workflow JSON builders shared by the e2e tests and the demo: trigger -> Set. */
const crypto = require('crypto');

const PACKAGE = 'n8n-nodes-uphance-uplift';
const SET_NODE = 'Mark as received';

function setNode(position = [260, 0]) {
	return {
		id: crypto.randomUUID(),
		name: SET_NODE,
		type: 'n8n-nodes-base.set',
		typeVersion: 3.4,
		position,
		parameters: {
			mode: 'manual',
			includeOtherFields: true,
			assignments: {
				assignments: [{ id: crypto.randomUUID(), name: 'seenBySetNode', value: true, type: 'boolean' }],
			},
			options: {},
		},
	};
}

/**
 * @param {object} o
 * @param {'upliftTrigger'|'uphanceTrigger'} o.nodeName
 * @param {string} o.triggerName display name of the trigger node
 * @param {object} o.parameters
 * @param {{type: string, id: string, name: string}} o.credential
 * @param {string} [o.webhookId]
 * @param {string} [o.name]
 * @param {number} [o.typeVersion] default 1.1, the triggers' one version
 * @param {object} [o.staticData] the workflow's static data, e.g. `{ 'node:<trigger name>': {...} }`
 */
function triggerToSet({ nodeName, triggerName, parameters, credential, webhookId, name, typeVersion, staticData }) {
	const wid = webhookId || crypto.randomUUID();
	const trigger = {
		id: crypto.randomUUID(),
		name: triggerName,
		type: `${PACKAGE}.${nodeName}`,
		typeVersion: typeVersion || 1.1,
		position: [0, 0],
		webhookId: wid,
		// Catch-up (a timer beside the webhook) is off unless a test turns it on: the webhook suites
		// count executions, and a timer tick would add its own (test/e2e/catchUp.e2e.test.ts tests it).
		parameters: { catchUp: false, ...(parameters || {}) },
	};
	if (credential) trigger.credentials = { [credential.type]: { id: credential.id, name: credential.name } };
	return {
		webhookId: wid,
		workflow: {
			name: name || `${triggerName} e2e ${wid.slice(0, 8)}`,
			nodes: [trigger, setNode()],
			connections: { [triggerName]: { main: [[{ node: SET_NODE, type: 'main', index: 0 }]] } },
			settings: { executionOrder: 'v1' },
			...(staticData ? { staticData } : {}),
		},
	};
}

/**
 * Creates trigger -> Set in a running n8n (test/support/n8nInstance.js), activates it and waits until
 * its production URL answers. Resolves to `{ id, url }`.
 */
async function activeTriggerWorkflow(n8n, options) {
	const { webhookId, workflow } = triggerToSet(options);
	const wf = await n8n.createWorkflow(workflow);
	const url = n8n.webhookUrl(webhookId);
	await n8n.activate(wf.id, url);
	return { id: wf.id, url };
}

module.exports = { triggerToSet, activeTriggerWorkflow, setNode, SET_NODE, PACKAGE };
