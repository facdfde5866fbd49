'use strict';
/**
 * Child process started by test/support/verdaccio.js: runs verdaccio (from its cached install) with a
 * throw-away config and reports to its parent over IPC.
 *
 *   node verdaccioServer.js <verdaccio install dir> <config file> <host> <port>
 *
 * Messages to the parent: { type: 'ready' }, { type: 'request', method, url, host, ua } for every
 * request (so the test can tell what n8n's installer fetched), { type: 'error', message }.
 * It exits as soon as the IPC channel to its parent closes: when the test run ends, however it ends
 * (normal exit, a signal, SIGKILL), no registry is left behind.
 */
const path = require('path');

const [verdaccioDir, configPath, host, port] = process.argv.slice(2);

function send(msg) {
	if (process.connected) process.send(msg);
}

process.on('disconnect', () => process.exit(0));
if (!process.connected) process.exit(3); // started without a parent to report to

(async () => {
	const { runServer } = require(path.join(verdaccioDir, 'node_modules', 'verdaccio'));
	// listen (https://<host>:<port>) and https {key, cert} come from the config file
	const server = await runServer(configPath);
	server.prependListener('request', (req) => {
		send({
			type: 'request',
			method: req.method,
			url: req.url,
			host: req.headers.host || '',
			ua: req.headers['user-agent'] || '',
		});
	});
	server.on('error', (err) => {
		send({ type: 'error', message: err.message });
		process.exit(2);
	});
	server.listen(Number(port), host, () => send({ type: 'ready' }));
})().catch((err) => {
	send({ type: 'error', message: err && err.stack ? err.stack : String(err) });
	process.exit(2);
});
