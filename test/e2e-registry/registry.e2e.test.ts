/**
 * Registry suite: the package installed the way users install it, by n8n 2.40.7's own installer from
 * an npm registry, instead of being unpacked into the user folder by the test (test/e2e).
 * Run with `npm run test:registry` (scripts/test-registry.sh).
 *
 * The registry is verdaccio on loopback (test/support/verdaccio.js), which n8n reaches under the only
 * name an unlicensed n8n installs from, https://registry.npmjs.org (n8n runs in its own mount
 * namespace with its own /etc/hosts). The package is `npm publish`ed to it with a throw-away user.
 *
 * How n8n 2.40.7's installer works (node_modules/n8n/dist/modules/community-packages/):
 *  - Settings > Community Nodes > Install calls POST /rest/community-packages {name, verify?, version?}
 *    as the signed-in owner/admin (community-packages.controller.js, scope communityPackage:install);
 *    the update button calls PATCH /rest/community-packages {name, version?, checksum?}
 *    (communityPackage:update); GET lists installed packages, with `updateAvailable` from
 *    `npm outdated --json` run in <user folder>/.n8n/nodes (community-packages.lifecycle.service.js).
 *  - install/update -> CommunityPackagesService.installOrUpdatePackage (community-packages.service.js):
 *    checks the package against n8n's ban list (POST https://api.n8n.io/api/package; any failure to
 *    reach it counts as "OK"), checks that <name>@<version> exists (GET <registry>/<name>/<version>,
 *    falling back to `npm view`), then downloadPackage: `npm pack <name>@<version> --quiet
 *    --registry=<registry>` in .n8n/nodes, `tar -xzf` into .n8n/nodes/node_modules/<name>, drops
 *    devDependencies/peerDependencies/optionalDependencies from its package.json, runs `npm install
 *    --audit=false --fund=false --bin-links=false --install-strategy=shallow --ignore-scripts=true
 *    --package-lock=false` inside it, records <name>: <version> in .n8n/nodes/package.json, loads the
 *    package and saves it with its nodes in the database (installed_packages / installed_nodes). An
 *    update renames the old folder to <name>.backup-<time> first and restores it if anything fails.
 *  - The registry is N8N_COMMUNITY_PACKAGES_REGISTRY (community-packages.config.js, default
 *    https://registry.npmjs.org), passed as --registry to every npm command of the installer; any
 *    other value throws FeatureNotLicensedError(feat:communityNodes:customRegistry) unless the
 *    licence has that feature (getNpmRegistry). npm's own `registry` config is overridden by that
 *    flag; only `npm outdated` (the update check) runs without it. N8N_COMMUNITY_PACKAGES_AUTH_TOKEN
 *    is passed as --//<registry>/:_authToken.
 *  - N8N_COMMUNITY_PACKAGES (a JSON array of {name, version?, checksum?}) is read only together with
 *    N8N_COMMUNITY_PACKAGES_MANAGED_BY_ENV=true (@n8n/config instance-settings-loader.config.js) by
 *    CommunityPackagesInstanceSettingsLoader
 *    (n8n/dist/instance-settings-loader/loaders/community-packages.instance-settings-loader.js), run
 *    by `n8n start` on main after the community packages are initialised (commands/start.js): it
 *    installs listed packages that are not in the database, updates those whose pinned version
 *    differs, and uninstalls installed packages that are not listed, through the same
 *    installPackage/updatePackage as the UI. While it is on, the REST install/update/uninstall answer
 *    400 "Community packages are managed via environment variables ..." (assertNotManagedByEnv in
 *    community-packages.lifecycle.service.js). n8n's docs: available from n8n 2.21.0
 *    (https://docs.n8n.io/integrations/community-nodes/installation-and-management/environment-variable-installation).
 *  - N8N_REINSTALL_MISSING_PACKAGES (default false): at start-up, CommunityPackagesService.init ->
 *    checkForMissingPackages reinstalls, at the version recorded in the database, every installed
 *    package whose nodes did not load (e.g. its files are gone); without it n8n only logs "n8n
 *    detected that some packages are missing". The env loader above compares the list with the
 *    database, not with the files, so it does not bring back lost files by itself.
 */
