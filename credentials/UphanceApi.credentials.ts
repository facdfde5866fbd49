import { createHash } from 'crypto';
import type {
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IDataObject,
	IHttpRequestHelper,
	IHttpRequestOptions,
	IN8nHttpFullResponse,
	Icon,
	INodeProperties,
} from 'n8n-workflow';

/**
 * Uphance signs a user in with a password grant (`POST /oauth/token`) and keeps a "current
 * organisation" per token (`POST /organisations/set_current_org`). n8n's `preAuthentication`
 * runs both when the hidden, expirable `sessionToken` is empty or a request answers 401; the token
 * is then reused for every call, credential tests included, until Uphance refuses it (see
 * sessionFingerprint for what that means after an edit).
 *
 * Messages thrown here reach the credential test dialog and the trigger's output items, so they say
 * what to fix and never contain the password or a token.
 */

export const DEFAULT_UPHANCE_BASE_URL = 'https://api.uphance.com';

/** Prefix of sign-in failures that retrying cannot fix (wrong password, unknown organisation). */
export const SIGN_IN_REFUSED = 'Check the Uphance API credential:';
/** Prefix of sign-in failures that may pass later (Uphance down, network, timeout). */
export const SIGN_IN_UNAVAILABLE = 'Uphance is unavailable:';

/**
 * Network error codes in words. The words, not the codes, go into messages: n8n replaces any error
 * message that contains a code such as ECONNREFUSED with its own generic sentence ("The service
 * refused the connection - perhaps it is offline"; docs/n8n-internals.md, "Error messages"), and
 * the credential test dialog would show that instead of ours.
 */
const NETWORK_ERRORS_IN_WORDS: Record<string, string> = {
	ECONNREFUSED: 'connection refused',
	ECONNRESET: 'connection closed by the server',
	ENOTFOUND: 'host name not found',
	EAI_AGAIN: 'host name lookup failed',
	EHOSTUNREACH: 'host unreachable',
	ENETUNREACH: 'network unreachable',
	EADDRNOTAVAIL: 'address not available',
	ECONNABORTED: 'request timed out',
	ETIMEDOUT: 'request timed out',
};

/** A network error (code and message of what the HTTP client threw) as words for a message. */
export function networkErrorInWords(code: string, message: string): string {
	if (NETWORK_ERRORS_IN_WORDS[code]) return NETWORK_ERRORS_IN_WORDS[code];
	if (/timeout|timed out/i.test(message)) return 'request timed out';
	return code ? `network error ${code}` : 'network error';
}

/**
 * The refusal in an error thrown by a request made with this credential, if sign-in was refused.
 * n8n wraps what `preAuthentication` throws (the class is lost, the message is kept, sometimes after
 * a prefix of its own), so the message is the only thing that survives; this is the one place that
 * reads it.
 */
export function signInRefusal(error: unknown): string | undefined {
	const message = String((error as Error | undefined)?.message ?? '');
	const at = message.indexOf(SIGN_IN_REFUSED);
	return at >= 0 ? message.slice(at).split('\n')[0].slice(0, 400) : undefined;
}

const SIGN_IN_TIMEOUT_MS = 15_000;

export function uphanceBaseUrl(value: unknown): string {
	const text =
		typeof value === 'string' && value.trim() !== '' ? value.trim() : DEFAULT_UPHANCE_BASE_URL;
	return text.replace(/\/+$/, '');
}

/**
 * Which sign-in a session token belongs to: a digest of the Base URL, email, password and
 * organisation it was obtained with. n8n signs in again only when the token is empty or a request
 * answers 401, and a credential test reuses a stored token (n8n 2.40.7's check meant to force a
 * sign-in in tests never matches; docs/n8n-internals.md), so without
 * this an edited credential (another organisation, password or server) kept working with the old
 * session and its Test passed whatever was typed. `authenticate` sends no token when the digest
 * differs; Uphance answers 401 and n8n signs in again with the credential as it is now.
 */
