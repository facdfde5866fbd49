'use strict';
/**
 * A real npm registry on loopback for the registry suite (test/e2e-registry): verdaccio 6.8.0, and
 * what an n8n process needs to reach it under the name n8n's installer always uses,
 * https://registry.npmjs.org.
 *
 *   const { startRegistry } = require('../support/verdaccio');
 *   const registry = await startRegistry({ name: 'registry' });   // log: .e2e/registry/verdaccio.log
 *   (option localPackages: more package names served only from what the test publishes, like this package)
 *   const token = await registry.addUser('e2e-publisher', 'secret');
 *   await registry.publish(tarballOrDir, token);
 *   new N8nInstance({ launcher: registry.n8nLauncher(), env: registry.n8nEnv(), ... });
 *   registry.requests            // every request verdaccio served: { method, url, host, ua }
 *   await registry.stop();
 *
 * Why "registry.npmjs.org": n8n 2.40.7 passes `--registry=<N8N_COMMUNITY_PACKAGES_REGISTRY>` to every
 * npm command of its installer (default https://registry.npmjs.org), and refuses any other value
 * unless the instance has the Enterprise licence feature feat:communityNodes:customRegistry
 * (CommunityPackagesService.getNpmRegistry in
 * node_modules/n8n/dist/modules/community-packages/community-packages.service.js). An unlicensed
 * n8n, which is what users of this package run, can only install from registry.npmjs.org. So the
 * test gives n8n a private view of the machine in which that name is this verdaccio:
 *   - n8n runs in its own mount namespace (`unshare --mount`, root) where a copy of /etc/hosts maps
 *     registry.npmjs.org to a random 127.x.y.z address; verdaccio listens there on port 443;
 *   - verdaccio serves TLS with a throw-away self-signed certificate for registry.npmjs.org, which n8n
 *     (NODE_EXTRA_CA_CERTS) and the npm it runs (NPM_CONFIG_CAFILE) trust, next to the system CAs;
 *   - that npm gets a throw-away cache (NPM_CONFIG_CACHE), so nothing about the fake
 *     registry.npmjs.org lands in the machine's npm cache.
 * Nothing outside n8n's process tree changes: the rest of the machine still resolves
 * registry.npmjs.org as before, and verdaccio's own uplink for other packages goes to the real one.
 *
 * verdaccio is installed once into $N8N_E2E_CACHE_DIR/verdaccio (default .cache/verdaccio, outside
 * node_modules, like n8n in scripts/provision-n8n.js) and reused; its config, storage, users and
 * certificate live in a temporary folder removed by stop().
 */
const crypto = require('crypto');
const fs = require('fs');
const https = require('https');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');

const { CACHE_DIR, withLock } = require('../../scripts/provision-n8n');
const { run, isPortFree, hostProcess, E2E_DIR, PACKAGE_NAME } = require('./n8nInstance');

const VERDACCIO_VERSION = '6.8.0';
const REGISTRY_HOST = 'registry.npmjs.org';
const SYSTEM_CA_BUNDLES = [
	'/etc/ssl/certs/ca-certificates.crt',
	'/etc/pki/tls/certs/ca-bundle.crt',
];

function log(msg) {
	process.stderr.write(`[registry] ${msg}\n`);
}

/** Environment for npm run by this module: without the npm_config_* that `npm run` hands down. */
function cleanNpmEnv(extra = {}) {
	const env = { ...process.env, ...extra };
	for (const k of Object.keys(env)) if (/^npm_/.test(k)) delete env[k];
	return env;
}

/** Installs verdaccio into <cache>/verdaccio once (a marker file records the version); returns its folder. */
async function provisionVerdaccio() {
	const dir = path.join(CACHE_DIR, 'verdaccio');
	const marker = path.join(dir, '.provisioned.json');
	const ready = () => {
		try {
			const m = JSON.parse(fs.readFileSync(marker, 'utf8'));
			return (
				m.version === VERDACCIO_VERSION &&
				fs.existsSync(path.join(dir, 'node_modules', 'verdaccio', 'package.json'))
			);
		} catch {
			return false;
		}
	};
	if (ready()) return dir;
	return withLock(dir, async () => {
		if (ready()) return dir;
		const t0 = Date.now();
		log(`installing verdaccio@${VERDACCIO_VERSION} into ${dir} (once; later runs reuse it) ...`);
		fs.rmSync(marker, { force: true });
		// verdaccio 6.8.0 installs with node-fetch overridden to 2.7.0
		const pj = {
			name: 'verdaccio-host',
			private: true,
			dependencies: { verdaccio: VERDACCIO_VERSION },
			overrides: { 'node-fetch': '2.7.0' },
		};
		fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pj, null, 2) + '\n');
		try {
			await run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-save'], {
				cwd: dir,
				env: cleanNpmEnv(),
			});
		} catch (err) {
			throw new Error(
				`Installing verdaccio@${VERDACCIO_VERSION} into ${dir} failed. Check that the npm registry is reachable (npm ping) and the disk has room.\n${err.message}`,
			);
		}
		const installed = JSON.parse(
			fs.readFileSync(path.join(dir, 'node_modules', 'verdaccio', 'package.json'), 'utf8'),
		).version;
		if (installed !== VERDACCIO_VERSION)
			throw new Error(`verdaccio ${installed} installed in ${dir}, expected ${VERDACCIO_VERSION}`);
		fs.writeFileSync(
			marker,
			JSON.stringify(
				{ version: VERDACCIO_VERSION, seconds: Math.round((Date.now() - t0) / 1000) },
				null,
				2,
			) + '\n',
		);
		log(`verdaccio ${VERDACCIO_VERSION} installed in ${Math.round((Date.now() - t0) / 1000)} s`);
		return dir;
	});
}

