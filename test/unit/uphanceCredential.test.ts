import type { ICredentialDataDecryptedObject, IHttpRequestOptions } from 'n8n-workflow';

import { NodeApiError } from 'n8n-workflow';

import { networkErrorInWords, sessionFingerprint, SIGN_IN_REFUSED, SIGN_IN_UNAVAILABLE, UphanceApi, uphanceSignIn } from '../../credentials/UphanceApi.credentials';
import { CredentialStore, realHttpRequest } from './helpers/n8nStubs';

/* eslint-disable @typescript-eslint/no-var-requires */
const fakeUphance = require('../support/fakeUphance');
// a loopback port nothing listens on (bound, then closed)
const { freePort } = require('../support/n8nInstance') as { freePort: () => Promise<number> };

interface FakeRequest {
	method: string;
	path: string;
	query: string;
	auth: string | null;
	status: number | string | null;
}

let fake: {
	url: string;
	requests: FakeRequest[];
	tokensIssued: number;
	clearLog(): void;
	mode(m: string): void;
	setRecord(resource: string, id: number, record?: unknown): unknown;
	close(): Promise<void>;
};

const EMAIL = 'owner@uphance.example';
const PASSWORD = 'correct horse battery staple 42';

beforeAll(async () => {
	fake = await fakeUphance.start({
		email: EMAIL,
		password: PASSWORD,
		organisations: [
			{ id: 9579, name: 'Uphance Demo' },
			{ id: 1234, name: 'Second Brand' },
		],
	});
});

afterAll(async () => {
	await fake.close();
});

beforeEach(() => {
	fake.mode('ok');
	fake.clearLog();
});

function creds(overrides: Record<string, unknown> = {}): ICredentialDataDecryptedObject {
	return { email: EMAIL, password: PASSWORD, organisationId: '1234', urlToken: 'tok', baseUrl: `${fake.url}/`, sessionToken: '', ...overrides } as ICredentialDataDecryptedObject;
}

/** Records the bodies sent, as n8n's httpRequest would send them. */
function recordingRequest() {
	const sent: IHttpRequestOptions[] = [];
	const request = async (options: IHttpRequestOptions) => {
		sent.push(options);
		return await realHttpRequest(options);
	};
	return { sent, request };
}

describe('Uphance API credential: description', () => {
	const credential = new UphanceApi();

	it('has the fields, with secrets as password fields and an expirable hidden session token', () => {
		const byName = Object.fromEntries(credential.properties.map((p) => [p.name, p]));
		expect(credential.name).toBe('uphanceApi');
		expect(Object.keys(byName).sort()).toEqual(['baseUrl', 'email', 'organisationId', 'password', 'sessionFor', 'sessionToken', 'urlToken']);
		expect(byName.password.typeOptions?.password).toBe(true);
		expect(byName.urlToken.typeOptions?.password).toBe(true);
		expect(byName.urlToken.displayName).toBe('Webhook URL Token');
		// n8n finds the expirable field only when it is hidden (CredentialsHelper.preAuthentication)
		expect(byName.sessionToken.type).toBe('hidden');
		expect(byName.sessionToken.typeOptions).toEqual({ expirable: true, password: true });
		expect(byName.baseUrl.default).toBe('https://api.uphance.com');
	});

	it('authenticates with the session token as a Bearer token, keeping other headers', async () => {
		const authenticate = credential.authenticate as (c: object, o: object) => Promise<{ headers: Record<string, string> }>;
		const data = creds({ sessionToken: 'tok-1' });
		const options = await authenticate({ ...data, sessionFor: sessionFingerprint(data) }, { url: '/x', headers: { Accept: 'application/json' } });
		expect(options.headers).toEqual({ Accept: 'application/json', Authorization: 'Bearer tok-1' });
	});

	it('sends no token obtained with other settings (organisation, password, email or Base URL changed since)', async () => {
		const authenticate = credential.authenticate as (c: object, o: object) => Promise<{ headers: Record<string, string> }>;
		const signedIn = creds({ sessionToken: 'tok-1' });
		const sessionFor = sessionFingerprint(signedIn);
		for (const change of [{ organisationId: '5555' }, { password: 'new' }, { email: 'other@x.example' }, { baseUrl: 'http://127.0.0.1:1' }, {}]) {
			const options = await authenticate({ ...signedIn, ...change, sessionFor }, { url: '/x' });
			expect([change, options.headers.Authorization]).toEqual([change, Object.keys(change).length ? 'Bearer ' : 'Bearer tok-1']);
		}
		// a token stored without a sessionFor (by a session obtained before that field existed) is replaced at the first call, which Uphance answers 401
		expect((await authenticate(signedIn, { url: '/x' })).headers.Authorization).toBe('Bearer ');
	});

	it('tests by listing organisations, with a rule for a user without any', () => {
		expect(credential.test.request).toMatchObject({ url: '/organisations', method: 'GET' });
		expect(credential.test.rules).toEqual([
			expect.objectContaining({ type: 'responseSuccessBody', properties: expect.objectContaining({ key: 'organisations.length', value: 0 }) }),
		]);
	});
});

