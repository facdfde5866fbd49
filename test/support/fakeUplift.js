'use strict';
/**
 * A small real HTTP server that plays Uplift (uplift.ai) for e2e tests and the demo.
 *
 *   const fake = await require('./fakeUplift').start({ apiKey: 'sk_test', csvDelayMs: 0 });
 *   fake.url            -> http://127.0.0.1:<port>
 *   fake.apiBaseUrl     -> http://127.0.0.1:<port>/v1   (use as the credential's baseUrl)
 *   fake.csvUrl('x')    -> http://127.0.0.1:<port>/files/x.csv
 *   fake.setCsv(name, text), fake.setCsvDelay(ms), fake.csvRequests(name?) -> [{name, authorization, at}]
 *   fake.setCapture(id, capture), fake.requests -> log of every request
 *   fake.close()
 *
 * Endpoints (see docs/uplift-api.md):
 *   GET /files/<name>.csv        CloudFront-like pre-signed CSV; no Authorization expected (recorded)
 *   GET /v1/captures             list (credential test), requires Authorization: Bearer <apiKey>
 *   GET /v1/captures/:id         one capture (§4.3 shape), 404 if unknown
 *
 * Helpers (also exported standalone): sign(secret, rawBody), buildEvent({...}), signedDelivery({...})
 */
const crypto = require('crypto');
const http = require('http');

const { listenOnLoopback } = require('./http');

const DEFAULT_CSV =
	'frame,time,pelvis_rotation,trunk_rotation,peak_power\n' +
	'0,0.000,12.5,8.1,0\n' +
	'1,0.033,13.1,8.9,120.4\n' +
	'2,0.067,14.0,9.6,240.9\n';

function sign(secret, rawBody) {
	return 'sha256=' + crypto.createHmac('sha256', Buffer.from(String(secret), 'utf8')).update(rawBody).digest('hex');
}

/**
 * Build a `movement.analytics.created` (default) or `webhook.created` event envelope.
 * opts: { id, type, csvUrl, created (ms), expires (ms), captureId, athleteName }
 */
function buildEvent(opts = {}) {
	const type = opts.type || 'movement.analytics.created';
	const id = opts.id || crypto.randomUUID();
	const created = opts.created != null ? opts.created : Date.now();
	if (type === 'webhook.created') {
		return {
			id,
			object: 'event',
			type,
			api_version: '01/01/2022',
			created,
			data: {
				object: {
					id: opts.webhookId || crypto.randomUUID(),
					userId: '76e04742-0762-4df7-a5f7-72fd25b81173',
					eventTypeIds: ['movement.analytics.created'],
					hookUrl: opts.hookUrl || 'https://example.invalid/webhook',
					description: 'Test',
				},
			},
		};
	}
	const expires = opts.expires != null ? opts.expires : created + 7 * 24 * 3600 * 1000;
	const captureId = opts.captureId || '719df2e0-c9dd-462d-a1dd-8023c81e091f';
	let url = opts.csvUrl || 'https://example.invalid/uplift_data_export.csv';
	url += (url.includes('?') ? '&' : '?') + `Expires=${Math.floor(expires / 1000)}&Key-Pair-Id=K384YK5GQ107UF&Signature=fake`;
	return {
		id,
		object: 'event',
		type,
		api_version: '01/01/2022',
		created,
		data: {
			object: {
				id: `${captureId}_${opts.movementIndex != null ? opts.movementIndex : 2}`,
				activity: opts.activity || 'jump',
				movement: opts.movement || 'single_leg',
				data: { url, expires },
				organization: {
					id: {
						organizationId: '4341bc6b-a64c-427a-b1fd-e06e4941cab9',
						userId: '76e04742-0762-4df7-a5f7-72fd25b81173',
						roleName: 'owner',
					},
					user: '76e04742-0762-4df7-a5f7-72fd25b81173',
				},
				athlete: {
					id: '9fc8ff9e-8353-53f9-b66f-c6a1f6f3950a',
					name: opts.athleteName || 'sample athlete',
					ebis_id: null,
					mlbam_id: null,
				},
			},
		},
	};
}

/** Returns { body (string, exact bytes to send), headers, event }. Pass secret=null for no signature header. */
function signedDelivery({ secret, event, ...rest } = {}) {
	const ev = event || buildEvent(rest);
	const body = JSON.stringify(ev);
	const headers = { 'content-type': 'application/json', 'user-agent': 'Uplift-Webhooks/1.0 (fake)' };
	if (secret != null) headers['x-uplift-signature-256'] = sign(secret, body);
	return { body, headers, event: ev };
}

