#!/usr/bin/env node
'use strict';
/**
 * Runs every benchmark in one go and writes the report. Called by `npm run bench` (scripts/bench.sh),
 * which builds the package and provisions n8n first.
 *
 * Env: BENCH_QUICK=1 (short runs, for trying the harness), BENCH_SKIP_N8N=1, BENCH_SKIP_INPROCESS=1,
 *      BENCH_SKIP_CATCHUP=1 (bench/catchup.js: one catch-up run per vendor at 0 / 100 / 10,000 missed),
 *      BENCH_DURATION / BENCH_WARMUP / BENCH_CYCLES (seconds per measured segment, warm-up, cycles),
 *      BENCH_OUT (default .bench/results.json).
 * Output: a table on stdout, BENCHMARKS.md at the repository root and bench/memory-scaling.svg.
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const REPO_ROOT = path.resolve(__dirname, '..');
const log = (m) => process.stderr.write(`[bench] ${m}\n`);
const QUICK = process.env.BENCH_QUICK === '1';
const num = (name, dflt) => (process.env[name] ? Number(process.env[name]) : dflt);

function provisionedNode() {
	try {
		const { provisionedInfo, DEFAULT_VERSION } = require('../scripts/provision-n8n');
		const info = provisionedInfo(process.env.N8N_VERSION || DEFAULT_VERSION);
		return info && info.nodeBin;
	} catch {
		return null;
	}
}

function machine() {
	const cpus = os.cpus();
	let flags = '';
	try {
		const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
		const f = (/^flags\s*:\s*(.*)$/m.exec(cpuinfo) || [])[1] || '';
		flags = ['sha_ni', 'avx512f', 'avx2'].filter((x) => f.split(' ').includes(x)).join(', ');
	} catch {
		/* not linux */
	}
	return {
		cpu: cpus[0] ? cpus[0].model.replace(/\s+/g, ' ').trim() : 'unknown',
		cores: cpus.length,
		cpuFlags: flags,
		ramGiB: os.totalmem() / 1024 ** 3,
		os: `${os.type()} ${os.release()} ${os.arch()}`,
		loadAtStart: os.loadavg(),
	};
}

/** Which code was measured: the commit, and whether the work tree had changes in it. */
function gitState() {
	const git = (...args) => spawnSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' });
	const head = git('rev-parse', '--short', 'HEAD');
	if (head.status !== 0) return null;
	// porcelain lines are "XY path"; trim only the end, or the first line loses its leading status blank
	const dirty = git('status', '--porcelain', '--', 'nodes', 'credentials', 'package.json').stdout.trimEnd();
	return { commit: head.stdout.trim(), dirtyFiles: dirty ? dirty.split('\n').map((l) => l.slice(3)) : [] };
}

/**
 * Other n8n processes on this machine (not this benchmark's, whose user folder is
 * test/support/n8nInstance.js's defaultUserFolder('bench')): on a
 * 2-core machine they lower every figure, so the report says whether any ran meanwhile.
 */
function otherN8nProcesses() {
	const r = spawnSync('pgrep', ['-f', 'n8n/bin/n8n start'], { encoding: 'utf8' });
	if (r.error) return null;
	const ours = require('../test/support/n8nInstance').defaultUserFolder('bench');
	return r.stdout
		.split('\n')
		.filter(Boolean)
		.map((pid) => {
			let cwd = '?';
			try {
				cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
			} catch {
				/* gone, or not linux */
			}
			return { pid: Number(pid), cwd };
		})
		.filter((p) => !p.cwd.startsWith(ours));
}

/** Samples the load average and other n8n processes every 10 s while the benchmark runs. */
function watchMachine() {
	const samples = [];
	const sample = () => {
		const others = otherN8nProcesses();
		samples.push({ at: Date.now(), load1: os.loadavg()[0], others: others ? others.map((o) => o.cwd) : null });
	};
	sample();
	const timer = setInterval(sample, 10000);
	timer.unref();
	return () => {
		clearInterval(timer);
		sample();
		const withOthers = samples.filter((s) => s.others && s.others.length > 0);
		return {
			samples: samples.length,
			load1Mean: samples.reduce((a, s) => a + s.load1, 0) / samples.length,
			load1Max: Math.max(...samples.map((s) => s.load1)),
			otherN8nShare: withOthers.length / samples.length,
			otherN8nFolders: [...new Set(withOthers.flatMap((s) => s.others))],
		};
	};
}

