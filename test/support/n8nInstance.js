'use strict';
/**
 * Start / stop / restart a real n8n (provisioned by scripts/provision-n8n.js) with this package
 * installed as a community package, plus helpers for the public API.
 *
 *   const { N8nInstance } = require('../support/n8nInstance');
 *   const n8n = new N8nInstance({ name: 'uplift' });       // user folder <tmp>/n8n-nodes-uphance-uplift-e2e/<checkout>/uplift, log .e2e/uplift/n8n.log
 *   await n8n.start();                                      // fresh folder, owner, API key, package installed
 *   const cred = await n8n.createCredential('upliftApi', 'Uplift', {...});
 *   const wf = await n8n.createWorkflow(json); await n8n.activate(wf.id);
 *   await n8n.waitForExecutions(wf.id, 1, 30000);
 *   await n8n.restart(); await n8n.stop();
 *
 * Options: name, version (default env N8N_VERSION or 2.40.7), port/brokerPort (default: free
 * ephemeral ports), fresh (default true: wipe the folder on first start), env (extra env),
 * installPackage (default true), build (default: true unless env E2E_SKIP_BUILD=1),
 * owner {email,password}, quiet.
 * For several processes on one user folder (queue mode, test/support/queueMode.js): folder (the
 * user folder, default <tmp>/n8n-nodes-uphance-uplift-e2e/<checkout>/<name>), logFile (default .e2e/<name>/n8n.log), command ('start' (default),
 * 'webhook' or 'worker'; a worker's `port` is its health-check port), args (more arguments after the
 * command, e.g. ['--concurrency=5'] for a worker), onSpawn (called with the instance once its
 * process exists). Only 'start' sets up the owner and API key.
 * launcher: argv prefix that starts n8n (it must exec the rest), e.g. test/support/verdaccio.js's
 * n8nLauncher(), which gives n8n its own /etc/hosts.
 */
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const net = require('net');
const { spawn } = require('child_process');

const { parseJsonOrUndefined } = require('./http');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const E2E_DIR = path.join(REPO_ROOT, '.e2e');
const PACKAGE_NAME = require(path.join(REPO_ROOT, 'package.json')).name;
const BROWSER_ID = 'e2e-browser';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Node's own process object. Under Jest, `process` in test code (and `require('process')`) is a
 * copy with its own event emitter, so 'exit' and signal listeners added to it never fire; they must
 * go on the real one, which Node's module loader still returns.
 */
const hostProcess = (() => {
	try {
		const real = require('module')._load('process');
		if (real && typeof real.once === 'function') return real;
	} catch {
		/* not available: fall back to the global */
	}
	return process;
})();

function log(msg) {
	process.stderr.write(`[n8n-e2e] ${msg}\n`);
}

/** Resolves true if nothing listens on host:port (we can bind it). */
function isPortFree(port, host = '127.0.0.1') {
	return new Promise((resolve) => {
		const srv = net.createServer();
		srv.once('error', () => resolve(false));
		srv.listen(port, host, () => srv.close(() => resolve(true)));
	});
}

/** Also detect listeners on other addresses (e.g. 0.0.0.0 / ::) by trying to connect. */
function isPortListening(port) {
	return new Promise((resolve) => {
		const s = net.connect({ port, host: '127.0.0.1' });
		s.once('connect', () => {
			s.destroy();
			resolve(true);
		});
		s.once('error', () => resolve(false));
		s.setTimeout(1000, () => {
			s.destroy();
			resolve(false);
		});
	});
}

async function assertPortFree(port, what) {
	if ((await isPortListening(port)) || !(await isPortFree(port)))
		throw new Error(
			`Port ${port} (${what}) is already in use. Stop whatever listens there (e.g. \`ss -ltnp | grep :${port}\`) or choose another port.`,
		);
}

function freePort() {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.once('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}

/** Runs a command to completion; rejects with its output on a non-zero exit. `input`, if given, goes to stdin. */
function run(cmd, args, { input, ...opts } = {}) {
	return new Promise((resolve, reject) => {
		const child = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], ...opts });
		if (input !== undefined) child.stdin.end(input);
		let out = '';
		child.stdout.on('data', (c) => (out += c));
		child.stderr.on('data', (c) => (out += c));
		child.on('error', reject);
		child.on('close', (code) => {
			if (code === 0) resolve(out);
			else {
				const e = new Error(`${cmd} ${args.join(' ')} failed with exit ${code}:\n${out.slice(-4000)}`);
				e.output = out;
				reject(e);
			}
		});
	});
}