function sendJson(res, status, obj, extraHeaders) {
	const body = JSON.stringify(obj);
	res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(extraHeaders || {}) });
	res.end(body);
}

function start(opts = {}) {
	const state = {
		apiKey: opts.apiKey || 'sk_test_fake_uplift_key',
		csvDelayMs: opts.csvDelayMs || 0,
		csv: new Map(),
		captures: new Map(),
		requests: [],
		csvLog: [],
		apiStatus: null, // force a status on /v1 calls (e.g. 503)
	};

	const server = http.createServer((req, res) => {
		const url = new URL(req.url, 'http://x');
		const entry = {
			method: req.method,
			path: url.pathname,
			query: url.search,
			authorization: req.headers.authorization || null,
			at: Date.now(),
		};
		state.requests.push(entry);
		req.resume();

		const fileMatch = /^\/files\/([^/]+)\.csv$/.exec(url.pathname);
		if (fileMatch && req.method === 'GET') {
			const name = decodeURIComponent(fileMatch[1]);
			state.csvLog.push({ name, authorization: entry.authorization, at: entry.at });
			const expiresS = Number(url.searchParams.get('Expires'));
			const deliver = () => {
				if (res.destroyed) return;
				if (expiresS && expiresS * 1000 < Date.now()) {
					res.writeHead(403, { 'content-type': 'application/xml' });
					return res.end('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
				}
				const text = state.csv.has(name) ? state.csv.get(name) : opts.serveAnyCsv === false ? null : DEFAULT_CSV;
				if (text == null) {
					res.writeHead(404, { 'content-type': 'application/xml' });
					return res.end('<Error><Code>NoSuchKey</Code></Error>');
				}
				res.writeHead(200, {
					'content-type': 'text/csv',
					'content-length': Buffer.byteLength(text),
					'content-disposition': `attachment; filename="${name}.csv"`,
				});
				res.end(text);
			};
			if (state.csvDelayMs > 0) setTimeout(deliver, state.csvDelayMs);
			else deliver();
			return;
		}

		if (url.pathname === '/v1' || url.pathname.startsWith('/v1/')) {
			if (state.apiStatus) return sendJson(res, state.apiStatus, { error: `forced ${state.apiStatus}` });
			if (entry.authorization !== `Bearer ${state.apiKey}`) return sendJson(res, 401, { error: 'Unauthorized', message: 'Invalid or missing API key' });
			if (req.method === 'GET' && url.pathname === '/v1/captures') {
				const captures = [...state.captures.values()];
				return sendJson(res, 200, { captures, total_count: captures.length, offset: 0, limit: 100 });
			}
			const m = /^\/v1\/captures\/([^/]+)$/.exec(url.pathname);
			if (req.method === 'GET' && m) {
				const id = decodeURIComponent(m[1]);
				const cap = state.captures.get(id);
				if (!cap) return sendJson(res, 404, { error: 'Not Found', message: `Capture ${id} not found` });
				return sendJson(res, 200, cap);
			}
			return sendJson(res, 404, { error: 'Not Found' });
		}
		if (url.pathname === '/healthz') return sendJson(res, 200, { ok: true });
		sendJson(res, 404, { error: 'Not Found' });
	});
	return listenOnLoopback(server, opts).then(({ url, port, close }) => ({
				url,
				port,
				apiKey: state.apiKey,
				apiBaseUrl: `${url}/v1`,
				csvUrl: (name = 'uplift_data_export') => `${url}/files/${encodeURIComponent(name)}.csv`,
				defaultCsv: DEFAULT_CSV,
				setCsv(name, text) {
					state.csv.set(name, text);
				},
				setCsvDelay(ms) {
					state.csvDelayMs = ms;
				},
				setApiStatus(status) {
					state.apiStatus = status || null;
				},
				setCapture(id, capture) {
					state.captures.set(id, {
						session_id: id,
						athlete_id: '9fc8ff9e-8353-53f9-b66f-c6a1f6f3950a',
						activity: 'jump',
						movement: 'single_leg',
						status: 'completed',
						error: null,
						capture_time: '2023-03-07T23:25:52Z',
						fps_detected: 60,
						...(capture || {}),
					});
				},
				csvRequests(name) {
					return state.csvLog.filter((r) => name == null || r.name === name);
				},
				get requests() {
					return state.requests;
				},
				clearLog() {
					state.requests.length = 0;
					state.csvLog.length = 0;
				},
				close,
	}));
}

module.exports = { start, sign, buildEvent, signedDelivery, DEFAULT_CSV };