async function main() {
	const started = Date.now();
	const stopWatching = watchMachine();
	const out = process.env.BENCH_OUT || path.join(REPO_ROOT, '.bench', 'results.json');
	fs.mkdirSync(path.dirname(out), { recursive: true });
	const results = {
		date: new Date().toISOString(),
		machine: machine(),
		quick: QUICK,
		orchestratorNode: process.version,
		source: gitState(),
	};

	if (process.env.BENCH_SKIP_INPROCESS !== '1') {
		// In a fresh process of its own, on the Node that n8n runs on (the code's real runtime).
		const nodeBin = provisionedNode() || process.execPath;
		log(`in-process benchmarks (${nodeBin === process.execPath ? 'this Node' : "n8n's Node"}) ...`);
		const r = spawnSync(nodeBin, [path.join(__dirname, 'inprocess.js'), ...(QUICK ? ['--quick'] : [])], {
			stdio: ['ignore', 'pipe', 'inherit'],
			encoding: 'utf8',
			maxBuffer: 64 * 1024 * 1024,
		});
		if (r.status !== 0) throw new Error(`bench/inprocess.js failed with exit ${r.status}`);
		results.inprocess = JSON.parse(r.stdout);
	}

	if (process.env.BENCH_SKIP_CATCHUP !== '1') {
		// Catch-up (issue 16) against the fake vendors, in a fresh process on the same Node (about 2 minutes).
		const nodeBin = provisionedNode() || process.execPath;
		log('catch-up benchmark (bench/catchup.js) ...');
		const r = spawnSync(nodeBin, [path.join(__dirname, 'catchup.js'), '--json', ...(QUICK ? ['--quick'] : [])], {
			stdio: ['ignore', 'pipe', 'inherit'],
			encoding: 'utf8',
			maxBuffer: 64 * 1024 * 1024,
		});
		if (r.status !== 0) throw new Error(`bench/catchup.js failed with exit ${r.status}`);
		results.catchUp = JSON.parse(r.stdout);
	}

	if (process.env.BENCH_SKIP_N8N !== '1') {
		const { runN8nBench } = require('./n8n');
		const common = {
			duration: num('BENCH_DURATION', QUICK ? 4 : 10),
			warmup: num('BENCH_WARMUP', QUICK ? 1 : 3),
			floodSeconds: num('BENCH_FLOOD_SECONDS', QUICK ? 4 : 15),
			slowCsvMs: num('BENCH_SLOW_CSV_MS', 2000),
		};
		// n8n as installed: the figures the targets are judged on.
		results.inN8n = await runN8nBench({ ...common, cycles: num('BENCH_CYCLES', QUICK ? 1 : 3), label: 'n8n defaults' });
		// The same with n8n's lazy expression-isolate acquisition: shows what n8n's per-request
		// isolate costs a community trigger (see bench/notes.md). Shorter, no slow follow-up.
		const diag = {
			...common,
			duration: num('BENCH_DIAG_DURATION', QUICK ? 3 : 8),
			cycles: num('BENCH_DIAG_CYCLES', QUICK ? 1 : 2),
			slowFollowUp: false,
		};
		if (process.env.BENCH_SKIP_LAZY !== '1') {
			results.inN8nLazy = await runN8nBench({ ...diag, label: 'lazy isolate', env: { N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true' } });
		}
	}

	results.seconds = (Date.now() - started) / 1000;
	results.machine.duringRun = stopWatching();
	fs.writeFileSync(out, JSON.stringify(results, null, 2));
	log(`results: ${path.relative(REPO_ROOT, out)}`);
	const { writeReport } = require('./report');
	const table = writeReport(results, { command: 'npm run bench' });
	process.stdout.write(table + '\n');
}

main().catch((e) => {
	process.stderr.write(`[bench] failed: ${e && e.stack ? e.stack : e}\n`);
	process.exit(1);
});