const TMP_PREFIX = 'n8n-registry-e2e-';

/** Temp folders of earlier runs that were killed before stop() (their owner process is gone). */
function removeStaleFolders() {
	for (const name of fs.readdirSync(os.tmpdir())) {
		if (!name.startsWith(TMP_PREFIX)) continue;
		const dir = path.join(os.tmpdir(), name);
		let pid = 0;
		try {
			pid = Number(fs.readFileSync(path.join(dir, 'owner.pid'), 'utf8'));
			process.kill(pid, 0);
		} catch (err) {
			if (!pid || err.code === 'ESRCH') fs.rmSync(dir, { recursive: true, force: true });
		}
	}
}

/** A random loopback address (127.a.b.c, not 127.0.0.x) whose port 443 is free. */
async function pickAddress() {
	for (let i = 0; i < 50; i++) {
		const [a, b, c] = crypto.randomBytes(3);
		if (a === 0 || c === 0 || c === 255) continue;
		const addr = `127.${a}.${b}.${c}`;
		if (await isPortFree(443, addr)) return addr;
	}
	throw new Error(
		'No loopback address 127.x.y.z with port 443 free was found (tried 50). Is something listening on 0.0.0.0:443? (ss -ltnp | grep :443)',
	);
}

/** A shell in a private mount namespace: what it bind-mounts (our hosts file over /etc/hosts) nobody else sees. */
const UNSHARE_MOUNT_SHELL = ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c'];

/** Fails with what to do when this machine cannot give n8n its own /etc/hosts. */
async function checkNamespaceSupport(hostsFile, address) {
	let out;
	try {
		out = await run(UNSHARE_MOUNT_SHELL[0], [
			...UNSHARE_MOUNT_SHELL.slice(1),
			'mount --bind "$0" /etc/hosts && getent hosts "$1"',
			hostsFile,
			REGISTRY_HOST,
		]);
	} catch (err) {
		throw new Error(
			'The registry suite runs n8n in its own mount namespace so that registry.npmjs.org resolves to the local verdaccio ' +
				'(an unlicensed n8n installs only from registry.npmjs.org). That needs root and `unshare --mount` (util-linux); ' +
				`it failed here:\n${err.message}`,
		);
	}
	if (!out.includes(address))
		throw new Error(
			`Inside the mount namespace ${REGISTRY_HOST} resolved to "${out.trim()}", expected ${address}. Check /etc/nsswitch.conf (hosts: files ...).`,
		);
}

function httpsJson(method, url, { ca, body, token } = {}) {
	return new Promise((resolve, reject) => {
		const headers = { accept: 'application/json' };
		if (body !== undefined) headers['content-type'] = 'application/json';
		if (token) headers.authorization = `Bearer ${token}`;
		const req = https.request(url, { method, headers, ca, timeout: 30000 }, (res) => {
			let text = '';
			res.setEncoding('utf8');
			res.on('data', (c) => (text += c));
			res.on('end', () => {
				let json;
				try {
					json = text ? JSON.parse(text) : undefined;
				} catch {
					json = undefined;
				}
				resolve({ status: res.statusCode, json, text });
			});
		});
		req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
		req.on('error', reject);
		if (body !== undefined) req.end(JSON.stringify(body));
		else req.end();
	});
}

class Registry {
	constructor({ name, localPackages = [] }) {
		this.name = name;
		this.localPackages = [PACKAGE_NAME, ...localPackages];
		this.requests = [];
		this.proc = null;
	}

	/** https://<address>/ : verdaccio as the test process reaches it (n8n reaches it as https://registry.npmjs.org/). */
	get url() {
		return `https://${this.address}/`;
	}