describe('Uphance API credential: sign-in (preAuthentication) against the fake Uphance API', () => {
	it('gets a token with the password grant, checks the organisation and selects it by number', async () => {
		const { sent, request } = recordingRequest();
		const result = await uphanceSignIn(request, creds());
		expect(result.sessionToken).toMatch(/^tok_[0-9a-f]{32}$/);
		expect(fake.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
			'POST /oauth/token 200',
			'GET /organisations 200',
			'POST /organisations/set_current_org 201',
		]);
		expect(sent[0].body).toEqual({ email: EMAIL, password: PASSWORD, grant_type: 'password' });
		expect(sent[2].body).toEqual({ organizationId: 1234 });
		expect(typeof (sent[2].body as { organizationId: unknown }).organizationId).toBe('number');
		expect(fake.requests[2].auth).toBe(`Bearer ${result.sessionToken}`);
		// the trailing slash of the base URL does not double up
		expect(sent.every((o) => !o.url.includes('//oauth') && !o.url.includes('//organisations'))).toBe(true);
	});

	it('runs as the credential class method with n8n\'s helpers, returning only the session token', async () => {
		const helpers = { helpers: { httpRequest: realHttpRequest } };
		const output = await new UphanceApi().preAuthentication.call(helpers as never, creds());
		expect(Object.keys(output)).toEqual(['sessionToken', 'sessionFor']);
		expect(output.sessionFor).toBe(sessionFingerprint(creds()));
	});

	it('fails with a clear message listing the organisations when the configured one is not among them', async () => {
		const error = await uphanceSignIn(realHttpRequest, creds({ organisationId: '5555' })).catch((e: Error) => e);
		expect(error).toBeInstanceOf(Error);
		expect((error as Error).message).toContain(SIGN_IN_REFUSED);
		expect((error as Error).message).toMatch(/signed in, but organisation 5555 is not among the organisations this Uphance user can access: 9579 \(Uphance Demo\), 1234 \(Second Brand\)/);
		// the sign-in itself succeeded: the message must not say it was refused
		expect((error as Error).message).not.toMatch(/sign-in refused/i);
		expect(fake.requests.some((r) => r.path === '/organisations/set_current_org')).toBe(false);
	});

	it('fails clearly on a wrong password, without the password or token in the message', async () => {
		const error = (await uphanceSignIn(realHttpRequest, creds({ password: 'wrong-password-xyz' })).catch((e: Error) => e)) as Error;
		expect(error.message).toMatch(/did not accept the email and password \(HTTP 401/);
		expect(error.message).not.toContain('wrong-password-xyz');
		expect(error.message).not.toContain(PASSWORD);
	});

	it.each([
		['a non-numeric organisation id', { organisationId: 'Demo' }, /not a number/],
		['an empty email', { email: '' }, /needs the email and password/],
	])('refuses %s before calling Uphance', async (_name, overrides, message) => {
		await expect(uphanceSignIn(realHttpRequest, creds(overrides))).rejects.toThrow(message);
		expect(fake.requests).toHaveLength(0);
	});

	it('reports Uphance being down as unavailable (retryable), not as refused', async () => {
		fake.mode('503');
		const error = (await uphanceSignIn(realHttpRequest, creds()).catch((e: Error) => e)) as Error;
		expect(error.message).toContain(SIGN_IN_UNAVAILABLE);
		expect(error.message).toMatch(/HTTP 503/);
	});

	it('reports an unreachable server without leaking the request', async () => {
		const port = await freePort();
		const error = (await uphanceSignIn(realHttpRequest, creds({ baseUrl: `http://127.0.0.1:${port}` })).catch((e: Error) => e)) as Error;
		expect(error.message).toBe(
			`Uphance is unavailable: Signing in (POST /oauth/token) failed: connection refused (http://127.0.0.1:${port}/oauth/token). Check the Base URL in the Uphance API credential, or try again later.`,
		);
		expect(error.message).not.toContain(PASSWORD);
	});

	it('survives n8n\'s error wrapping word for word (the credential test dialog shows the wrapped message)', async () => {
		// n8n wraps what preAuthentication throws in a NodeApiError, which replaces any message containing a
		// network error code such as ECONNREFUSED by a generic sentence (COMMON_ERRORS in n8n-workflow).
		const port = await freePort();
		const error = (await uphanceSignIn(realHttpRequest, creds({ baseUrl: `http://127.0.0.1:${port}` })).catch((e: Error) => e)) as Error;
		const node = { id: 'n', name: 'Uphance', type: 'n8n-nodes-uphance-uplift.uphance', typeVersion: 1, position: [0, 0] as [number, number], parameters: {} };
		expect(new NodeApiError(node, error as never).message).toBe(error.message);
		// the same message with the code in it would not survive: that is why the code is put in words
		const withCode = new Error(error.message.replace('connection refused', 'ECONNREFUSED'));
		expect(new NodeApiError(node, withCode as never).message).toBe('The service refused the connection - perhaps it is offline');
	});

	it.each([
		['ECONNREFUSED', '', 'connection refused'],
		['ENOTFOUND', '', 'host name not found'],
		['ETIMEDOUT', '', 'request timed out'],
		['', 'timeout of 15000ms exceeded', 'request timed out'],
		['EPROTO', '', 'network error EPROTO'],
		['', 'socket hang up', 'network error'],
	])('puts the network error %s "%s" in words: %s', (code, message, words) => {
		expect(networkErrorInWords(code, message)).toBe(words);
	});
});