import { createHash, randomUUID } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/* eslint-disable @typescript-eslint/no-var-requires */
const {
	N8nInstance,
	buildAndPack,
	run,
	REPO_ROOT,
	PACKAGE_NAME,
} = require('../support/n8nInstance');
const { startRegistry, REGISTRY_HOST } = require('../support/verdaccio');
const fakeUplift = require('../support/fakeUplift');
const { activeTriggerWorkflow } = require('../support/workflows');
const { post } = require('../support/http') as {
	post: (url: string, body: unknown, headers?: Record<string, string>) => Promise<Resp>;
};
const { createUpliftTriggerCredential } = require('../support/vendorCredentials');

type Resp = { status: number; text: string; json: any; ms: number };

const N8N_VERSION = '2.40.7';
const TRIGGER = 'Uplift Trigger';
const SECRET = 'registry-uplift-secret-' + randomUUID().replace(/-/g, '');
const API_KEY = 'sk_registry_' + randomUUID().replace(/-/g, '');
/** The package's node types as n8n names them (package.json "n8n".nodes). */
const NODE_TYPES = ['uphance', 'uphanceTrigger', 'uplift', 'upliftTrigger'].map(
	(n) => `${PACKAGE_NAME}.${n}`,
);
const V1: string = JSON.parse(
	fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'),
).version;
/** The "newer version": the next patch version, same contents (published from a temp copy). */
const V2 = V1.replace(/^(\d+)\.(\d+)\.(\d+).*$/, (_m, a, b, c) => `${a}.${b}.${Number(c) + 1}`);

/** Throws `message` (what happened and what to check) unless `cond`. */
function must(cond: unknown, message: string): asserts cond {
	if (!cond) throw new Error(message);
}
const show = (r: { status: number; text: string }) => `${r.status} ${r.text.slice(0, 800)}`;
const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

let registry: any;
let token: string;
let tarball: string;
let fake: any;
let ui: any; // n8n installed through the UI's endpoints (a, b)
let docker: any; // n8n installed at start-up from N8N_COMMUNITY_PACKAGES (c)
/** A minimal second community package (one plain-JS node), published next to ours by test (a2). */
const PROBE = 'n8n-nodes-registry-probe';
function writeProbePackage(dir: string) {
	fs.mkdirSync(path.join(dir, 'dist'), { recursive: true });
	const pj = {
		name: PROBE,
		version: '1.0.0',
		description: 'Registry suite fixture: a second community package',
		license: 'MIT',
		keywords: ['n8n-community-node-package'],
		files: ['dist'],
		n8n: { n8nNodesApiVersion: 1, nodes: ['dist/Probe.node.js'] },
	};
	fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pj, null, 2) + '\n');
	fs.writeFileSync(
		path.join(dir, 'dist', 'Probe.node.js'),
		`'use strict';
class Probe {
	constructor() {
		this.description = {
			displayName: 'Registry Probe', name: 'registryProbe', group: ['transform'], version: 1,
			description: 'Passes items through', defaults: { name: 'Registry Probe' },
			inputs: ['main'], outputs: ['main'], properties: [],
		};
	}
	async execute() { return [this.getInputData()]; }
}
module.exports = { Probe };
`,
	);
}

/** State shared by (a) and (b). */
const upgrade: {
	wf?: { id: string; url: string };
	first?: { body: string; headers: Record<string, string>; event: any };
} = {};
const t0 = Date.now();
const timings: Record<string, number> = {};