let packCache = null;
/**
 * `npm run build` (unless skipped) and `npm pack` the repository, like a published package.
 * Returns the absolute path of the tarball (in .e2e/pack/).
 */
async function buildAndPack({ build = process.env.E2E_SKIP_BUILD !== '1' } = {}) {
	if (packCache) return packCache;
	const packDir = path.join(E2E_DIR, 'pack');
	fs.mkdirSync(packDir, { recursive: true });
	if (build) {
		log('npm run build ...');
		await run('npm', ['run', 'build'], { cwd: REPO_ROOT });
	}
	for (const f of fs.readdirSync(packDir)) if (f.endsWith('.tgz')) fs.rmSync(path.join(packDir, f));
	const out = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], { cwd: REPO_ROOT });
	const info = JSON.parse(out.slice(out.indexOf('[')));
	const tarball = path.join(packDir, info[0].filename);
	packCache = { tarball, files: info[0].files.map((f) => f.path) };
	return packCache;
}

/**
 * Where an instance named `name` keeps its n8n user folder unless told otherwise: outside the repo,
 * in a folder of this checkout's own (<tmp>/n8n-nodes-uphance-uplift-e2e/<checkout>-<hash of its
 * path>/<name>), since a fresh start wipes the folder: two checkouts running the same suite at once
 * must not delete each other's database (seen: SQLITE_READONLY in the one started first).
 */
function defaultUserFolder(name) {
	const checkout = `${path.basename(REPO_ROOT)}-${crypto.createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 8)}`;
	return path.join(os.tmpdir(), 'n8n-nodes-uphance-uplift-e2e', checkout, name);
}

class N8nInstance {
	constructor(opts = {}) {
		this.opts = opts;
		this.name = opts.name || 'default';
		this.version = opts.version || process.env.N8N_VERSION || require('../../scripts/provision-n8n').DEFAULT_VERSION;
		// The user folder lives outside the repository, as it does for users: inside it, the installed
		// package would resolve n8n-workflow from this repository's node_modules (the version we build
		// against) instead of n8n's own, and hide a helper n8n does not ship (seen: sleepWithAbort,
		// absent from n8n 2.40.7's n8n-workflow). Logs stay in .e2e/<name>/ for CI to show.
		this.folder = opts.folder || defaultUserFolder(this.name);
		this.logFile = opts.logFile || path.join(E2E_DIR, this.name, 'n8n.log');
		this.command = opts.command || 'start';
		this.stateFile = path.join(this.folder, 'e2e-state.json');
		this.owner = opts.owner || { email: 'owner@example.com', password: 'Passw0rd!E2E', firstName: 'E2E', lastName: 'Owner' };
		this.port = opts.port || null;
		this.brokerPort = opts.brokerPort || null;
		this.proc = null;
		this.apiKey = null;
		this.cookie = null;
		this.started = false;
		this.bootMs = null;
		this.activeWebhookUrls = new Set();
	}

	get baseUrl() {
		return `http://127.0.0.1:${this.port}`;
	}

	webhookUrl(webhookId, p = 'webhook') {
		return `${this.baseUrl}/webhook/${webhookId}/${p}`;
	}

