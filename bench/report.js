'use strict';
/**
 * Turns a results object (bench/run.js) into the console table, BENCHMARKS.md and
 * bench/memory-scaling.svg. Re-render from saved results without measuring again:
 *
 *   node bench/report.js [.bench/results.json]
 */
const fs = require('fs');
const path = require('path');
const { fmtTime, fmtBytes, fmtRatio } = require('./lib/stats');
const { catchUpMarkdown } = require('./lib/catchupReport');

const REPO_ROOT = path.resolve(__dirname, '..');
const CHART = path.join(__dirname, 'memory-scaling.svg');
const NOTES = path.join(__dirname, 'notes.md');

const verdict = (pass) => (pass === null || pass === undefined ? '' : pass ? '**pass**' : '**MISS**');
const fmtMs = (ms) => (Number.isFinite(ms) ? (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`) : 'n/a');
const fmtRps = (r) => (Number.isFinite(r) ? r.toFixed(r < 100 ? 1 : 0) : 'n/a');
const n = (x) => x.toLocaleString('en-US');
const fmtCpu = (ms) => (Number.isFinite(ms) ? `${ms.toFixed(ms < 10 ? 2 : 1)} ms` : 'n/a');
const fmtMsFine = (ms) => (Number.isFinite(ms) ? `${ms.toFixed(ms < 10 ? 2 : 1)} ms` : 'n/a');

/** Every figure against its target, as rows [measure, value, baseline, ratio, target, result]. */
function rows(results) {
	const out = [];
	const ip = results.inprocess;
	if (ip) {
		for (const p of ip.pipeline) {
			out.push([
				`Pipeline per delivery, ${p.size} body (${n(p.bodyBytes)} B)`,
				fmtTime(p.pipelineUs),
				`floor ${fmtTime(p.floorUs)}`,
				fmtRatio(p.ratio),
				p.target ? `≤ ${p.target}×` : 'report',
				verdict(p.pass),
			]);
		}
		const m = ip.memory;
		const base = m.rows[0];
		for (const r of m.rows) {
			const atDefault = r.keys === m.defaultSize;
			out.push([
				`Duplicate memory: the store's work per accepted delivery, ${n(r.keys)} keys`,
				fmtTime(r.perDelivery.medianUs),
				r === base ? '(reference)' : `${n(base.keys)} keys: ${fmtTime(base.perDelivery.medianUs)}`,
				fmtRatio(r.ratioTo100),
				atDefault ? `< ${m.targets.perDeliveryAtDefault.target} µs` : '',
				atDefault ? verdict(m.targets.perDeliveryAtDefault.pass) : '',
			]);
		}
		const d = m.rows.find((r) => r.keys === m.defaultSize);
		out.push([`Duplicate memory: the store's work per duplicate, ${n(d.keys)} keys`, fmtTime(d.duplicate.medianUs), '', '', 'report', '']);
		out.push([`Duplicate memory: persisted bytes per key, ${n(d.keys)} keys`, `${d.bytesPerKey.toFixed(1)} B`, '', '', 'report', '']);
		out.push([`Static data at the default size (${n(d.keys)} keys)`, fmtBytes(d.staticDataBytes), '', '', 'report', '']);
	}
	if (results.inN8n) out.push(...n8nRows(results.inN8n, '', true));
	if (results.inN8nLazy) out.push(...n8nRows(results.inN8nLazy, 'lazy isolate: ', false));
	return out;
}

