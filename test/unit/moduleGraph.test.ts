/**
 * The shape of the code (issue 15 §3): files under nodes/ and credentials/ depend downward only.
 * No import cycles, and the leaf modules a step is built from never import the pipeline that
 * runs the steps. Read from the sources' import lines, so it holds for every file added later.
 */
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');

function sourceFiles(dir: string): string[] {
	return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
		const rel = path.join(dir, entry.name);
		if (entry.isDirectory()) return sourceFiles(rel);
		return entry.name.endsWith('.ts') ? [rel] : [];
	});
}

/** file → the files of this package it imports (relative imports only). */
function importGraph(): Map<string, string[]> {
	const graph = new Map<string, string[]>();
	for (const file of [...sourceFiles('nodes'), ...sourceFiles('credentials')]) {
		const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
		const targets = [...text.matchAll(/from '(\.[^']+)'/g)].map((m) => {
			const base = path.join(path.dirname(file), m[1]);
			return fs.existsSync(path.join(ROOT, `${base}.ts`)) ? `${base}.ts` : path.join(base, 'index.ts');
		});
		graph.set(file, targets);
	}
	return graph;
}

function findCycle(graph: Map<string, string[]>): string[] | undefined {
	const state = new Map<string, 'open' | 'done'>();
	const stack: string[] = [];
	const visit = (file: string): string[] | undefined => {
		if (state.get(file) === 'done') return undefined;
		if (state.get(file) === 'open') return [...stack.slice(stack.indexOf(file)), file];
		state.set(file, 'open');
		stack.push(file);
		for (const next of graph.get(file) ?? []) {
			const cycle = visit(next);
			if (cycle) return cycle;
		}
		stack.pop();
		state.set(file, 'done');
		return undefined;
	};
	for (const file of graph.keys()) {
		const cycle = visit(file);
		if (cycle) return cycle;
	}
	return undefined;
}

/** Everything `file` reaches through its imports. */
function reaches(graph: Map<string, string[]>, file: string): Set<string> {
	const seen = new Set<string>();
	const walk = (f: string) => {
		for (const next of graph.get(f) ?? []) {
			if (!seen.has(next)) {
				seen.add(next);
				walk(next);
			}
		}
	};
	walk(file);
	return seen;
}

describe('module graph of nodes/ and credentials/', () => {
	const graph = importGraph();

	it('reads every import it finds (each resolves to a file of the package)', () => {
		const unresolved = [...graph].flatMap(([file, targets]) => targets.filter((t) => !fs.existsSync(path.join(ROOT, t))).map((t) => `${file} → ${t}`));
		expect(unresolved).toEqual([]);
		expect(graph.get('nodes/shared/webhookPipeline.ts')).toEqual(expect.arrayContaining(['nodes/shared/refusal.ts', 'nodes/shared/requestBody.ts']));
	});

	it('has no import cycles', () => {
		expect(findCycle(graph)).toBeUndefined();
	});

	it('finds a cycle when there is one (the check itself works)', () => {
		const withCycle = new Map(graph);
		withCycle.set('nodes/shared/refusal.ts', ['nodes/shared/webhookPipeline.ts']);
		expect(findCycle(withCycle)).toEqual(expect.arrayContaining(['nodes/shared/refusal.ts', 'nodes/shared/webhookPipeline.ts']));
	});

	it.each([
		'nodes/shared/refusal.ts',
		'nodes/shared/requestBody.ts',
		'nodes/shared/signature.ts',
		'nodes/shared/vendorHttp.ts',
		'nodes/shared/duplicateMemory/store.ts',
		'nodes/shared/duplicateMemory/staticData.ts',
		'nodes/UpliftTrigger/upliftEvent.ts',
		'nodes/UpliftTrigger/upliftCsv.ts',
		'nodes/UpliftTrigger/upliftCatchUp.ts',
		'nodes/UphanceTrigger/uphanceEvent.ts',
		'nodes/UphanceTrigger/uphanceRecord.ts',
		'nodes/UphanceTrigger/urlToken.ts',
	])('%s does not reach the pipeline or a node file', (file) => {
		expect(graph.has(file)).toBe(true);
		const reached = [...reaches(graph, file)];
		expect(reached.filter((f) => f === 'nodes/shared/webhookPipeline.ts' || f.endsWith('.node.ts'))).toEqual([]);
	});
});