	async start() {
		const { provision, provisionedInfo } = require('../../scripts/provision-n8n');
		this.info = provisionedInfo(this.version) || (await provision(this.version));
		const firstStart = !this.started;
		if (firstStart && this.opts.fresh !== false) {
			fs.rmSync(this.folder, { recursive: true, force: true });
			if (!this.opts.logFile) fs.rmSync(this.logFile, { force: true });
		}
		fs.mkdirSync(path.join(this.folder, '.n8n'), { recursive: true });
		fs.mkdirSync(path.dirname(this.logFile), { recursive: true });

		if (!this.port) this.port = await freePort();
		if (!this.brokerPort) {
			do this.brokerPort = await freePort();
			while (this.brokerPort === this.port);
		}
		await assertPortFree(this.port, 'N8N_PORT');
		await assertPortFree(this.brokerPort, 'N8N_RUNNERS_BROKER_PORT');

		if (firstStart && this.opts.installPackage !== false) await this.installPackage();

		const env = {
			...process.env,
			PATH: `${path.dirname(this.info.nodeBin)}${path.delimiter}${process.env.PATH}`,
			N8N_USER_FOLDER: this.folder,
			N8N_ENCRYPTION_KEY: 'e2e-test-encryption-key-0123456789',
			N8N_PORT: String(this.port),
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_HOST: 'localhost',
			N8N_PROTOCOL: 'http',
			N8N_RUNNERS_BROKER_PORT: String(this.brokerPort),
			WEBHOOK_URL: `http://127.0.0.1:${this.port}/`,
			N8N_SECURE_COOKIE: 'false',
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_DIAGNOSTICS_CONFIG_FRONTEND: '',
			N8N_DIAGNOSTICS_CONFIG_BACKEND: '',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_WHATS_NEW_ENABLED: 'false',
			N8N_TEMPLATES_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			N8N_HIRING_BANNER_ENABLED: 'false',
			N8N_DYNAMIC_BANNERS_ENABLED: 'false',
			N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
			N8N_REINSTALL_MISSING_PACKAGES: 'false',
			DB_TYPE: 'sqlite',
			EXECUTIONS_MODE: 'regular',
			N8N_LOG_LEVEL: process.env.N8N_LOG_LEVEL || 'info',
			// a worker serves no UI; its health server (/healthz/readiness) is how we know it is up
			...(this.command === 'worker' ? { QUEUE_HEALTH_CHECK_ACTIVE: 'true', QUEUE_HEALTH_CHECK_PORT: String(this.port) } : {}),
			...(this.opts.env || {}),
		};
		// Jest sets NODE_ENV=test, with which n8n exits silently at boot; don't leak test-runner env.
		for (const k of ['NODE_ENV', 'NODE_OPTIONS', 'NODE_PATH']) if (!(this.opts.env && k in this.opts.env)) delete env[k];
		for (const k of Object.keys(env)) if (k.startsWith('npm_') || k.startsWith('JEST_')) delete env[k];

		const logFd = fs.openSync(this.logFile, 'a');
		const extraArgs = this.opts.args || [];
		fs.writeSync(logFd, `\n===== n8n ${this.version} ${[this.command, ...extraArgs].join(' ')} ${new Date().toISOString()} port=${this.port} broker=${this.brokerPort} =====\n`);
		const t0 = Date.now();
		// opts.launcher: a command that runs n8n (e.g. in its own mount namespace: test/support/verdaccio.js); it must exec it
		const [cmd, ...args] = [...(this.opts.launcher || []), this.info.nodeBin, this.info.n8nBin, this.command, ...extraArgs];
		this.proc = spawn(cmd, args, {
			cwd: this.folder,
			env,
			detached: true, // own process group, so stop() can kill n8n and its task runners together
			stdio: ['ignore', logFd, logFd],
		});
		fs.closeSync(logFd);
		if (this.opts.onSpawn) this.opts.onSpawn(this);
		// n8n runs in its own process group; make sure it does not outlive this process.
		const pid = this.proc.pid;
		const onExit = () => {
			try {
				process.kill(-pid, 'SIGKILL');
			} catch {
				/* gone */
			}
		};
		hostProcess.once('exit', onExit);
		this.proc.once('exit', () => hostProcess.removeListener('exit', onExit));
		let exited = null;
		this.proc.once('exit', (code, signal) => {
			exited = { code, signal };
			this.exitInfo = exited;
		});

		const deadline = Date.now() + (this.opts.bootTimeoutMs || 180000);
		for (;;) {
			if (exited) throw new Error(`n8n exited during boot (code ${exited.code}, signal ${exited.signal}).\n${this.logTail(60)}`);
			if (Date.now() > deadline) {
				await this.stop();
				throw new Error(`n8n did not answer /healthz within ${(this.opts.bootTimeoutMs || 180000) / 1000} s.\n${this.logTail(60)}`);
			}
			// /healthz answers "ok" while migrations still run (n8n 2.40); wait for /healthz/readiness
			// (DB connected and migrated; on a worker also Redis) and, on main, for the REST API to
			// answer real JSON.
			try {
				const h = await fetch(`${this.baseUrl}/healthz/readiness`, { signal: AbortSignal.timeout(2000) });
				if (h.ok && this.command !== 'start') break;
				if (h.ok) {
					const r = await fetch(`${this.baseUrl}/rest/settings`, { headers: { 'browser-id': BROWSER_ID }, signal: AbortSignal.timeout(3000) });
					const text = await r.text();
					if (r.ok && text.startsWith('{') && JSON.parse(text).data) break;
				}
			} catch {
				/* not up yet */
			}
			await sleep(500);
		}
		this.bootMs = Date.now() - t0;
		this.started = true;
		const logText = fs.readFileSync(this.logFile, 'utf8');
		const lastBoot = logText.slice(logText.lastIndexOf('===== n8n '));
		const failIdx = lastBoot.indexOf(`Failed to load package "${PACKAGE_NAME}"`);
		if (failIdx >= 0 && this.opts.installPackage !== false) {
			const detail = lastBoot.slice(failIdx).split('\n').slice(0, 6).join('\n');
			await this.stop();
			throw new Error(`n8n could not load the package under test:\n${detail}\n(full log: ${this.logFile})`);
		}
		log(`n8n ${this.version} ${this.command} (Node ${this.info.nodeVersion}) up on ${this.baseUrl} in ${(this.bootMs / 1000).toFixed(1)} s (log: ${path.relative(REPO_ROOT, this.logFile)})`);
		if (this.command === 'start') await this.ensureOwnerAndApiKey();
		return this;
	}

