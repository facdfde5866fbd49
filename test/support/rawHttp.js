'use strict';
/**
 * One HTTP request with exactly these bytes, on its own connection, for requests fetch() will not
 * send (TRACE) or must not follow (HEAD, OPTIONS), and for large bodies a server may answer before
 * the upload is complete. Like curl, a large body goes out in chunks, the server gets a moment after
 * the first one to answer early, and sending stops once an answer has begun, so an early answer is
 * read rather than lost to a failed write. Never throws: resolves to
 * `{ status, headers, text, json, error? }` (status 0 when no answer arrived).
 */
const http = require('http');

const { parseJsonOrUndefined } = require('./http');

function rawRequest(method, url, { body, headers = {}, timeoutMs = 120000 } = {}) {
	const bytes = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
	return new Promise((resolve) => {
		let done = false;
		let answered = false;
		let status = 0;
		let responseHeaders = {};
		const chunks = [];
		const finish = (error) => {
			if (done) return;
			done = true;
			const text = Buffer.concat(chunks).toString('utf8');
			resolve({ status, headers: responseHeaders, text, json: parseJsonOrUndefined(text), ...(error ? { error } : {}) });
			req.destroy();
		};
		const req = http.request(
			url,
			{ method, agent: false, headers: { ...headers, ...(bytes ? { 'content-length': String(bytes.length) } : {}) } },
			(res) => {
				answered = true;
				status = res.statusCode || 0;
				responseHeaders = res.headers;
				res.on('data', (c) => chunks.push(c));
				res.on('end', () => finish());
				res.on('error', (e) => finish(e.code));
			},
		);
		req.setTimeout(timeoutMs, () => finish('timeout'));
		req.on('error', (e) => finish(e.code));
		if (!bytes) {
			req.end();
			return;
		}
		const CHUNK = 64 * 1024;
		let offset = 0;
		const pump = () => {
			while (!answered && !done && offset < bytes.length) {
				const chunk = bytes.subarray(offset, offset + CHUNK);
				offset += chunk.length;
				if (offset === chunk.length && bytes.length > 1024 * 1024) {
					req.write(chunk);
					setTimeout(pump, 1000);
					return;
				}
				if (!req.write(chunk)) {
					req.once('drain', pump);
					return;
				}
			}
			if (!answered && !done) req.end();
		};
		pump();
	});
}

/**
 * rawRequest, again when the connection was cut before any answer arrived (a server that answers a
 * large upload early and closes can make the next write fail before the answer is read).
 */
async function rawRequestAnswered(method, url, options) {
	let a = { status: 0, headers: {}, text: '' };
	for (let attempt = 0; attempt < 3 && a.status === 0; attempt++) a = await rawRequest(method, url, options);
	return a;
}

module.exports = { rawRequest, rawRequestAnswered };