	async start() {
		const t0 = Date.now();
		this.verdaccioDir = await provisionVerdaccio();
		removeStaleFolders();
		this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), TMP_PREFIX));
		fs.writeFileSync(path.join(this.tmp, 'owner.pid'), String(process.pid));
		this.address = await pickAddress();

		// throw-away certificate for registry.npmjs.org (and the address, for the test's own requests)
		const key = path.join(this.tmp, 'key.pem');
		const cert = path.join(this.tmp, 'cert.pem');
		try {
			await run('openssl', [
				'req',
				'-x509',
				'-newkey',
				'rsa:2048',
				'-nodes',
				'-keyout',
				key,
				'-out',
				cert,
				'-days',
				'2',
				'-subj',
				`/CN=${REGISTRY_HOST}`,
				'-addext',
				`subjectAltName=DNS:${REGISTRY_HOST},IP:${this.address}`,
			]);
		} catch (err) {
			throw new Error(
				`openssl could not make the registry's throw-away certificate (apt-get install -y openssl):\n${err.message}`,
			);
		}
		this.certPem = fs.readFileSync(cert, 'utf8');
		const system = SYSTEM_CA_BUNDLES.find((f) => fs.existsSync(f));
		this.caBundle = path.join(this.tmp, 'ca-bundle.pem');
		fs.writeFileSync(
			this.caBundle,
			(system ? fs.readFileSync(system, 'utf8') + '\n' : '') + this.certPem,
		);

		// n8n's /etc/hosts: the machine's, with registry.npmjs.org pointing here
		const hosts = fs
			.readFileSync('/etc/hosts', 'utf8')
			.split('\n')
			.filter((l) => !/(^|\s)registry\.npmjs\.org(\s|$)/.test(l.replace(/#.*/, '')));
		this.hostsFile = path.join(this.tmp, 'hosts');
		fs.writeFileSync(
			this.hostsFile,
			`${hosts.join('\n').trimEnd()}\n${this.address} ${REGISTRY_HOST}\n`,
		);
		await checkNamespaceSupport(this.hostsFile, this.address);

		this.npmCache = path.join(this.tmp, 'npm-cache');
		const storage = path.join(this.tmp, 'storage');
		fs.mkdirSync(storage);
		// YAML is a superset of JSON: the config is written as JSON
		const config = {
			storage,
			auth: { htpasswd: { file: path.join(this.tmp, 'htpasswd'), max_users: 10 } },
			uplinks: { npmjs: { url: 'https://registry.npmjs.org/' } },
			packages: {
				// this package (and the test's own fixtures) only from what the test publishes, never from the uplink
				...Object.fromEntries(
					this.localPackages.map((n) => [
						n,
						{ access: '$all', publish: '$authenticated', unpublish: '$authenticated' },
					]),
				),
				'**': { access: '$all', publish: '$authenticated', proxy: 'npmjs' },
			},
			listen: `https://${this.address}:443`,
			https: { key, cert },
			web: { enable: false },
			max_body_size: '20mb',
			log: { type: 'stdout', format: 'pretty', level: 'http' },
		};
		this.configFile = path.join(this.tmp, 'config.yaml');
		fs.writeFileSync(this.configFile, JSON.stringify(config, null, 2));

		this.logFile = path.join(E2E_DIR, this.name, 'verdaccio.log');
		fs.mkdirSync(path.dirname(this.logFile), { recursive: true });
		const logFd = fs.openSync(this.logFile, 'w');
		this.proc = spawn(
			process.execPath,
			[
				path.join(__dirname, 'verdaccioServer.js'),
				this.verdaccioDir,
				this.configFile,
				this.address,
				'443',
			],
			{
				stdio: ['ignore', logFd, logFd, 'ipc'],
				env: cleanNpmEnv({ VERDACCIO_HANDLE_KILL_SIGNALS: 'true' }),
			},
		);
		fs.closeSync(logFd);
		const proc = this.proc;
		const onExit = () => {
			try {
				proc.kill('SIGKILL');
			} catch {
				/* gone */
			}
		};
		hostProcess.once('exit', onExit);
		proc.once('exit', () => hostProcess.removeListener('exit', onExit));
		await new Promise((resolve, reject) => {
			const timer = setTimeout(
				() =>
					reject(
						new Error(
							`verdaccio did not start within 60 s (log: ${this.logFile})\n${this.logTail()}`,
						),
					),
				60000,
			);
			proc.on('message', (m) => {
				if (m.type === 'request')
					this.requests.push({ method: m.method, url: m.url, host: m.host, ua: m.ua });
				else if (m.type === 'ready') {
					clearTimeout(timer);
					resolve();
				} else if (m.type === 'error') {
					clearTimeout(timer);
					reject(new Error(`verdaccio failed: ${m.message}\n${this.logTail()}`));
				}
			});
			proc.once('exit', (code, signal) => {
				clearTimeout(timer);
				reject(
					new Error(
						`verdaccio exited during start-up (code ${code}, signal ${signal})\n${this.logTail()}`,
					),
				);
			});
		});
		const ping = await httpsJson('GET', `${this.url}-/ping`, { ca: this.certPem });
		if (ping.status !== 200)
			throw new Error(
				`verdaccio answers GET /-/ping with ${ping.status} ${ping.text}\n${this.logTail()}`,
			);
		log(
			`verdaccio ${VERDACCIO_VERSION} up on ${this.url} (n8n sees it as https://${REGISTRY_HOST}/) in ${((Date.now() - t0) / 1000).toFixed(1)} s (log: ${path.relative(process.cwd(), this.logFile)})`,
		);
		return this;
	}

	logTail(lines = 30) {
		try {
			const text = fs.readFileSync(this.logFile, 'utf8');
			return `--- last ${lines} lines of ${this.logFile} ---\n${text.split('\n').slice(-lines).join('\n')}\n--- end ---`;
		} catch {
			return '(no verdaccio log)';
		}
	}

	/** Creates a registry user (verdaccio's htpasswd) and returns its token. */
	async addUser(name, password) {
		const r = await httpsJson(
			'PUT',
			`${this.url}-/user/org.couchdb.user:${encodeURIComponent(name)}`,
			{
				ca: this.certPem,
				body: {
					_id: `org.couchdb.user:${name}`,
					name,
					password,
					type: 'user',
					roles: [],
					date: new Date().toISOString(),
				},
			},
		);
		if (r.status !== 201 || !r.json || !r.json.token)
			throw new Error(
				`creating registry user ${name} failed: ${r.status} ${r.text}\n${this.logTail()}`,
			);
		return r.json.token;
	}

	/** `npm publish <tarball or folder>` to this registry with the given token. */
	async publish(target, token) {
		const nerf = `//${this.address}/`;
		try {
			return await run(
				'npm',
				[
					'publish',
					target,
					`--registry=${this.url}`,
					`--${nerf}:_authToken=${token}`,
					`--cafile=${this.caBundle}`,
					`--cache=${this.npmCache}`,
					'--ignore-scripts',
					'--provenance=false',
					'--access=public',
				],
				{ cwd: this.tmp, env: cleanNpmEnv() },
			);
		} catch (err) {
			throw new Error(
				`npm publish ${target} to the local registry failed:\n${err.message}\n${this.logTail()}`,
			);
		}
	}

	/** The registry's metadata document for a package (404 -> null). */
	async packument(name) {
		const r = await httpsJson('GET', `${this.url}${encodeURIComponent(name).replace('%40', '@')}`, {
			ca: this.certPem,
		});
		if (r.status === 404) return null;
		if (r.status !== 200)
			throw new Error(`GET ${name} from the local registry: ${r.status} ${r.text}`);
		return r.json;
	}

	/**
	 * The N8nInstance `launcher` that starts n8n in its own mount namespace with this registry's
	 * hosts file over /etc/hosts (so registry.npmjs.org is this verdaccio for n8n and its npm).
	 */
	n8nLauncher() {
		return [
			...UNSHARE_MOUNT_SHELL,
			'mount --bind "$0" /etc/hosts && exec "$@"',
			this.hostsFile,
		];
	}

	/**
	 * Environment for that n8n: trust the registry's certificate (n8n's own HTTP client and the npm it
	 * runs) and give that npm a throw-away cache. Upper-case NPM_CONFIG_* on purpose: npm reads its
	 * env config case-insensitively, and N8nInstance drops lower-case npm_* variables (those leak
	 * from `npm run`).
	 */
	n8nEnv() {
		return {
			NODE_EXTRA_CA_CERTS: this.caBundle,
			NPM_CONFIG_CAFILE: this.caBundle,
			NPM_CONFIG_CACHE: this.npmCache,
		};
	}

	async stop() {
		const proc = this.proc;
		this.proc = null;
		if (proc && proc.exitCode === null && proc.signalCode === null) {
			const exited = new Promise((r) => proc.once('exit', r));
			proc.kill('SIGTERM');
			const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
			await exited;
			clearTimeout(t);
		}
		if (this.tmp) fs.rmSync(this.tmp, { recursive: true, force: true });
	}
}

async function startRegistry(opts = {}) {
	const registry = new Registry({
		name: opts.name || 'registry',
		localPackages: opts.localPackages,
	});
	try {
		return await registry.start();
	} catch (err) {
		await registry.stop();
		throw err;
	}
}

module.exports = { startRegistry, provisionVerdaccio, VERDACCIO_VERSION, REGISTRY_HOST };