	/** Everything n8n logged into this instance's log file so far (every start appends). */
	logText() {
		try {
			return fs.readFileSync(this.logFile, 'utf8');
		} catch {
			return '';
		}
	}

	logTail(lines = 40) {
		try {
			const text = fs.readFileSync(this.logFile, 'utf8');
			return `--- last ${lines} lines of ${this.logFile} ---\n${text.split('\n').slice(-lines).join('\n')}\n--- end of n8n log ---`;
		} catch {
			return '(no n8n log)';
		}
	}

	/**
	 * Install the packed package into <userFolder>/.n8n/nodes exactly like n8n's community-package
	 * installer (n8n 2.x CommunityPackagesService.downloadPackage): unpack the tarball into
	 * nodes/node_modules/<pkg>, drop dev/peer/optional dependencies from its package.json, run
	 * `npm install --ignore-scripts ...` inside it (installs runtime deps, of which we have none), and
	 * record it in nodes/package.json. So n8n-workflow and zod resolve from n8n's own node_modules.
	 */
	async installPackage() {
		const { tarball, files } = await buildAndPack({ build: this.opts.build });
		this.tarball = tarball;
		this.packedFiles = files;
		const nodesDir = path.join(this.folder, '.n8n', 'nodes');
		this.packageDir = path.join(nodesDir, 'node_modules', PACKAGE_NAME);
		fs.rmSync(this.packageDir, { recursive: true, force: true });
		fs.mkdirSync(this.packageDir, { recursive: true });
		await run('tar', ['-xzf', tarball, '-C', this.packageDir, '--strip-components=1']);
		const pjPath = path.join(this.packageDir, 'package.json');
		const { devDependencies, peerDependencies, optionalDependencies, ...pj } = JSON.parse(fs.readFileSync(pjPath, 'utf8'));
		// n8n refuses the whole package if one listed file is missing. While the package is being
		// written, E2E_ALLOW_PARTIAL_PACKAGE=1 drops missing entries (with a warning) so the rest can be tested.
		const missing = [];
		for (const k of ['nodes', 'credentials'])
			for (const rel of (pj.n8n && pj.n8n[k]) || []) if (!fs.existsSync(path.join(this.packageDir, rel))) missing.push(rel);
		if (missing.length) {
			if (process.env.E2E_ALLOW_PARTIAL_PACKAGE !== '1')
				throw new Error(`The packed package lacks files listed in package.json "n8n": ${missing.join(', ')}. Run \`npm run build\` (or set E2E_ALLOW_PARTIAL_PACKAGE=1 to test the rest).`);
			log(`WARNING: E2E_ALLOW_PARTIAL_PACKAGE=1: dropping missing ${missing.join(', ')} from the installed package.json`);
			for (const k of ['nodes', 'credentials']) pj.n8n[k] = (pj.n8n[k] || []).filter((rel) => !missing.includes(rel));
		}
		fs.writeFileSync(pjPath, JSON.stringify(pj, null, 2));
		const env = { ...process.env, PATH: `${path.dirname(this.info.nodeBin)}${path.delimiter}${process.env.PATH}` };
		for (const k of Object.keys(env)) if (k.startsWith('npm_')) delete env[k];
		await run(
			'npm',
			['install', '--audit=false', '--fund=false', '--bin-links=false', '--install-strategy=shallow', '--ignore-scripts=true', '--package-lock=false'],
			{ cwd: this.packageDir, env },
		);
		const nodesPj = path.join(nodesDir, 'package.json');
		let host = { name: 'installed-nodes', private: true, dependencies: {} };
		try {
			host = JSON.parse(fs.readFileSync(nodesPj, 'utf8'));
		} catch {
			/* new */
		}
		host.dependencies = { ...(host.dependencies || {}), [PACKAGE_NAME]: pj.version };
		fs.writeFileSync(nodesPj, JSON.stringify(host, null, 2));
	}

