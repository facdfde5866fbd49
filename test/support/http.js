'use strict';
/** Small HTTP pieces shared by the fake vendor servers, the e2e tests and the demo. */

/**
 * Listens on loopback (an ephemeral port unless `opts.port`), tracking sockets so `close()` ends
 * kept-alive connections too. Resolves to `{ url, port, close }`.
 */
function listenOnLoopback(server, opts = {}) {
	const sockets = new Set();
	server.on('connection', (s) => {
		sockets.add(s);
		s.on('close', () => sockets.delete(s));
	});
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(opts.port || 0, opts.host || '127.0.0.1', () => {
			const { port } = server.address();
			resolve({
				url: `http://127.0.0.1:${port}`,
				port,
				close() {
					return new Promise((r) => {
						for (const s of sockets) s.destroy();
						server.close(() => r());
					});
				},
			});
		});
	});
}

/**
 * POSTs a body (a string as is, anything else as JSON; content-type application/json unless the
 * headers say otherwise). Resolves to `{ status, text, json, ms }`; json is undefined when the answer
 * is not JSON.
 */
async function post(url, body, headers = {}) {
	const t0 = Date.now();
	const r = await fetch(url, {
		method: 'POST',
		body: typeof body === 'string' ? body : JSON.stringify(body),
		headers: { 'content-type': 'application/json', ...headers },
	});
	const text = await r.text();
	const ms = Date.now() - t0;
	return { status: r.status, text, json: parseJsonOrUndefined(text), ms };
}

/** The JSON in an answer's text, or undefined when it is empty or not JSON. */
function parseJsonOrUndefined(text) {
	try {
		return text ? JSON.parse(text) : undefined;
	} catch {
		return undefined;
	}
}

module.exports = { listenOnLoopback, post, parseJsonOrUndefined };