function installedDir(n8n: any) {
	return path.join(n8n.folder, '.n8n', 'nodes', 'node_modules', PACKAGE_NAME);
}
function installedVersion(n8n: any): string | null {
	try {
		return JSON.parse(fs.readFileSync(path.join(installedDir(n8n), 'package.json'), 'utf8'))
			.version;
	} catch {
		return null;
	}
}
function tarballRequests(version: string) {
	const file = `/${PACKAGE_NAME}/-/${PACKAGE_NAME}-${version}.tgz`;
	return registry.requests.filter((r: any) => r.method === 'GET' && r.url === file);
}
async function listPackages(n8n: any) {
	const r = await n8n.rest('GET', '/rest/community-packages');
	must(r.status === 200, `GET /rest/community-packages -> ${show(r)}`);
	return r.json.data as any[];
}
async function nodeTypeNames(n8n: any): Promise<string[]> {
	const r = await n8n.rest('GET', '/types/nodes.json');
	must(r.status === 200, `GET /types/nodes.json -> ${show(r)}`);
	return r.json.map((t: any) => t.name);
}
function logSince(n8n: any, marker: string) {
	const text = fs.readFileSync(n8n.logFile, 'utf8');
	return text.slice(text.lastIndexOf(marker));
}
/** n8n.start(), with what to check when n8n crashed at start-up on re-creating the Uplift node. */
async function startExplained(n8n: any) {
	try {
		await n8n.start();
	} catch (err: any) {
		if (!/Class could not be found/.test(String(err.message))) throw err;
		throw new Error(
			'n8n crashed at start-up after installing the package ("Class could not be found"; the log names className "Uplift"). ' +
				'Installing during start-up ends with postProcessLoaders() + releaseTypes(); the MCP registry module then calls postProcessLoaders() again, ' +
				'which re-creates every node class from the cached modules. The first pass ran LoadNodesAndCredentials.injectCustomApiCallOptions ' +
				"(n8n/dist/load-nodes-and-credentials.js), which pushed 'Custom API Call' into the Uplift node's Resource options; those are the " +
				'module-level RESOURCES array (nodes/shared/operations.ts actionProperties: `options: resources`), so the new instance finds a ' +
				`resource without operations and throws a TypeError at ops[0].value.\n${err.message}`,
		);
	}
}

async function upliftWorkflow(n8n: any) {
	const credential = await createUpliftTriggerCredential(n8n, { signingSecret: SECRET });
	return (await activeTriggerWorkflow(n8n, {
		nodeName: 'upliftTrigger',
		triggerName: TRIGGER,
		parameters: { options: { downloadCsv: false } },
		credential,
	})) as { id: string; url: string };
}
/** A signed delivery; 200 and one more successful execution carrying the event's id. */
async function deliverAndExpectRun(
	n8n: any,
	wf: { id: string; url: string },
	executionsBefore: number,
) {
	const d = fakeUplift.signedDelivery({ secret: SECRET, csvUrl: fake.csvUrl('registry') });
	const r = await post(wf.url, d.body, d.headers);
	must(
		r.status === 200,
		`a correctly signed Uplift delivery to ${wf.url} was answered ${show(r)}; expected 200. Check that the installed package loaded (n8n log ${n8n.logFile}).`,
	);
	const executions = await n8n.waitForExecutions(wf.id, executionsBefore + 1, 60000);
	const ex = executions.find((e: any) =>
		JSON.stringify(e.data?.resultData?.runData?.[TRIGGER] ?? '').includes(d.event.id),
	);
	must(
		ex,
		`no execution of workflow ${wf.id} carries the delivered event ${d.event.id}; executions: ${executions.map((e: any) => `${e.id}:${e.status}`).join(', ')}`,
	);
	must(
		ex.status === 'success',
		`the execution for event ${d.event.id} ended "${ex.status}"; see the execution in n8n or ${n8n.logFile}`,
	);
	return d;
}

beforeAll(async () => {
	fake = await fakeUplift.start({ apiKey: API_KEY });
	registry = await startRegistry({ name: 'registry', localPackages: [PROBE] });
	token = await registry.addUser('e2e-publisher', 'pw-' + randomUUID());
	({ tarball } = await buildAndPack());
	await registry.publish(tarball, token);
	const doc = await registry.packument(PACKAGE_NAME);
	must(
		doc && doc.versions && doc.versions[V1],
		`after npm publish, the local registry does not list ${PACKAGE_NAME}@${V1}: ${JSON.stringify(doc && Object.keys(doc.versions || {}))}`,
	);
	timings.registryReady = Date.now() - t0;
}, 600000);

afterAll(async () => {
	for (const n of [ui, docker]) if (n) await n.stop();
	if (fake) await fake.close();
	if (registry) await registry.stop();
	const total = (Date.now() - t0) / 1000;
	process.stderr.write(
		`[registry] run time ${total.toFixed(0)} s (target < 300 s): ${Object.entries(timings)
			.map(([k, v]) => `${k} ${(v / 1000).toFixed(0)} s`)
			.join(', ')}\n`,
	);
});