export function sessionFingerprint(credentials: ICredentialDataDecryptedObject): string {
	return createHash('sha256')
		.update(
			JSON.stringify([
				uphanceBaseUrl(credentials.baseUrl),
				String(credentials.email ?? '').trim(),
				String(credentials.password ?? ''),
				String(credentials.organisationId ?? '').trim(),
			]),
		)
		.digest('hex')
		.slice(0, 32);
}

/** The organisation id as the number Uphance expects in `{"organizationId": <id>}`. */
export function organisationIdNumber(value: unknown): number {
	const text = String(value ?? '').trim();
	if (!/^\d{1,15}$/.test(text)) {
		throw new Error(
			`${SIGN_IN_REFUSED} the Organisation ID "${text.slice(0, 40)}" is not a number. Use the numeric id of your organisation in Uphance (GET /organisations lists them).`,
		);
	}
	return Number(text);
}

type HttpRequest = (options: IHttpRequestOptions) => Promise<unknown>;

async function call(
	httpRequest: HttpRequest,
	step: string,
	options: IHttpRequestOptions,
): Promise<IN8nHttpFullResponse> {
	let response: IN8nHttpFullResponse;
	try {
		response = (await httpRequest({
			...options,
			json: true,
			timeout: SIGN_IN_TIMEOUT_MS,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
		})) as IN8nHttpFullResponse;
	} catch (error) {
		// Network errors only (statuses are returned). Keep the code, drop everything else: n8n's
		// request errors carry the request, and this one's body holds the password.
		const e = error as { code?: unknown; message?: unknown };
		const code = typeof e.code === 'string' ? e.code : '';
		throw new Error(
			`${SIGN_IN_UNAVAILABLE} ${step} failed: ${networkErrorInWords(code, String(e.message ?? ''))} (${options.url}). Check the Base URL in the Uphance API credential, or try again later.`,
		);
	}
	const status = response.statusCode;
	if (status >= 500 || status === 429 || status === 408) {
		throw new Error(`${SIGN_IN_UNAVAILABLE} ${step} answered HTTP ${status}; try again later.`);
	}
	return response;
}

function bearer(token: string): IDataObject {
	return { Authorization: `Bearer ${token}`, Accept: 'application/json' };
}

/**
 * Password grant → organisation check → set_current_org. Returns the fields n8n stores on the
 * credential (only the session token). Exported for tests.
 */
export async function uphanceSignIn(
	httpRequest: HttpRequest,
	credentials: ICredentialDataDecryptedObject,
): Promise<{ sessionToken: string; sessionFor: string }> {
	const baseUrl = uphanceBaseUrl(credentials.baseUrl);
	const email = String(credentials.email ?? '').trim();
	const password = String(credentials.password ?? '');
	if (email === '' || password === '') {
		throw new Error(`${SIGN_IN_REFUSED} it needs the email and password of an Uphance user.`);
	}
	const organisationId = organisationIdNumber(credentials.organisationId);

	const tokenResponse = await call(httpRequest, 'Signing in (POST /oauth/token)', {
		method: 'POST',
		url: `${baseUrl}/oauth/token`,
		body: { email, password, grant_type: 'password' },
	});
	if (tokenResponse.statusCode < 200 || tokenResponse.statusCode >= 300) {
		throw new Error(
			`${SIGN_IN_REFUSED} Uphance did not accept the email and password (HTTP ${tokenResponse.statusCode} from POST /oauth/token).`,
		);
	}
	const accessToken = (tokenResponse.body as IDataObject | undefined)?.access_token;
	if (typeof accessToken !== 'string' || accessToken === '') {
		throw new Error(
			`${SIGN_IN_UNAVAILABLE} POST /oauth/token answered without an access_token. Check the Base URL (${baseUrl}).`,
		);
	}

	const orgResponse = await call(httpRequest, 'Listing organisations (GET /organisations)', {
		method: 'GET',
		url: `${baseUrl}/organisations`,
		headers: bearer(accessToken),
	});
	if (orgResponse.statusCode < 200 || orgResponse.statusCode >= 300) {
		throw new Error(
			`${SIGN_IN_REFUSED} signed in, but GET /organisations answered HTTP ${orgResponse.statusCode}.`,
		);
	}
	const organisations = (orgResponse.body as IDataObject | undefined)?.organisations;
	const list = Array.isArray(organisations) ? (organisations as IDataObject[]) : [];
	if (!list.some((o) => String(o?.id) === String(organisationId))) {
		const available = list
			.slice(0, 10)
			.map((o) => `${String(o?.id)} (${String(o?.name ?? 'unnamed')})`)
			.join(', ');
		throw new Error(
			`${SIGN_IN_REFUSED} signed in, but organisation ${organisationId} is not among the organisations this Uphance user can access` +
				(available ? `: ${available}${list.length > 10 ? ', …' : ''}` : ' (the user has none)') +
				'. Set Organisation ID to one of them.',
		);
	}

	const selectResponse = await call(
		httpRequest,
		'Selecting the organisation (POST /organisations/set_current_org)',
		{
			method: 'POST',
			url: `${baseUrl}/organisations/set_current_org`,
			headers: bearer(accessToken),
			body: { organizationId: organisationId },
		},
	);
	if (selectResponse.statusCode < 200 || selectResponse.statusCode >= 300) {
		throw new Error(
			`${SIGN_IN_REFUSED} signed in, but Uphance did not select organisation ${organisationId} (HTTP ${selectResponse.statusCode} from POST /organisations/set_current_org).`,
		);
	}
	return { sessionToken: accessToken, sessionFor: sessionFingerprint(credentials) };
}

