'use strict';
/**
 * The e2e files' shared setup around a running n8n (test/support/n8nInstance.js) and the fake vendor
 * APIs (fakeUphance.js, fakeUplift.js): one credential per fake, and stopping everything afterwards.
 */

/** An `uphanceApi` credential named 'Uphance (fake)' that signs in to the fake Uphance `fake`. */
async function createUphanceCredential(n8n, fake, { organisationId, urlToken }) {
	return await n8n.createCredential('uphanceApi', 'Uphance (fake)', {
		email: fake.email,
		password: fake.password,
		organisationId: String(organisationId),
		urlToken,
		baseUrl: fake.url,
	});
}

/** An `upliftApi` credential named 'Uplift (fake)' for the fake Uplift `fake`. */
async function createUpliftCredential(n8n, fake, { apiKey }) {
	return await n8n.createCredential('upliftApi', 'Uplift (fake)', { apiKey, baseUrl: fake.apiBaseUrl });
}

/** An `upliftWebhookApi` credential (the Uplift Trigger's) named 'Uplift webhook (fake)'. */
async function createUpliftWebhookCredential(n8n, { signingSecret, previousSigningSecret = '' }) {
	return await n8n.createCredential('upliftWebhookApi', 'Uplift webhook (fake)', { signingSecret, previousSigningSecret });
}

/** The Uplift Trigger's credential, created and returned as `{ type, id, name }` for a node's `credentials`. */
async function createUpliftTriggerCredential(n8n, { signingSecret }) {
	const c = await createUpliftWebhookCredential(n8n, { signingSecret });
	return { type: 'upliftWebhookApi', id: c.id, name: c.name };
}

/** For afterAll: stops n8n, then closes the fakes; any of them may be unset if beforeAll failed. */
async function stopAll(n8n, ...fakes) {
	if (n8n) await n8n.stop();
	for (const fake of fakes) if (fake) await fake.close();
}

module.exports = { createUphanceCredential, createUpliftCredential, createUpliftWebhookCredential, createUpliftTriggerCredential, stopAll };