/** Rows for one n8n configuration; `judged` false = a diagnostic run, targets shown, no verdict. */
function n8nRows(t, prefix, judged) {
	const out = [];
	const b = t.throughput.baseline;
	const judge = (pass) => (judged ? verdict(pass) : `(${pass ? 'would pass' : 'would miss'})`);
	const add = (label, x, target) => {
		if (!x) {
			out.push([prefix + label, 'not run', '', '', target ? `≥ ${target}×` : '', 'n/a']);
			return;
		}
		const ratio = x.rps / b.rps;
		out.push([
			prefix + label,
			`${fmtRps(x.rps)} req/s, p50 ${fmtMs(x.p50)}, p99 ${fmtMs(x.p99)}`,
			x === b ? '(baseline)' : `${fmtRps(b.rps)} req/s`,
			fmtRatio(ratio),
			target ? `≥ ${target}×` : '',
			target ? judge(ratio >= target) : '',
		]);
	};
	add('n8n (1) Webhook node, respond immediately', b, null);
	add('n8n (2) Uplift Trigger, signed distinct events', t.throughput.uplift, 0.95);
	add('n8n (3) Uphance Trigger, distinct events + fake API', t.throughput.uphance, 0.95);
	const m = t.memory;
	if (m) {
		const size = n(m.defaultSize);
		const cpuRatio = m.ratios.cpuPerDelivery;
		out.push([
			`${prefix}n8n duplicate memory full (${size} keys) vs empty: CPU per accepted delivery`,
			fmtCpu(m.full.cpuMsPerDelivery),
			`empty ${fmtCpu(m.empty.cpuMsPerDelivery)}`,
			fmtRatio(cpuRatio),
			'≤ 1.1×',
			judge(cpuRatio <= 1.1),
		]);
		out.push([
			`${prefix}n8n duplicate memory full vs empty: throughput (time per delivery at saturation)`,
			`${fmtRps(m.full.rps)} req/s`,
			`empty ${fmtRps(m.empty.rps)} req/s`,
			fmtRatio(m.ratios.timePerDeliveryAtSaturation),
			'report',
			'',
		]);
		out.push([
			`${prefix}n8n duplicate memory full vs empty: answer latency, one delivery at a time (p50)`,
			fmtMsFine(m.full.sequentialMs.median),
			`empty ${fmtMsFine(m.empty.sequentialMs.median)}`,
			fmtRatio(m.ratios.sequentialLatency),
			'report',
			'',
		]);
	}
	add('n8n duplicate flood (one Uplift delivery repeated)', t.duplicateFlood, 10);
	const s = t.slowFollowUp;
	if (s) {
		const ackRatio = s.slow.p99 / s.fast.p99;
		out.push([
			`${prefix}n8n slow follow-up: ack p99, CSV server ${s.csvDelayMs / 1000} s vs fast`,
			`${fmtMs(s.slow.p99)} (${fmtRps(s.slow.rps)} req/s)`,
			`${fmtMs(s.fast.p99)} (${fmtRps(s.fast.rps)} req/s)`,
			fmtRatio(ackRatio),
			'≤ 1.1×',
			judge(ackRatio <= 1.1),
		]);
	}
	return out;
}

