'use strict';
/**
 * A small real HTTP server that plays Uplift (uplift.ai) for e2e tests and the demo.
 *
 *   const fake = await require('./fakeUplift').start({ apiKey: 'sk_test', csvDelayMs: 0 });
 *   fake.url            -> http://127.0.0.1:<port>
 *   fake.apiBaseUrl     -> http://127.0.0.1:<port>/v1   (use as the credential's baseUrl)
 *   fake.csvUrl('x')    -> http://127.0.0.1:<port>/files/x.csv
 *   fake.setCsv(name, text), fake.setCsvDelay(ms), fake.holdCsv() / fake.releaseCsv(),
 *   fake.csvRequests(name?) -> [{name, authorization, at, repliedAt (once the CSV answer was sent)}]
 *   fake.setCapture(id, capture), fake.requests -> log of every request
 *   fake.close()
 *
 * Endpoints (see docs/uplift-api.md):
 *   GET /files/<name>.csv        CloudFront-like pre-signed CSV; no Authorization expected (recorded)
 *   GET /v1/captures             list (credential test), requires Authorization: Bearer <apiKey>
 *   GET /v1/captures/:id         one capture (§4.3 shape); unknown: 404 {"error":"NotFound","message":"Capture not found."}
 *
 * Action-node endpoints (docs/uplift-api.md §4):
 *   GET  /v1/captures?athlete_id&status&activity&movement&limit(1-500, default 100)&offset -> {captures, total_count, offset, limit}
 *   POST /v1/athletes {first_name,...} -> 200 {athlete}; POST /v1/athletes/:id -> {athlete} ("" or 0 clears a
 *     field and deletes a custom attribute); GET /v1/athletes?<attr>=<v>&limit&offset -> {athletes, total_count}
 *   Each rule's source is next to its code: a docs.uplift.ai page, Uplift's sample client, or ASSUMED.
 *   POST /v1/data/export {...} -> {jobId}; GET /v1/data/export/job/:id -> {jobId,status,errorMessage,...}
 *     (RUNNING for fake.exportPolls polls, then COMPLETED, or FAILED with fake.setExportOutcome('FAILED'))
 *   GET  /v1/data/export/job/:id/results?limit(<=500)&offset -> {jobId, rowCount, schema, rows}
 *   fake.setExportRows(n), fake.setExportPolls(n), fake.exportJobs, fake.failNext(count, status, retryAfter, match?)
 *     (match(entry) -> boolean: only /v1 requests it accepts fail; entry = {method, path, query, body})
 *   fake.setExportOutcome(outcome, {activity, movement}?): jobs of that pair only, or every later job
 *   fake.setCaptureOrder('added' | 'newest' | 'id'): the list order (none documented), fake.deleteCapture(id)
 *
 * Catch-up (docs/catch-up.md §6): fake.addCapture({session_id, athlete_id, activity, movement,
 *   capture_time, status, last_modified, csv}) adds a capture (listed by GET /v1/captures) with its own
 *   CSV (default DEFAULT_CSV). Once any capture was added so, export jobs answer with the rows of the
 *   added captures that match the job (status completed, activity/movement case-insensitive,
 *   `athletes`, startTime..endTime in epoch seconds on `capture_time` or, with dateMode
 *   'last_modified', on `last_modified` (default capture_time)): each CSV row becomes a row
 *   {sessionid, athleteid, ...its columns}, the captures' rows interleaved, schema = those columns.
 * Helpers (also exported standalone): sign(secret, rawBody), buildEvent({...}), signedDelivery({...}),
 *   DEFAULT_CAPTURE_ID (the capture buildEvent's events name by default)
 */
const crypto = require('crypto');
const http = require('http');

const { listenOnLoopback } = require('./http');