describe('Uphance API credential in n8n\'s token lifecycle (CredentialStore)', () => {
	it('signs in once, reuses the token, and renews it once after a 401', async () => {
		fake.setRecord('product', 301);
		const store = new CredentialStore({ uphanceApi: new UphanceApi() }, { uphanceApi: creds() });
		const get = async () => await store.requestWithAuthentication('uphanceApi', { method: 'GET', url: `${fake.url}/products/301`, json: true });
		const issuedBefore = fake.tokensIssued;
		await get();
		await get();
		expect(fake.tokensIssued - issuedBefore).toBe(1);
		const first = store.data.uphanceApi.sessionToken;
		expect(first).toMatch(/^tok_/);

		fake.mode('expireTokens');
		const body = (await get()) as { product: { id: number } };
		expect(body.product.id).toBe(301);
		expect(fake.tokensIssued - issuedBefore).toBe(2);
		expect(store.data.uphanceApi.sessionToken).not.toBe(first);
		expect(fake.requests.filter((r) => r.path === '/organisations/set_current_org')).toHaveLength(2);
		expect(store.preAuthCalls).toBe(2);
	});

	it('signs in again when the credential is edited after signing in: another organisation is selected, a wrong one is named', async () => {
		fake.setRecord('product', 302);
		const store = new CredentialStore({ uphanceApi: new UphanceApi() }, { uphanceApi: creds({ organisationId: '9579' }) });
		const get = async () => await store.requestWithAuthentication('uphanceApi', { method: 'GET', url: `${fake.url}/products/302`, json: true });
		await get();
		const selected = () => fake.requests.filter((r) => r.path === '/organisations/set_current_org').length;
		expect(selected()).toBe(1);
		// the user edits the saved credential: n8n keeps the stored session token and sessionFor
		store.data.uphanceApi.organisationId = '1234';
		await get();
		expect(selected()).toBe(2);
		expect(store.preAuthCalls).toBe(2);
		store.data.uphanceApi.organisationId = '5555';
		await expect(get()).rejects.toThrow(/^Check the Uphance API credential: signed in, but organisation 5555 is not among/);
	});
});