describe(`n8n ${N8N_VERSION}'s community-package installer with the package from an npm registry`, () => {
	test('(a0) an unlicensed n8n refuses N8N_COMMUNITY_PACKAGES_REGISTRY pointing anywhere but registry.npmjs.org (Enterprise feature)', async () => {
		ui = new N8nInstance({
			name: 'registry-ui',
			version: N8N_VERSION,
			installPackage: false,
			launcher: registry.n8nLauncher(),
			env: { ...registry.n8nEnv(), N8N_COMMUNITY_PACKAGES_REGISTRY: registry.url },
		});
		await ui.start();
		const r = await ui.rest('POST', '/rest/community-packages', { name: PACKAGE_NAME });
		must(
			r.status >= 400,
			`with N8N_COMMUNITY_PACKAGES_REGISTRY=${registry.url} the install was answered ${show(r)}; n8n ${N8N_VERSION} should refuse a custom registry without a licence`,
		);
		expect(r.text).toContain('feat:communityNodes:customRegistry');
		expect(tarballRequests(V1)).toHaveLength(0);
		expect(installedVersion(ui)).toBeNull();
	});

	test('(a) installed through POST /rest/community-packages (Settings > Community Nodes > Install): 4 node types, a signed delivery runs', async () => {
		const ta = Date.now();
		ui.opts.env = registry.n8nEnv(); // the default registry, https://registry.npmjs.org (this verdaccio for this n8n)
		await ui.restart();
		expect((await listPackages(ui)).map((p) => p.packageName)).not.toContain(PACKAGE_NAME);
		const before = await nodeTypeNames(ui);
		must(
			!NODE_TYPES.some((t) => before.includes(t)),
			`n8n knows ${NODE_TYPES.filter((t) => before.includes(t)).join(', ')} before the install: the user folder ${ui.folder} is not fresh`,
		);

		const r = await ui.rest('POST', '/rest/community-packages', { name: PACKAGE_NAME });
		must(
			r.status === 200,
			`n8n's installer answered ${show(r)}. If the message is about the package (metadata, loading), see CommunityPackagesService.installOrUpdatePackage in node_modules/n8n/dist/modules/community-packages/community-packages.service.js; n8n log: ${ui.logFile}; registry log: ${registry.logFile}`,
		);
		const pkg = r.json.data;
		expect(pkg).toMatchObject({ packageName: PACKAGE_NAME, installedVersion: V1 });
		expect(pkg.installedNodes.map((n: any) => n.type).sort()).toEqual([...NODE_TYPES].sort());

		// it came from the registry, under the name registry.npmjs.org, fetched by npm
		const fetched = tarballRequests(V1);
		must(
			fetched.length >= 1,
			`verdaccio never served ${PACKAGE_NAME}-${V1}.tgz; requests it saw: ${JSON.stringify(registry.requests.slice(-20))}`,
		);
		expect(fetched[0].host).toBe(REGISTRY_HOST);
		expect(fetched[0].ua).toMatch(/^npm\//);
		// what n8n unpacked is what we built
		expect(installedVersion(ui)).toBe(V1);
		for (const rel of [
			'dist/nodes/UpliftTrigger/UpliftTrigger.node.js',
			'dist/credentials/UpliftApi.credentials.js',
		])
			expect(`${rel} ${sha256(path.join(installedDir(ui), rel))}`).toBe(
				`${rel} ${sha256(path.join(REPO_ROOT, rel))}`,
			);
		const installed = JSON.parse(
			fs.readFileSync(path.join(ui.folder, '.n8n', 'nodes', 'package.json'), 'utf8'),
		);
		expect(installed.dependencies[PACKAGE_NAME]).toBe(V1);

		const after = await nodeTypeNames(ui);
		must(
			NODE_TYPES.every((t) => after.includes(t)),
			`after the install n8n's node types lack ${NODE_TYPES.filter((t) => !after.includes(t)).join(', ')} (n8n log ${ui.logFile})`,
		);
		const creds = await ui.rest('GET', '/types/credentials.json');
		expect(creds.json.map((c: any) => c.name)).toEqual(
			expect.arrayContaining(['upliftApi', 'uphanceApi']),
		);

		upgrade.wf = await upliftWorkflow(ui);
		upgrade.first = await deliverAndExpectRun(ui, upgrade.wf, 0);
		timings.installViaUi = Date.now() - ta;
	});

	test('(a2) another community package installed next to it through the same endpoint installs and loads', async () => {
		must(installedVersion(ui) === V1, 'test (a) did not install the package');
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-registry-probe-'));
		try {
			writeProbePackage(dir);
			await registry.publish(dir, token);
		} finally {
			fs.rmSync(dir, { recursive: true, force: true });
		}
		const r = await ui.rest('POST', '/rest/community-packages', { name: PROBE });
		must(
			r.status === 200,
			`with ${PACKAGE_NAME} installed, installing another package (${PROBE}) was answered ${show(r)}. ` +
				'If n8n answered "Class could not be found": after installing a package n8n re-creates the node classes of every package ' +
				"already loaded (postProcessLoaders after releaseTypes), and this package's Uplift node throws a TypeError when created a " +
				"second time in one process: LoadNodesAndCredentials.injectCustomApiCallOptions had pushed 'Custom API Call' into its " +
				'Resource options, which are the module-level RESOURCES array (nodes/shared/operations.ts actionProperties: `options: resources`), ' +
				`so actionProperties meets a resource without operations (ops[0].value). n8n log: ${ui.logFile}`,
		);
		expect(r.json.data.installedNodes.map((n: any) => n.type)).toEqual([`${PROBE}.registryProbe`]);
		const types = await nodeTypeNames(ui);
		must(
			[...NODE_TYPES, `${PROBE}.registryProbe`].every((t) => types.includes(t)),
			`after installing ${PROBE}, n8n's node types lack some of ${NODE_TYPES.join(', ')}, ${PROBE}.registryProbe`,
		);
	});

	test('(b) a newer version published, updated through PATCH /rest/community-packages: new version installed, the duplicate memory survives', async () => {
		must(upgrade.wf && upgrade.first, 'test (a) did not get as far as a delivered workflow');
		const tb = Date.now();
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-registry-v2-'));
		try {
			await run('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1']);
			const pjPath = path.join(dir, 'package.json');
			fs.writeFileSync(
				pjPath,
				JSON.stringify({ ...JSON.parse(fs.readFileSync(pjPath, 'utf8')), version: V2 }, null, 2) +
					'\n',
			);
			await registry.publish(dir, token);
		} finally {
			fs.rmSync(dir, { recursive: true, force: true });
		}

		// the list's update check (`npm outdated` in .n8n/nodes) sees the new version
		const listed = (await listPackages(ui)).find((p) => p.packageName === PACKAGE_NAME);
		expect(listed).toMatchObject({
			installedVersion: V1,
			updateAvailable: V2,
			failedLoading: false,
		});

		const r = await ui.rest('PATCH', '/rest/community-packages', {
			name: PACKAGE_NAME,
			version: V2,
		});
		must(
			r.status === 200,
			`n8n's update endpoint answered ${show(r)} (n8n log ${ui.logFile}; registry log ${registry.logFile})`,
		);
		expect(r.json.data).toMatchObject({ packageName: PACKAGE_NAME, installedVersion: V2 });
		expect(r.json.data.installedNodes.map((n: any) => n.type).sort()).toEqual(
			[...NODE_TYPES].sort(),
		);
		expect(tarballRequests(V2).length).toBeGreaterThanOrEqual(1);
		expect(installedVersion(ui)).toBe(V2);
		const after = (await listPackages(ui)).find((p) => p.packageName === PACKAGE_NAME);
		expect(after).toMatchObject({ installedVersion: V2, failedLoading: false });
		expect(after.updateAvailable).toBeUndefined();
		const backups = fs
			.readdirSync(path.dirname(installedDir(ui)))
			.filter((f) => f.startsWith(`${PACKAGE_NAME}.backup-`));
		expect(backups).toEqual([]);

		// the same delivery again (same body, same signature): answered, no new execution
		const again = await post(upgrade.wf.url, upgrade.first.body, upgrade.first.headers);
		must(
			again.status >= 200 && again.status < 300,
			`redelivering the first delivery after the update was answered ${show(again)}; expected 2xx (duplicate). If 404, the update left the workflow's webhook unregistered (n8n log ${ui.logFile})`,
		);
		expect(again.json).toMatchObject({ duplicate: true });
		await ui.waitForExecutions(upgrade.wf.id, 1, 30000);
		// and a new delivery runs, with the updated package
		await deliverAndExpectRun(ui, upgrade.wf, 1);
		timings.updateViaUi = Date.now() - tb;
	});

	test('(c) N8N_COMMUNITY_PACKAGES (the Docker path) installs it at start-up; the UI is read-only; a signed delivery runs; lost files come back with N8N_REINSTALL_MISSING_PACKAGES', async () => {
		const tc = Date.now();
		const envList = JSON.stringify([{ name: PACKAGE_NAME, version: V2 }]);
		docker = new N8nInstance({
			name: 'registry-docker',
			version: N8N_VERSION,
			installPackage: false,
			launcher: registry.n8nLauncher(),
			env: {
				...registry.n8nEnv(),
				N8N_COMMUNITY_PACKAGES_MANAGED_BY_ENV: 'true',
				N8N_COMMUNITY_PACKAGES: envList,
			},
		});
		const requestsBefore = tarballRequests(V2).length;
		await startExplained(docker);
		const boot = logSince(docker, '===== n8n ');
		must(
			boot.includes(`Installed community package '${PACKAGE_NAME}@${V2}' from env`),
			`n8n did not log installing the package from N8N_COMMUNITY_PACKAGES=${envList}; its start-up log:\n${docker.logTail(40)}`,
		);
		expect(tarballRequests(V2).length).toBeGreaterThan(requestsBefore);
		expect(installedVersion(docker)).toBe(V2);
		expect((await listPackages(docker)).find((p) => p.packageName === PACKAGE_NAME)).toMatchObject({
			installedVersion: V2,
			failedLoading: false,
		});
		const types = await nodeTypeNames(docker);
		must(
			NODE_TYPES.every((t) => types.includes(t)),
			`after the start-up install n8n's node types lack ${NODE_TYPES.filter((t) => !types.includes(t)).join(', ')}`,
		);

		// managed by env: the UI's install/update are refused
		const refused = await docker.rest('PATCH', '/rest/community-packages', {
			name: PACKAGE_NAME,
			version: V1,
		});
		expect(refused.status).toBe(400);
		expect(refused.text).toContain('managed via environment variables');

		const wf = await upliftWorkflow(docker);
		await deliverAndExpectRun(docker, wf, 0);

		// a redeploy that keeps the database but loses .n8n/nodes (e.g. Postgres and no volume for the
		// user folder): N8N_REINSTALL_MISSING_PACKAGES=true brings the package back at start-up
		await docker.stop();
		fs.rmSync(installedDir(docker), { recursive: true, force: true });
		docker.opts.env = { ...docker.opts.env, N8N_REINSTALL_MISSING_PACKAGES: 'true' };
		await startExplained(docker);
		for (const u of docker.activeWebhookUrls) await docker.waitForWebhook(u, 60000);
		const reboot = logSince(docker, '===== n8n ');
		must(
			reboot.includes('Attempting to reinstall missing packages'),
			`n8n did not notice the missing package files at start-up:\n${docker.logTail(40)}`,
		);
		must(
			reboot.includes('Packages reinstalled successfully'),
			`n8n did not reinstall the missing package:\n${docker.logTail(40)}`,
		);
		expect(installedVersion(docker)).toBe(V2);
		await deliverAndExpectRun(docker, wf, 1);
		timings.dockerPath = Date.now() - tc;
	});

	test('run time: the suite stays under 5 minutes', () => {
		const seconds = (Date.now() - t0) / 1000;
		must(
			seconds < 300,
			`the registry suite took ${seconds.toFixed(0)} s (target < 300 s): ${JSON.stringify(timings)}`,
		);
	});
});
