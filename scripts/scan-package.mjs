#!/usr/bin/env node
/**
 * n8n's verification scanner (@n8n/scan-community-package, pinned in package.json), run offline as
 * the last step of `npm run lint`. Run `npm run build` first: the tarball leg lints what `npm pack`
 * ships, i.e. dist/.
 *
 * `npx @n8n/scan-community-package <name>` fetches a published package and its provenance from npm
 * and GitHub. This package is not published, so that fetch and the provenance check are skipped, and
 * the scanner's own `analyzePackage` lints the two things it would lint:
 *   1. the tarball: `npm pack` of this checkout, unpacked, with analyzePackage's default patterns
 *      (every .js, .ts and .json; a superset of the CLI's `**\/*.js` + package.json for this leg);
 *   2. the source: package.json + {nodes,credentials}/** (the scanner's SOURCE_FILE_PATTERNS).
 * Both legs use the scanner's own ESLint config, which ignores eslint-disable comments.
 *
 * Any error or warning fails, except the rules in ACCEPTED below, which are reported by name.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import {
	analyzePackage,
	SOURCE_FILE_PATTERNS,
} from '@n8n/scan-community-package/scanner/scanner.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// The scanner makes an (empty) temporary folder when loaded, which its `tmp` removes at exit only
// when asked to.
createRequire(import.meta.resolve('@n8n/scan-community-package/scanner/scanner.mjs'))(
	'tmp',
).setGracefulCleanup();

// Known and accepted: they need a real publisher's address. package.json names no author email and
// no homepage on purpose (an invented one would mislead users); whoever publishes adds both, and
// then removes these two lines and the matching 'off' lines in eslint.config.mjs.
const ACCEPTED = {
	'@n8n/community-nodes/valid-author': 'package.json "author" has no email (no publisher yet)',
	'@n8n/community-nodes/require-homepage': 'package.json has no "homepage" (no publisher yet)',
};

/** A failure to report as such (anything else thrown is a bug in this script: its stack is shown). */
function fail(message) {
	throw Object.assign(new Error(message), { scanFailure: true });
}

function run(cmd, args, cwd) {
	const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
	if (r.status !== 0) fail(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
	return r.stdout;
}

/** Pack this checkout like a release and unpack it into `dir`; returns the unpacked folder. */
function packInto(dir) {
	const out = run(
		'npm',
		['pack', '--ignore-scripts', '--json', '--pack-destination', dir],
		REPO_ROOT,
	);
	const [info] = JSON.parse(out.slice(out.indexOf('[')));
	const packed = new Set(info.files.map((f) => f.path));
	const { n8n } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
	const missing = [...n8n.nodes, ...n8n.credentials].filter((f) => !packed.has(f));
	if (missing.length) fail(`the tarball lacks ${missing.join(', ')}: run \`npm run build\` first.`);
	const unpacked = path.join(dir, 'package');
	run('tar', ['-xzf', path.join(dir, info.filename), '-C', dir], REPO_ROOT);
	return unpacked;
}

/**
 * analyzePackage returns pass/fail and ESLint's "stylish" text, not the messages. Read the problems
 * back from that text: a file line, then "  line:col  error|warning  message  rule-id" lines.
 */
function problemsIn(details) {
	const problems = [];
	let file = '';
	for (const line of stripVTControlCharacters(details).split('\n')) {
		const m = /^\s+(\d+:\d+)\s+(error|warning)\s+(.*\S)\s{2,}(\S+)$/.exec(line);
		if (m) problems.push({ file, at: m[1], severity: m[2], message: m[3], rule: m[4] });
		else if (/^\S/.test(line) && !line.startsWith('✖')) file = line.trim();
	}
	return problems;
}

async function leg(name, dir, patterns) {
	const result = await analyzePackage(dir, patterns);
	if (result.passed) return console.log(`${name}: no errors`);
	if (!result.details) fail(`${name}: ${result.message}`);
	const problems = problemsIn(result.details);
	const accepted = problems.filter(
		(p) => path.basename(p.file) === 'package.json' && ACCEPTED[p.rule],
	);
	if (problems.length === 0 || accepted.length < problems.length)
		fail(`${name}: n8n's scanner reports problems beyond the accepted ones:\n${result.details}`);
	console.log(`${name}: no errors except the accepted ones:`);
	for (const p of accepted) console.log(`  accepted  ${p.rule}: ${ACCEPTED[p.rule]}`);
}

const started = Date.now();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scan-package-'));
try {
	await leg('n8n scanner, tarball (npm pack)', packInto(tmp), undefined);
	await leg(
		'n8n scanner, source (package.json, nodes/, credentials/)',
		REPO_ROOT,
		SOURCE_FILE_PATTERNS,
	);
	console.log(`scan-package: passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (e) {
	console.error(`\nscan-package: FAILED: ${e.scanFailure ? e.message : e.stack}`);
	process.exitCode = 1;
} finally {
	fs.rmSync(tmp, { recursive: true, force: true });
}