function markdownTable(head, body) {
	return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function plainTable(head, body) {
	const strip = (s) => String(s).replace(/\*\*/g, '');
	const all = [head, ...body].map((r) => r.map(strip));
	const w = head.map((_, i) => Math.max(...all.map((r) => [...r[i]].length)));
	const line = (r) => r.map((c, i) => c + ' '.repeat(w[i] - [...c].length)).join('  ');
	return [line(all[0]), w.map((x) => '-'.repeat(x)).join('  '), ...all.slice(1).map(line)].join('\n');
}

// ---------- chart ----------

function esc(s) {
	return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

/**
 * Two panels against the number of keys: the store's own work per accepted delivery (µs), and
 * what n8n spends parsing and serialising the static data for one accepted delivery (ms).
 */
function chartSvg(results) {
	const m = results.inprocess.memory;
	const W = 760;
	const H = 350;
	const panelW = 330;
	const top = 72;
	const plotH = 210;
	const xs = m.rows.map((r) => r.keys);
	const xPos = (i, x0) => x0 + 30 + (i * (panelW - 60)) / (xs.length - 1);
	let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica,Arial,sans-serif" font-size="12">\n`;
	svg += `<rect width="${W}" height="${H}" fill="#fff"/>\n`;
	svg += `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">Duplicate memory: cost per accepted delivery against the number of keys held</text>\n`;

	const panel = (x0, title, values, fmt, opts = {}) => {
		const maxV = Math.max(...values, opts.line || 0) * 1.25;
		const y = (v) => top + plotH - (v / maxV) * plotH;
		let p = `<g>\n<text x="${x0 + panelW / 2}" y="${top - 16}" text-anchor="middle" font-weight="bold">${esc(title)}</text>\n`;
		p += `<line x1="${x0}" y1="${top + plotH}" x2="${x0 + panelW}" y2="${top + plotH}" stroke="#333"/>\n`;
		p += `<line x1="${x0}" y1="${top}" x2="${x0}" y2="${top + plotH}" stroke="#333"/>\n`;
		for (let k = 0; k <= 4; k++) {
			const v = (maxV * k) / 4;
			p += `<line x1="${x0}" y1="${y(v)}" x2="${x0 + panelW}" y2="${y(v)}" stroke="#eee"/>`;
			p += `<text x="${x0 - 4}" y="${y(v) + 4}" text-anchor="end" font-size="10" fill="#555">${esc(fmt(v, true))}</text>\n`;
		}
		if (opts.line) {
			p += `<line x1="${x0}" y1="${y(opts.line)}" x2="${x0 + panelW}" y2="${y(opts.line)}" stroke="#c0392b" stroke-dasharray="6 4"/>`;
			p += `<text x="${x0 + 6}" y="${y(opts.line) - 5}" text-anchor="start" font-size="10" fill="#c0392b">${esc(opts.lineLabel)}</text>\n`;
		}
		const pts = values.map((v, i) => `${xPos(i, x0)},${y(v)}`).join(' ');
		p += `<polyline points="${pts}" fill="none" stroke="#2471a3" stroke-width="2"/>\n`;
		values.forEach((v, i) => {
			p += `<circle cx="${xPos(i, x0)}" cy="${y(v)}" r="4" fill="#2471a3"/>`;
			p += `<text x="${xPos(i, x0)}" y="${y(v) - 9}" text-anchor="middle" font-size="11">${esc(fmt(v))}</text>`;
			p += `<text x="${xPos(i, x0)}" y="${top + plotH + 16}" text-anchor="middle" font-size="11">${esc(n(xs[i]))}</text>\n`;
		});
		p += `<text x="${x0 + panelW / 2}" y="${top + plotH + 34}" text-anchor="middle" fill="#333">keys held (log scale)</text>\n`;
		if (opts.note)
			p += `<text x="${x0 + panelW / 2}" y="${top + plotH + 52}" text-anchor="middle" font-size="10" fill="#555">${esc(opts.note)}</text>\n`;
		return p + '</g>\n';
	};
	svg += panel(
		50,
		"The store's work, µs per accepted delivery",
		m.rows.map((r) => r.perDelivery.medianUs),
		(v, axis) => (axis ? v.toFixed(1) : `${v.toFixed(2)} µs`),
		{
			line: m.targets.perDeliveryAtDefault.target,
			lineLabel: `goal at ${n(m.defaultSize)} keys: < ${m.targets.perDeliveryAtDefault.target} µs`,
			note: `median per request, webhook() + execute(), Node ${results.inprocess.node}`,
		},
	);
	svg += panel(
		420,
		"n8n's JSON work on static data, ms per delivery",
		m.rows.map((r) => (2 * r.n8nParse.medianUs + r.n8nStringify.medianUs) / 1000),
		(v, axis) => (axis ? v.toFixed(v < 1 ? 2 : 0) : v < 1 ? `${(v * 1000).toFixed(0)} µs` : `${v.toFixed(1)} ms`),
		{
			note: `2 × JSON.parse (request, execution) + JSON.stringify (save); ${fmtBytes(m.staticDataBytesAtDefault)} at ${n(m.defaultSize)} keys`,
		},
	);
	return svg + '</svg>\n';
}

// ---------- BENCHMARKS.md ----------

function details(results) {
	const parts = [];
	const ip = results.inprocess;
	if (ip) {
		parts.push('### Where the time goes per delivery (each step alone, median per operation)\n');
		const stepNames = Object.keys(ip.pipeline[0].steps);
		parts.push(
			markdownTable(
				['Body', 'floor (HMAC + JSON.parse)', 'whole pipeline', ...stepNames],
				ip.pipeline.map((p) => [
					`${p.size} (${n(p.bodyBytes)} B)`,
					fmtTime(p.floorUs),
					fmtTime(p.pipelineUs),
					...stepNames.map((s) => fmtTime(p.steps[s])),
				]),
			),
		);
		parts.push(
			`\nRounds: ${ip.pipeline.map((p) => `${p.size} ${p.rounds} × ${p.opsPerRound}`).join(', ')} deliveries (each round fresh, distinct, signed bodies; candidates interleaved in rotating order). ` +
				`Noise (interquartile range / median over rounds): ${ip.pipeline.map((p) => `${p.size} floor ${(p.noise.floor * 100).toFixed(0)} %, pipeline ${(p.noise.pipeline * 100).toFixed(0)} %`).join('; ')}.\n`,
		);
		const m = ip.memory;
		parts.push('### The duplicate memory at each size\n');
		parts.push(
			markdownTable(
				[
					'Keys (= size)',
					'per accepted delivery (webhook + execute)',
					'vs 100',
					'per duplicate',
					'cold: accepted / duplicate',
					'first request after a restart',
					'queue mode: per request',
					'bytes per key',
					'static data JSON',
					'n8n: JSON.parse of it (every request; twice per accepted delivery)',
					'n8n: JSON.stringify of it (every accepted delivery)',
				],
				m.rows.map((r) => [
					n(r.keys),
					`${fmtTime(r.perDelivery.medianUs)} (${fmtTime(r.webhook.medianUs)} + ${fmtTime(r.execute.medianUs)})`,
					fmtRatio(r.ratioTo100),
					fmtTime(r.duplicate.medianUs),
					`${fmtTime(r.coldPerDelivery.medianUs)} / ${fmtTime(r.coldDuplicate.medianUs)}`,
					fmtTime(r.restart.medianUs),
					fmtTime(r.queueMode.medianUs),
					r.bytesPerKey.toFixed(1),
					fmtBytes(r.staticDataBytes),
					fmtTime(r.n8nParse.medianUs),
					fmtTime(r.n8nStringify.medianUs),
				]),
			),
		);
		parts.push(
			`\nOne request as n8n runs it, on the compiled duplicate memory (nodes/shared/duplicateMemory/), the memory full at its size so every accept also forgets the oldest key: ` +
				`n8n hands webhook() a fresh copy of the workflow's static data (JSON.parse of the saved text, outside the timing); webhook() opens the memory on it, claims the delivery key and accepts it, which writes static data (not saved on 2.40, as an execution starts); the execution reads static data afresh (a second JSON.parse, outside the timing) and execute() accepts the key again (acceptInExecution); n8n saves the execution's static data whole (JSON.stringify, outside the timing). ` +
				`Medians over every request of ${m.rounds} rounds (per round and size: ${Object.entries(m.plan)
					.map(([k, v]) => `${n(Number(k))}: ${v.batch} + ${v.cold} cold`)
					.join(
						', ',
					)}), sizes interleaved in rotating order, with about 3× the size accepted untimed in between so the memory is measured throughout its steady state. ` +
				`Each request is timed on its own (timer cost ${fmtTime(m.timerOverheadUs)}, included). "Per accepted delivery" and "per duplicate": requests back to back, each on its own fresh copy parsed beforehand; "cold": one request at a time right after n8n's parse and save of the same static data, as in n8n. ` +
				`"First request after a restart": a new process's empty memory merging the stored keys (once per process and node). "Queue mode": the webhook process's memory reads a copy the worker wrote (same keys, another writer), which it does on every request there.\n`,
		);
	}
	for (const t of [results.inN8n, results.inN8nLazy]) {
		if (!t) continue;
		const envText = Object.entries(t.config.env || {})
			.map(([k, v]) => `\`${k}=${v}\``)
			.join(' ');
		parts.push(`### Inside n8n (${t.label}${envText ? `: ${envText}` : ''}): every measured segment\n`);
		const segRows = [];
		for (const [k, v] of Object.entries(t.throughput)) {
			if (!v) continue;
			v.segments.forEach((s, i) => segRows.push([k, String(i + 1), fmtRps(s.rps), fmtMs(s.p50), fmtMs(s.p99), String(s.non2xx)]));
		}
		for (const k of t.slowFollowUp ? ['fast', 'slow'] : [])
			t.slowFollowUp[k].segments.forEach((s, i) =>
				segRows.push([`Uplift + CSV (${k})`, String(i + 1), fmtRps(s.rps), fmtMs(s.p50), fmtMs(s.p99), String(s.non2xx)]),
			);
		for (const [k, f] of [['duplicate flood', t.duplicateFlood]])
			if (f) segRows.push([k, '1', fmtRps(f.rps), fmtMs(f.p50), fmtMs(f.p99), String(f.non2xx)]);
		parts.push(markdownTable(['Workflow', 'segment', 'req/s (2xx)', 'p50', 'p99', 'non-2xx'], segRows));
		const ex = t.executions;
		const fmtEx = (e) =>
			!e
				? 'n/a'
				: !e.count
					? '0'
					: `${n(e.count)} (${Object.entries(e.byStatus)
							.map(([s, c]) => `${s} ${n(c)}`)
							.join(', ')})`;
		parts.push(
			`\nSegments: ${t.config.cycles} per workflow, ${t.config.warmup} s warm-up + ${t.config.duration} s measured each, 10 connections, workflows interleaved (1,2,3 then 3,2,1 …). ` +
				`Duplicate flood: ${t.config.floodSeconds} s; it started ${t.duplicateFlood.executionsStarted} execution(s). ` +
				`Executions stored at the end: baseline ${fmtEx(ex.baseline)}; Uplift ${fmtEx(ex.uplift)}; Uplift + CSV ${fmtEx(ex.upliftCsv)}; Uphance ${fmtEx(ex.uphance)}. ` +
				`Uphance API calls served by the fake: ${n(t.uphanceApiRequests || 0)} (token requests: ${t.uphanceTokenRequests}). CSV downloads served: ${t.slowFollowUp ? n(t.slowFollowUp.csvRequests) : 'n/a'}. ` +
				`SQLite database after the run: ${t.databaseBytes ? fmtBytes(t.databaseBytes) : 'n/a'}; the Uplift workflow's static data: ${fmtBytes(t.upliftStaticDataBytes)}.\n`,
		);
		if (t.memory) parts.push(memoryDetails(t.memory, t.label));
	}
	return parts.join('\n');
}

/** The empty-vs-full comparison inside n8n: every cycle and segment. */
function memoryDetails(m, label) {
	const out = [`#### Duplicate memory, empty vs full (${label})\n`];
	const segRows = [];
	m.cycles.forEach((c, i) => {
		for (const which of ['empty', 'full']) {
			const seg = m[which].segments[i];
			const cpu = m[which].cpuSegments[i];
			segRows.push([
				String(i + 1),
				which,
				which === 'full' ? n(c.heldAtStart) : '0',
				c[`${which}KeysAtEnd`] === null ? '0' : n(c[`${which}KeysAtEnd`]),
				fmtBytes(c[`${which}StaticDataBytesAtEnd`]),
				fmtRps(seg.rps),
				fmtMs(seg.p50),
				fmtMs(seg.p99),
				fmtCpu(cpu),
				n(c[`${which}Executions`]),
				String(seg.non2xx),
			]);
		}
	});
	out.push(
		markdownTable(
			[
				'cycle',
				'memory',
				'keys at start',
				'keys at end',
				'static data at end',
				'req/s (2xx)',
				'p50',
				'p99',
				'n8n CPU per delivery',
				'executions',
				'non-2xx',
			],
			segRows,
		),
	);
	out.push(
		`\nEach cycle creates the same Uplift workflow twice (typeVersion and settings of (2); the full one created through n8n's public API with its static data holding ${n(m.defaultSize)} keys, ${fmtBytes(m.prefillStaticDataBytes)}, in the persisted format), ` +
			`sends ${m.empty.sequentialMs.n / m.cycles.length} signed distinct deliveries to each one at a time, alternating (after 3 each to warm up), then runs one throughput segment on each (warm-up + measured, 10 connections, order alternating between cycles), and deactivates both. ` +
			`"n8n CPU per delivery": user + system CPU of n8n's process group from the start of the measured segment until 2.5 s after it (its executions end and save static data), divided by the accepted deliveries. ` +
			`One at a time, answer latency p50 / p90: empty ${fmtMsFine(m.empty.sequentialMs.median)} / ${fmtMsFine(m.empty.sequentialMs.p90)}, full ${fmtMsFine(m.full.sequentialMs.median)} / ${fmtMsFine(m.full.sequentialMs.p90)}. ` +
			`Ratios full/empty: CPU per delivery ${fmtRatio(m.ratios.cpuPerDelivery)}, time per delivery at saturation ${fmtRatio(m.ratios.timePerDeliveryAtSaturation)}, latency one at a time ${fmtRatio(m.ratios.sequentialLatency)}.\n`,
	);
	return out.join('\n');
}

function renderMarkdown(results, table, { command }) {
	const m = results.machine;
	const t = results.inN8n;
	const lines = [];
	lines.push('# Benchmarks');
	lines.push('');
	lines.push(
		'Generated by `npm run bench` (scripts/bench.sh → bench/run.js); do not edit by hand: the figures below are from the run described here, and every figure is a ratio against a baseline measured in the same run.',
	);
	lines.push('');
	lines.push('## This run');
	lines.push('');
	lines.push(
		`- Date: ${results.date.replace('T', ' ').replace(/\..*/, ' UTC')}; whole run ${Math.round(results.seconds)} s (\`${command}\`, including build and n8n start: see below)${results.quick ? ' — **quick mode (BENCH_QUICK=1): short runs, figures indicative only**' : ''}`,
	);
	lines.push(
		`- Machine: ${m.cpu}, ${m.cores} cores${m.cpuFlags ? ` (${m.cpuFlags})` : ''}, ${m.ramGiB.toFixed(1)} GiB RAM, ${m.os}; load average at start ${m.loadAtStart.map((x) => x.toFixed(2)).join(' / ')}`,
	);
	if (m.duringRun) {
		const d = m.duringRun;
		lines.push(
			`- Other load during the run (sampled every 10 s): load average (1 min) mean ${d.load1Mean.toFixed(2)}, max ${d.load1Max.toFixed(2)}; ` +
				(d.otherN8nShare > 0
					? `**another n8n was running in ${Math.round(d.otherN8nShare * 100)} % of the samples** (${d.otherN8nFolders.map((f) => `\`${f}\``).join(', ')}), so absolute figures are lower than on a quiet machine; ratios within the run stay comparable`
					: 'no other n8n was running'),
		);
	}
	if (results.source)
		lines.push(
			`- Code measured: commit \`${results.source.commit}\`${results.source.dirtyFiles.length ? ` plus uncommitted changes in ${results.source.dirtyFiles.map((f) => `\`${f}\``).join(', ')}` : ' (clean work tree)'}`,
		);
	if (results.inprocess)
		lines.push(`- In-process: Node ${results.inprocess.node} (OpenSSL ${results.inprocess.openssl}), over the compiled \`dist/\``);
	if (t)
		lines.push(
			`- n8n ${t.n8n.version} on Node ${t.n8n.node}, SQLite, regular mode, package installed as a community package (test/support/n8nInstance.js); autocannon 9.0.0 on Node ${results.orchestratorNode}, loopback, 10 connections`,
		);
	lines.push('');
	lines.push(markdownTable(['Measure', 'Value', 'Baseline', 'Ratio', 'Target', 'Result'], table));
	lines.push('');
	if (results.inprocess)
		lines.push('![Duplicate memory: cost per accepted delivery against the number of keys](bench/memory-scaling.svg)\n');
	let notes = '';
	try {
		notes = fs.readFileSync(NOTES, 'utf8').trim();
	} catch {
		/* none */
	}
	if (notes) lines.push(notes, '');
	lines.push('## Details of this run\n');
	lines.push(details(results));
	lines.push('');
	if (results.catchUp) {
		lines.push('## Catch-up (issue 16): one run against the fake vendors, 0 / 100 / 10,000 missed changes\n');
		lines.push('`bench/catchup.js`; what the figures say: "Catch-up" in the findings above (§8).\n');
		lines.push(catchUpMarkdown(results.catchUp));
		lines.push('');
	}
	lines.push('## How to rerun');
	lines.push('');
	lines.push('```bash');
	lines.push('npm ci');
	lines.push('npm run bench                    # build, provision n8n 2.40.7 if needed (.cache/), run everything, rewrite this file');
	lines.push('BENCH_QUICK=1 npm run bench      # a short run to try the harness (figures indicative only)');
	lines.push('node bench/inprocess.js          # in-process part only, JSON on stdout (after npm run build)');
	lines.push('node bench/catchup.js            # catch-up part only, Markdown tables on stdout (after npm run build; --json for JSON)');
	lines.push('node bench/report.js             # re-render this file and the chart from .bench/results.json');
	lines.push('```');
	lines.push('');
	lines.push(
		'Knobs: `BENCH_DURATION` (s per measured segment, default 10), `BENCH_WARMUP` (3), `BENCH_CYCLES` (3), `BENCH_FLOOD_SECONDS` (15), `BENCH_SLOW_CSV_MS` (2000), `BENCH_SKIP_N8N=1`, `BENCH_SKIP_INPROCESS=1`, `BENCH_SKIP_CATCHUP=1`, `N8N_VERSION`. ' +
			'n8n runs in `.e2e/bench/` on free ephemeral ports. Do not run it while another n8n is busy on the same machine (`pgrep -af "n8n start"`): on 2 cores that halves the figures. Raw results of the last run: `.bench/results.json` (not committed).',
	);
	lines.push('');
	return lines.join('\n');
}

function writeReport(results, { command = 'npm run bench' } = {}) {
	const head = ['Measure', 'Value', 'Baseline', 'Ratio', 'Target', 'Result'];
	const body = rows(results);
	if (results.inprocess) fs.writeFileSync(CHART, chartSvg(results));
	fs.writeFileSync(path.join(REPO_ROOT, 'BENCHMARKS.md'), renderMarkdown(results, body, { command }));
	return plainTable(head, body);
}

module.exports = { writeReport, rows, chartSvg };

if (require.main === module) {
	const file = process.argv[2] || path.join(REPO_ROOT, '.bench', 'results.json');
	const results = JSON.parse(fs.readFileSync(file, 'utf8'));
	process.stdout.write(writeReport(results) + '\n');
}