	/** Stops n8n and its task runners: SIGTERM (SIGKILL after 20 s), or `{ signal: 'SIGKILL' }` at once (a crash). */
	async stop({ signal = 'SIGTERM' } = {}) {
		const proc = this.proc;
		if (!proc) return;
		this.proc = null;
		if (proc.exitCode !== null || proc.signalCode !== null) return;
		const exited = new Promise((r) => proc.once('exit', r));
		const kill = (sig) => {
			try {
				process.kill(-proc.pid, sig);
			} catch {
				/* already gone */
			}
		};
		kill(signal);
		const t = setTimeout(() => kill('SIGKILL'), 20000);
		await exited;
		clearTimeout(t);
		kill('SIGKILL'); // leftovers of the group (task runners)
		// wait until the port is released
		for (let i = 0; i < 50 && (await isPortListening(this.port)); i++) await sleep(200);
	}

	/** Stop and start again on the same folder and ports; waits for previously activated webhooks. */
	async restart() {
		await this.stop();
		await this.start();
		for (const u of this.activeWebhookUrls) await this.waitForWebhook(u, 60000);
	}

	// ---------- HTTP helpers ----------

	async rest(method, p, body) {
		const headers = { 'browser-id': BROWSER_ID };
		if (body !== undefined) headers['content-type'] = 'application/json';
		if (this.cookie) headers.cookie = this.cookie;
		const r = await fetch(`${this.baseUrl}${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
		const setCookies = typeof r.headers.getSetCookie === 'function' ? r.headers.getSetCookie() : [];
		for (const c of setCookies) if (c.startsWith('n8n-auth=')) this.cookie = c.split(';')[0];
		const text = await r.text();
		const json = parseJsonOrUndefined(text);
		return { status: r.status, json, text };
	}

	async ensureOwnerAndApiKey() {
		let state = {};
		try {
			state = JSON.parse(fs.readFileSync(this.stateFile, 'utf8'));
		} catch {
			/* first start */
		}
		if (!state.ownerCreated) {
			const r = await this.rest('POST', '/rest/owner/setup', this.owner);
			if (r.status !== 200) throw new Error(`owner setup failed: ${r.status} ${r.text}\n${this.logTail()}`);
			state.ownerCreated = true;
		}
		const login = await this.rest('POST', '/rest/login', { emailOrLdapLoginId: this.owner.email, password: this.owner.password });
		if (login.status !== 200 || !this.cookie) throw new Error(`login failed: ${login.status} ${login.text}\n${this.logTail()}`);
		if (!state.apiKey) {
			const scopes = await this.rest('GET', '/rest/api-keys/scopes');
			if (scopes.status !== 200) throw new Error(`GET /rest/api-keys/scopes failed: ${scopes.status} ${scopes.text}`);
			const k = await this.rest('POST', '/rest/api-keys', { label: 'e2e', scopes: scopes.json.data, expiresAt: null });
			if (k.status !== 200 || !k.json.data.rawApiKey) throw new Error(`API key creation failed: ${k.status} ${k.text}`);
			state.apiKey = k.json.data.rawApiKey;
		}
		this.apiKey = state.apiKey;
		fs.writeFileSync(this.stateFile, JSON.stringify(state, null, 2));
	}

	async api(method, p, body, { expect } = {}) {
		const headers = { 'X-N8N-API-KEY': this.apiKey, accept: 'application/json' };
		if (body !== undefined) headers['content-type'] = 'application/json';
		let r;
		for (let attempt = 0; ; attempt++) {
			r = await fetch(`${this.baseUrl}/api/v1${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
			// Under load (hundreds of executions on SQLite) n8n briefly answers 503 "Database is not
			// ready!" when its periodic DB ping is slow; reads are safe to retry.
			if (r.status !== 503 || method !== 'GET' || attempt >= 40) break;
			await r.text();
			await sleep(500);
		}
		const text = await r.text();
		const json = parseJsonOrUndefined(text);
		const ok = expect ? [].concat(expect).includes(r.status) : r.ok;
		if (!ok) throw new Error(`${method} /api/v1${p} -> ${r.status} ${text.slice(0, 2000)}`);
		return json;
	}

	async createCredential(type, name, data) {
		try {
			return await this.api('POST', '/credentials', { name, type, data });
		} catch (e) {
			// n8n 2.8.x's public-API credential schema wrongly requires `allowedDomains` unless
			// `allowedHttpRequestDomains` is given; 'all' is the default behaviour anyway.
			if (!/allowedDomains/.test(e.message) || (data && 'allowedHttpRequestDomains' in data)) throw e;
			return await this.api('POST', '/credentials', { name, type, data: { ...data, allowedHttpRequestDomains: 'all' } });
		}
	}

	/** Creates a workflow from n8n workflow JSON (extra fields like id/active/tags are stripped). */
	createWorkflow(json) {
		const body = {
			name: json.name || 'e2e workflow',
			nodes: json.nodes,
			connections: json.connections || {},
			settings: json.settings || { executionOrder: 'v1' },
		};
		if (json.staticData) body.staticData = json.staticData;
		return this.api('POST', '/workflows', body);
	}

	/**
	 * Activate (publish) a workflow. Registration of its webhooks finishes shortly after the API
	 * call returns (n8n 2.40), so pass `webhookUrl` (or an array) to wait until they answer.
	 */
	async activate(workflowId, webhookUrl) {
		const res = await this.api('POST', `/workflows/${workflowId}/activate`);
		for (const u of [].concat(webhookUrl || [])) {
			this.activeWebhookUrls.add(u);
			await this.waitForWebhook(u);
		}
		return res;
	}

	/**
	 * Wait until a (POST) production webhook URL is registered, probing with GET (which n8n answers
	 * 404 "...not registered for GET requests. Did you mean POST?" once the POST webhook exists).
	 */
	async waitForWebhook(url, timeoutMs = 30000) {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const r = await fetch(url, { method: 'GET' });
			const text = await r.text();
			if (!(r.status === 404 && /requested webhook .* is not registered/.test(text))) return;
			if (Date.now() > deadline) throw new Error(`webhook ${url} still not registered after ${timeoutMs} ms: ${text.slice(0, 200)}\n${this.logTail(30)}`);
			await sleep(150);
		}
	}