export class UphanceApi implements ICredentialType {
	name = 'uphanceApi';

	displayName = 'Uphance API';

	icon: Icon = { light: 'file:../icons/uphance.svg', dark: 'file:../icons/uphance.dark.svg' };

	documentationUrl = 'https://help.uphance.com/en/articles/2532044-uphance-api-for-developers';

	properties: INodeProperties[] = [
		{
			displayName: 'Session Token',
			name: 'sessionToken',
			type: 'hidden',
			typeOptions: { expirable: true, password: true },
			default: '',
		},
		{
			// which sign-in the session token belongs to (sessionFingerprint)
			displayName: 'Session For',
			name: 'sessionFor',
			type: 'hidden',
			default: '',
		},
		{
			displayName: 'Email',
			name: 'email',
			type: 'string',
			placeholder: 'name@email.com',
			default: '',
			required: true,
			description: 'Email address of the Uphance user the API calls run as',
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'Password of that Uphance user. n8n exchanges it for a session token and renews the token when Uphance stops accepting it.',
		},
		{
			displayName: 'Organisation ID',
			name: 'organisationId',
			type: 'string',
			default: '',
			required: true,
			description:
				'Numeric id of the Uphance organisation the nodes work in. When it is wrong, the credential test lists the organisations this user can access.',
		},
		{
			displayName: 'Webhook URL Token',
			name: 'urlToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				"Needed by the Uphance Trigger (Require URL Token is on by default): a long random secret you choose, e.g. from a password generator. In Uphance, paste the trigger's Production URL followed by ?token=<this value>.",
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: DEFAULT_UPHANCE_BASE_URL,
			description: 'Change only to point at a proxy or a test server',
		},
	];

	async preAuthentication(
		this: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
	): Promise<IDataObject> {
		return await uphanceSignIn(
			async (options) => await this.helpers.httpRequest(options),
			credentials,
		);
	}

	// A function rather than the generic `=Bearer {{$credentials.sessionToken}}` form: n8n would
	// evaluate that expression (an expression isolate) on every record fetch, before the answer.
	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		return {
			...requestOptions,
			headers: {
				...requestOptions.headers,
				Authorization: `Bearer ${credentials.sessionFor === sessionFingerprint(credentials) ? String(credentials.sessionToken ?? '') : ''}`,
			},
		};
	}

	// preAuthentication runs first on every test: it signs in, checks that the organisation is one
	// of the user's (clear message otherwise) and selects it. The request then lists organisations.
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{($credentials.baseUrl || "https://api.uphance.com").replace(/\\/+$/, "")}}',
			url: '/organisations',
			method: 'GET',
		},
		rules: [
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'organisations.length',
					value: 0,
					message:
						'This Uphance user has no organisations. Sign in with a user that belongs to the organisation.',
				},
			},
		],
	};
}