const DEFAULT_CSV =
	'frame,time,pelvis_rotation,trunk_rotation,peak_power\n' +
	'0,0.000,12.5,8.1,0\n' +
	'1,0.033,13.1,8.9,120.4\n' +
	'2,0.067,14.0,9.6,240.9\n';

/** The capture (session) buildEvent's events name unless told otherwise (`<id>_<n>` in data.object.id). */
const DEFAULT_CAPTURE_ID = '719df2e0-c9dd-462d-a1dd-8023c81e091f';

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
	const captureId = opts.captureId || DEFAULT_CAPTURE_ID;
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

function orderCaptures(captures, order) {
	const time = (c) => Date.parse(c.capture_time) || 0;
	if (order === 'newest') return captures.sort((a, b) => time(b) - time(a) || (a.session_id < b.session_id ? -1 : 1));
	if (order === 'id') return captures.sort((a, b) => (a.session_id < b.session_id ? -1 : a.session_id > b.session_id ? 1 : 0));
	return captures;
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
		csvHeld: false, // holdCsv(): CSV answers wait for releaseCsv()
		heldCsv: [],
		apiStatus: null, // force a status on /v1 calls (e.g. 503)
		failNext: [], // [{status, retryAfter}] for the next /v1 calls
		athletes: new Map(),
		jobs: new Map(),
		exportRows: 3,
		exportPolls: 1,
		exportOutcome: 'COMPLETED',
		exportOutcomeFor: new Map(), // 'activity|movement' (lower case) -> outcome
		captureCsv: new Map(), // session_id -> CSV text, for captures added with addCapture
		listKeys: {}, // setListKey: list name -> the key it is answered under
		captureOrder: 'added', // setCaptureOrder: 'added' | 'newest' (capture_time desc) | 'id' (session_id asc)
		nextId: 1,
	};
	const readBody = (req) =>
		new Promise((resolve) => {
			const chunks = [];
			req.on('data', (c) => chunks.push(c));
			req.on('end', () => {
				try {
					resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {});
				} catch {
					resolve(null);
				}
			});
		});
	const clampLimit = (v, dflt) => Math.min(500, Math.max(1, Number(v || dflt)));

	/** Rows and schema of an export job over the captures added with addCapture (see the header). */
	const exportFromCaptures = (request) => {
		const lower = (v) => String(v == null ? '' : v).toLowerCase();
		const toS = (v) => Date.parse(v) / 1000;
		const start = Number(request.startTime);
		const end = request.endTime == null ? Date.now() / 1000 : Number(request.endTime);
		const athletes = Array.isArray(request.athletes) && request.athletes.length ? new Set(request.athletes) : null;
		const matching = [...state.captures.values()].filter((c) => {
			if (!state.captureCsv.has(c.session_id) || c.status !== 'completed') return false;
			if (lower(c.activity) !== lower(request.activity) || lower(c.movement) !== lower(request.movement)) return false;
			if (athletes && !athletes.has(c.athlete_id)) return false;
			const t = toS(request.dateMode === 'last_modified' ? c.last_modified || c.capture_time : c.capture_time);
			return t >= start && t <= end;
		});
		const columns = [];
		const perCapture = matching.map((c) => {
			const [header, ...lines] = state.captureCsv.get(c.session_id).trim().split(/\r?\n/);
			const names = header.split(',');
			for (const n of names) if (!columns.includes(n)) columns.push(n);
			return lines.map((line) => {
				const row = { sessionid: c.session_id, athleteid: c.athlete_id };
				line.split(',').forEach((v, i) => (row[names[i]] = v !== '' && !Number.isNaN(Number(v)) ? Number(v) : v));
				return row;
			});
		});
		// Interleaved (Uplift documents no order): grouping by sessionid must not rely on runs of rows.
		const rows = [];
		for (let i = 0; perCapture.some((list) => i < list.length); i++) for (const list of perCapture) if (i < list.length) rows.push(list[i]);
		const schema = ['sessionid', 'athleteid', ...columns].map((name) => ({ name, type: { name: name === 'sessionid' || name === 'athleteid' ? 'varchar' : 'double' } }));
		return { rows, schema };
	};

	const server = http.createServer(async (req, res) => {
		const url = new URL(req.url, 'http://x');
		const entry = {
			method: req.method,
			path: url.pathname,
			query: url.search,
			authorization: req.headers.authorization || null,
			at: Date.now(),
		};
		state.requests.push(entry);
		const body = req.method === 'POST' ? await readBody(req) : (req.resume(), {});
		entry.body = body;

		const fileMatch = /^\/files\/([^/]+)\.csv$/.exec(url.pathname);
		if (fileMatch && req.method === 'GET') {
			const name = decodeURIComponent(fileMatch[1]);
			const csvEntry = { name, authorization: entry.authorization, at: entry.at };
			state.csvLog.push(csvEntry);
			const expiresS = Number(url.searchParams.get('Expires'));
			const deliver = () => {
				if (res.destroyed) return;
				csvEntry.repliedAt = Date.now();
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
			if (state.csvHeld) state.heldCsv.push(deliver);
			else if (state.csvDelayMs > 0) setTimeout(deliver, state.csvDelayMs);
			else deliver();
			return;
		}

		if (url.pathname === '/v1' || url.pathname.startsWith('/v1/')) {
			if (state.apiStatus) return sendJson(res, state.apiStatus, { error: `forced ${state.apiStatus}` });
			if (entry.authorization !== `Bearer ${state.apiKey}`) return sendJson(res, 401, { error: 'Unauthorized', message: 'Invalid or missing API key' });
			const failAt = state.failNext.findIndex((f) => !f.match || f.match(entry));
			if (failAt >= 0) {
				const [f] = state.failNext.splice(failAt, 1);
				entry.injected = f.status;
				return sendJson(res, f.status, { error: f.status === 429 ? 'Too Many Requests' : 'injected failure', message: `injected ${f.status}` }, f.status === 429 ? { 'retry-after': String(f.retryAfter) } : undefined);
			}
			if (body === null) return sendJson(res, 400, { error: 'Bad Request', message: 'Body is not JSON' });
			const q = url.searchParams;
			if (req.method === 'GET' && url.pathname === '/v1/captures') {
				// Uplift documents no order for /captures (docs/uplift-api.md §4.3; ASSUMED): the order the
				// captures were added by default, or as set by fake.setCaptureOrder, so tests vary it.
				let captures = orderCaptures([...state.captures.values()], state.captureOrder);
				for (const k of ['athlete_id', 'status', 'activity', 'movement'])
					if (q.has(k)) captures = captures.filter((c) => String(c[k]).toLowerCase() === q.get(k).toLowerCase());
				const limit = clampLimit(q.get('limit'), 100);
				const offset = Number(q.get('offset') || 0);
				// fake.setListKey('captures', 'data'): the list under another key, an answer of unexpected
				// shape (ASSUMED possible; nothing documents it), for the nodes' error path
				return sendJson(res, 200, { [state.listKeys.captures || 'captures']: captures.slice(offset, offset + limit), total_count: captures.length, offset, limit });
			}
			// Create Athlete answers 200 "Athlete created successfully" (docs.uplift.ai/api-reference/
			// athletes/create: Response 200); first_name is the minimum required field (same page). The
			// {athlete} envelope is as Update documents it (below); for Create it is ASSUMED.
			if (req.method === 'POST' && url.pathname === '/v1/athletes') {
				if (!body.first_name) return sendJson(res, 400, { error: 'Bad Request', message: 'first_name is required' });
				const athlete = { id: `ath-${state.nextId++}`, ...body };
				state.athletes.set(athlete.id, athlete);
				return sendJson(res, 200, { athlete });
			}
			let am = /^\/v1\/athletes\/([^/]+)$/.exec(url.pathname);
			if (req.method === 'POST' && am) {
				const a = state.athletes.get(decodeURIComponent(am[1]));
				// the 404 body of the documented Error schema (as for captures, below); ASSUMED for athletes
				if (!a) return sendJson(res, 404, { error: 'NotFound', message: 'Athlete not found.' });
				// Update Athlete (docs.uplift.ai/api-reference/athletes/update, "Attribute Modification"):
				// first_name "cannot be empty"; a string set to "" or an integer set to 0 clears the
				// attribute (shown here as absent: ASSUMED); "If an existing custom attribute is updated
				// with an empty string ("") or 0, the attribute will be deleted from the custom_attributes
				// object"; new custom attributes are added. Answer {athlete} (same page).
				if (body.first_name === '') return sendJson(res, 400, { error: 'Bad Request', message: 'first_name cannot be emptied' });
				const cleared = (v) => v === '' || v === 0;
				const { custom_attributes, ...rest } = body;
				for (const [k, v] of Object.entries(rest)) {
					if (cleared(v)) delete a[k];
					else a[k] = v;
				}
				if (custom_attributes && typeof custom_attributes === 'object') {
					const attrs = { ...(a.custom_attributes || {}) };
					for (const [k, v] of Object.entries(custom_attributes)) {
						if (cleared(v)) delete attrs[k];
						else attrs[k] = v;
					}
					a.custom_attributes = attrs;
				}
				return sendJson(res, 200, { athlete: a });
			}
			if (req.method === 'GET' && url.pathname === '/v1/athletes') {
				let athletes = [...state.athletes.values()];
				for (const [k, v] of q.entries())
					if (!['limit', 'offset', 'sorted_by'].includes(k)) athletes = athletes.filter((a) => a.custom_attributes && a.custom_attributes[k] === v);
				const limit = clampLimit(q.get('limit'), 100);
				const offset = Number(q.get('offset') || 0);
				return sendJson(res, 200, { athletes: athletes.slice(offset, offset + limit), total_count: athletes.length });
			}
			if (req.method === 'POST' && url.pathname === '/v1/data/export') {
				if (!body.activity || !body.movement || typeof body.startTime !== 'number')
					return sendJson(res, 400, { error: 'Bad Request', message: 'activity, movement and startTime are required' });
				const jobId = `job-${state.nextId++}`;
				const pair = `${String(body.activity).toLowerCase()}|${String(body.movement).toLowerCase()}`;
				const outcome = state.exportOutcomeFor.get(pair) || state.exportOutcome;
				const fromCaptures = state.captureCsv.size > 0 ? exportFromCaptures(body) : undefined;
				state.jobs.set(jobId, {
					jobId,
					request: body,
					polls: 0,
					rows: fromCaptures ? fromCaptures.rows.length : state.exportRows,
					rowData: fromCaptures && fromCaptures.rows,
					schema: fromCaptures && fromCaptures.schema,
					outcome,
					needPolls: state.exportPolls,
					createdAt: new Date().toISOString(),
				});
				return sendJson(res, 200, { jobId });
			}
			const jm = /^\/v1\/data\/export\/job\/([^/]+)(\/results)?$/.exec(url.pathname);
			if (req.method === 'GET' && jm) {
				const job = state.jobs.get(decodeURIComponent(jm[1]));
				// 404 "The job ID does not exist or has no results": Uplift's sample client (S4 in
				// docs/uplift-api.md) maps 404 to that text; the body's form is the documented Error schema
				// of /captures (ASSUMED for export jobs).
				if (!job) return sendJson(res, 404, { error: 'NotFound', message: 'The job ID does not exist or has no results' });
				if (!jm[2]) {
					job.polls++;
					const done = job.polls > job.needPolls;
					const status = done ? job.outcome : 'RUNNING';
					return sendJson(res, 200, { jobId: job.jobId, status, errorMessage: status === 'FAILED' ? 'Export failed: no captures in range' : null, createdAt: job.createdAt, completedAt: done ? new Date().toISOString() : null });
				}
				if (job.polls <= job.needPolls || job.outcome !== 'COMPLETED') return sendJson(res, 404, { error: 'NotFound', message: 'The job ID does not exist or has no results' });
				const limit = clampLimit(q.get('limit'), 100);
				const offset = Number(q.get('offset') || 0);
				if (job.rowData) {
					const rows = job.rowData.slice(offset, offset + limit);
					return sendJson(res, 200, { jobId: job.jobId, rowCount: rows.length, schema: job.schema, rows });
				}
				const rows = [];
				for (let r = offset; r < Math.min(job.rows, offset + limit); r++) rows.push({ sessionid: `s-${Math.floor(r / 10)}`, athleteid: 'ath-1', frame: r % 10, peak_power: r * 1.5 });
				return sendJson(res, 200, { jobId: job.jobId, rowCount: rows.length, schema: [{ name: 'frame', type: { name: 'int' } }], rows });
			}
			const m = /^\/v1\/captures\/([^/]+)$/.exec(url.pathname);
			if (req.method === 'GET' && m) {
				const id = decodeURIComponent(m[1]);
				const cap = state.captures.get(id);
				// docs.uplift.ai/api-reference/captures/get, OpenAPI 404 example: "Session not found or
				// soft-deleted", {error: NotFound, message: Capture not found.} (the id is not in it)
				if (!cap) return sendJson(res, 404, { error: 'NotFound', message: 'Capture not found.' });
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
				/** CSV downloads get no answer until releaseCsv(): a server that is slow for as long as the test says. */
				holdCsv() {
					state.csvHeld = true;
				},
				/** Answers the held CSV downloads now, and later ones at once. */
				releaseCsv() {
					state.csvHeld = false;
					for (const deliver of state.heldCsv.splice(0)) deliver();
				},
				setCsvDelay(ms) {
					state.csvDelayMs = ms;
				},
				setApiStatus(status) {
					state.apiStatus = status || null;
				},
				failNext(count, status = 503, retryAfter = 1, match) {
					for (let i = 0; i < count; i++) state.failNext.push({ status, retryAfter, match });
				},
				setExportRows(n) {
					state.exportRows = n;
				},
				setExportPolls(n) {
					state.exportPolls = n;
				},
				setExportOutcome(outcome, only) {
					if (only) state.exportOutcomeFor.set(`${String(only.activity).toLowerCase()}|${String(only.movement).toLowerCase()}`, outcome);
					else state.exportOutcome = outcome;
				},
				get exportJobs() {
					return [...state.jobs.values()];
				},
				get athletes() {
					return [...state.athletes.values()];
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
				/** The order GET /v1/captures lists in: 'added' (default), 'newest' (capture_time desc), 'id'. */
				setCaptureOrder(order) {
					if (!['added', 'newest', 'id'].includes(order)) throw new Error(`unknown capture order ${order}`);
					state.captureOrder = order;
				},
				/** Answer a list under another key (an unexpected shape): setListKey('captures', 'data'). */
				setListKey(list, key) {
					state.listKeys[list] = key;
				},
				/** A capture deleted at Uplift: no longer listed. */
				deleteCapture(id) {
					state.captures.delete(id);
					state.captureCsv.delete(id);
				},
				/** A capture with its own CSV, for catch-up's listing and export jobs (see the header). */
				addCapture(capture) {
					const { csv, ...fields } = capture;
					if (!fields.session_id) throw new Error('addCapture needs a session_id');
					this.setCapture(fields.session_id, fields);
					state.captureCsv.set(fields.session_id, csv != null ? csv : DEFAULT_CSV);
					return state.captures.get(fields.session_id);
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

module.exports = { start, sign, buildEvent, signedDelivery, DEFAULT_CSV, DEFAULT_CAPTURE_ID };