	/** A binary property's content through n8n's REST API, whatever the binary data mode (database in queue mode). */
	async downloadBinary(binary) {
		if (!binary || !binary.id) return this.binaryContent(binary);
		const q = new URLSearchParams({ id: binary.id, action: 'download' });
		const r = await fetch(`${this.baseUrl}/rest/binary-data?${q}`, { headers: { 'browser-id': BROWSER_ID, cookie: this.cookie || '' } });
		if (!r.ok) throw new Error(`GET /rest/binary-data ${binary.id} -> ${r.status} ${(await r.text()).slice(0, 300)}`);
		return Buffer.from(await r.arrayBuffer());
	}

	deactivate(workflowId) {
		return this.api('POST', `/workflows/${workflowId}/deactivate`);
	}

	getWorkflow(workflowId) {
		return this.api('GET', `/workflows/${workflowId}`);
	}

	/**
	 * The workflow's static data as n8n has it in its database (`{}` when there is none), read
	 * through the public API (GET /api/v1/workflows/{id} returns `staticData` in 2.8.4 and 2.40.7).
	 */
	async staticData(workflowId) {
		const { staticData } = await this.getWorkflow(workflowId);
		if (typeof staticData === 'string') return JSON.parse(staticData);
		return staticData || {};
	}

	/** All executions of a workflow (newest first), with data, following the cursor. */
	async listExecutions(workflowId, { includeData = true, pageSize = 250 } = {}) {
		const out = [];
		let cursor;
		for (let i = 0; i < 1000; i++) {
			const q = new URLSearchParams({ workflowId: String(workflowId), includeData: String(includeData), limit: String(pageSize) });
			if (cursor) q.set('cursor', cursor);
			const page = await this.api('GET', `/executions?${q}`);
			out.push(...(page.data || []));
			cursor = page.nextCursor;
			if (!cursor) break;
		}
		return out;
	}