/** A file's code without its comment lines. */
const code = (file: string) =>
	fs
		.readFileSync(path.join(ROOT, file), 'utf8')
		.split('\n')
		.filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line))
		.join('\n');

describe('one client per vendor API (issue 19, item 10)', () => {
	it("one file in nodes/ calls n8n's HTTP helpers: nodes/shared/vendorHttp.ts (authenticatedSend, plainSend)", () => {
		const callers = sourceFiles('nodes').filter((file) =>
			/helpers\.(httpRequest|httpRequestWithAuthentication|request|requestWithAuthentication)\b/.test(fs.readFileSync(path.join(ROOT, file), 'utf8')),
		);
		expect(callers).toEqual([path.join('nodes', 'shared', 'vendorHttp.ts')]);
	});

	it("Uphance's list pages are read in one place: nodes/Uphance/transport/pages.ts", () => {
		const readers = sourceFiles('nodes').filter((file) => /\bnext_page\b/.test(code(file)));
		expect(readers).toEqual([path.join('nodes', 'Uphance', 'transport', 'pages.ts')]);
	});

	it("Uplift's list pages are read in one place (nodes/Uplift/transport/pages.ts), and its export job paths and wait are in one (exports.ts)", () => {
		const pageReaders = sourceFiles('nodes').filter(
			(file) => /^nodes.Uplift/.test(file) && /\.total_count\b|\btotal_count:/.test(code(file)),
		);
		expect(pageReaders).toEqual([path.join('nodes', 'Uplift', 'transport', 'pages.ts')]);
		const exportPaths = sourceFiles('nodes').filter((file) => /['`]\/data\/export/.test(code(file)));
		expect(exportPaths).toEqual([path.join('nodes', 'Uplift', 'transport', 'exports.ts')]);
		// the callers of the one wait
		const waiters = sourceFiles('nodes').filter((file) => /\bwaitForExportJob\(/.test(code(file)));
		expect(waiters.sort()).toEqual(
			[
				path.join('nodes', 'Uplift', 'resources', 'dataExport', 'run.ts'),
				path.join('nodes', 'UpliftTrigger', 'upliftCatchUp.ts'),
			].sort(),
		);
	});

	it("Uphance's record and list endpoints and envelopes are in one table: nodes/Uphance/transport/records.ts", () => {
		// a collection of the table named in code: only the table itself
		const naming = sourceFiles('nodes').filter((file) =>
			/'\/?(sales_orders|credit_notes|receiving_tickets|production_orders)'/.test(code(file)),
		);
		expect(naming).toEqual([path.join('nodes', 'Uphance', 'transport', 'records.ts')]);
		// reads of a record or a list: the trigger's fetch and catch-up, and the action node's Get and
		// Get Many (which take their endpoints from the table), and Find by EAN (a filtered SKU list)
		const readers = sourceFiles('nodes').filter((file) =>
			/\b(extractRecord|recordEndpoint|listEndpoint|uphanceList)\(/.test(code(file)),
		);
		expect(readers.sort()).toEqual(
			[
				'nodes/Uphance/descriptions.ts',
				'nodes/Uphance/resources/sku/findByEan.ts',
				'nodes/Uphance/transport/index.ts', // uphanceList itself
				'nodes/Uphance/transport/records.ts',
				'nodes/UphanceTrigger/uphanceCatchUp.ts',
				'nodes/UphanceTrigger/uphanceRecord.ts',
			]
				.map((f) => path.join(...f.split('/')))
				.sort(),
		);
	});

});