	/**
	 * Wait until `count` executions of the workflow exist and are finished, then wait `settleMs`
	 * more and check that no further ones appeared. Throws on timeout or on too many.
	 */
	async waitForExecutions(workflowId, count, timeoutMs = 60000, { settleMs = 2500 } = {}) {
		const deadline = Date.now() + timeoutMs;
		let list = [];
		for (;;) {
			list = await this.listExecutions(workflowId, { includeData: false });
			if (list.length > count) break;
			if (list.length === count && list.every(isFinished)) break;
			if (Date.now() > deadline)
				throw new Error(
					`timed out after ${timeoutMs} ms waiting for ${count} finished executions of workflow ${workflowId}; have ${list.length} (${list.map((e) => e.status).join(',')})\n${this.logTail(30)}`,
				);
			await sleep(count === 0 ? settleMs : 300);
			if (count === 0) break;
		}
		if (settleMs > 0) {
			await sleep(settleMs);
			list = await this.listExecutions(workflowId, { includeData: false });
		}
		if (list.length !== count) throw new Error(`expected exactly ${count} executions of workflow ${workflowId}, found ${list.length}`);
		for (;;) {
			const withData = await this.listExecutions(workflowId, { includeData: true });
			const pending = withData.filter((e) => !hasFinalData(e));
			if (pending.length === 0) return withData;
			if (Date.now() > deadline)
				throw new Error(`executions ${pending.map((e) => e.id).join(', ')} of workflow ${workflowId} are finished but their final data was not stored after ${timeoutMs} ms`);
			await sleep(300);
		}
	}

	/** Read a binary property's content from execution data (inline base64 or filesystem mode). */
	binaryContent(binary) {
		if (!binary) return null;
		if (binary.id && /^filesystem(-v2)?:/.test(binary.id)) {
			const rel = binary.id.replace(/^filesystem(-v2)?:/, '');
			const candidates = [
				path.join(this.folder, '.n8n', 'binaryData', rel),
				path.join(this.folder, '.n8n', 'storage', rel),
				path.join(this.folder, '.n8n', rel),
			];
			for (const c of candidates) if (fs.existsSync(c)) return fs.readFileSync(c);
			throw new Error(`binary file for ${binary.id} not found under ${this.folder}/.n8n`);
		}
		if (binary.data) return Buffer.from(binary.data, 'base64');
		return null;
	}
}

/** Whether an execution (as the public API lists it) has finished, however it ended. */
function isFinished(e) {
	return Boolean(e.finished) || ['success', 'error', 'crashed', 'canceled'].includes(e.status);
}

/**
 * Whether a finished execution read with includeData=true carries its final data. n8n 1.x on SQLite
 * (pool size 0, its default) stores the status and the data in two writes without a transaction
 * (updateExistingExecution in @n8n/db/dist/repositories/execution.repository.js of n8n 1.123.81),
 * so a read between them sees "success" without the final data (seen in CI: a manual run on
 * 1.123.81 read back with no output for its last node). The final data names the last node that
 * ran, or the error; a crashed or canceled run may have neither.
 */
function hasFinalData(e) {
	if (['crashed', 'canceled'].includes(e.status)) return true;
	const r = e.data && e.data.resultData;
	return Boolean(r && (r.lastNodeExecuted || r.error));
}

/** Output items of one node in an execution (from includeData=true). */
function nodeOutput(execution, nodeName, { run = 0, output = 0 } = {}) {
	const runData = execution && execution.data && execution.data.resultData && execution.data.resultData.runData;
	if (!runData || !runData[nodeName]) return null;
	const r = runData[nodeName][run];
	if (!r || !r.data || !r.data.main || !r.data.main[output]) return null;
	return r.data.main[output];
}

module.exports = { N8nInstance, buildAndPack, nodeOutput, isFinished, hasFinalData, isPortFree, isPortListening, assertPortFree, freePort, run, hostProcess, REPO_ROOT, E2E_DIR, PACKAGE_NAME, defaultUserFolder };
