'use strict';
/**
 * A real headless Chromium (Debian's package, /usr/bin/chromium) driven by puppeteer-core, and
 * helpers for n8n's editor (2.40.x) used by test/e2e-editor.
 *
 *   const { launchBrowser, N8nEditor } = require('../support/browser');
 *   const browser = await launchBrowser();                 // installs chromium with apt-get when missing
 *   const editor = await N8nEditor.open(browser, n8n.baseUrl);
 *   await editor.signIn(n8n.owner);
 *   await editor.waitForText('Build a workflow');
 *   await editor.screenshot('docs/images/x.png', '[data-test-id="ndv"]');
 *   await closeBrowser(browser);
 *
 * Selectors are n8n's own data-test-id attributes (found in the n8n-editor-ui bundle) and visible
 * texts; every wait throws an error that says what was expected and what the page shows instead.
 * Environment: CHROMIUM_PATH (another Chromium/Chrome binary), EDITOR_HEADFUL=1 (show the window,
 * needs a display), EDITOR_SLOWMO=<ms>.
 */
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const DEFAULT_CHROMIUM = '/usr/bin/chromium';
const VIEWPORT = { width: 1280, height: 800 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function isExecutable(file) {
	try {
		fs.accessSync(file, fs.constants.X_OK);
		return fs.statSync(file).isFile();
	} catch {
		return false;
	}
}

function findChromium() {
	if (process.env.CHROMIUM_PATH) {
		if (!isExecutable(process.env.CHROMIUM_PATH)) throw new Error(`CHROMIUM_PATH=${process.env.CHROMIUM_PATH} is not an executable file.`);
		return process.env.CHROMIUM_PATH;
	}
	return isExecutable(DEFAULT_CHROMIUM) ? DEFAULT_CHROMIUM : null;
}

function aptGet(args) {
	const r = spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', ...args], {
		env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
		encoding: 'utf8',
		maxBuffer: 64 * 1024 * 1024,
	});
	return { ok: r.status === 0, output: `${r.stdout || ''}${r.stderr || ''}${r.error ? String(r.error) : ''}` };
}

/**
 * The Chromium binary to drive: CHROMIUM_PATH, else /usr/bin/chromium, installed with
 * `apt-get install -y chromium` when missing. Throws (never skips) when it cannot be had.
 */
function ensureChromium({ log = (m) => process.stderr.write(`[browser] ${m}\n`) } = {}) {
	const found = findChromium();
	if (found) return found;
	const howTo = 'Install Debian\'s Chromium (`apt-get install -y chromium`, as root) or set CHROMIUM_PATH to a Chromium binary, then run the editor tests again.';
	if (spawnSync('apt-get', ['--version']).status !== 0) throw new Error(`${DEFAULT_CHROMIUM} is missing and apt-get is not available on this machine. ${howTo}`);
	if (typeof process.getuid === 'function' && process.getuid() !== 0)
		throw new Error(`${DEFAULT_CHROMIUM} is missing and installing it needs root (this process runs as uid ${process.getuid()}). ${howTo}`);
	log(`${DEFAULT_CHROMIUM} is missing: apt-get install -y chromium (a few minutes the first time)`);
	let r = aptGet(['install', '-y', 'chromium']);
	if (!r.ok) {
		log('apt-get install failed; apt-get update, then installing again');
		const u = aptGet(['update']);
		r = aptGet(['install', '-y', 'chromium']);
		if (!r.ok) r.output = `${u.output}\n${r.output}`;
	}
	const after = findChromium();
	if (!after) throw new Error(`Could not install Chromium: apt-get install -y chromium ${r.ok ? `succeeded but ${DEFAULT_CHROMIUM} is still missing` : 'failed'}:\n${r.output.slice(-3000)}\n${howTo}`);
	log(`installed ${after}`);
	return after;
}

/** Launches headless Chromium (1280x800 unless told otherwise). */
async function launchBrowser({ viewport = VIEWPORT } = {}) {
	const executablePath = ensureChromium();
	const puppeteer = require('puppeteer-core');
	const headful = process.env.EDITOR_HEADFUL === '1';
	try {
		return await puppeteer.launch({
			executablePath,
			headless: !headful,
			slowMo: Number(process.env.EDITOR_SLOWMO || 0),
			defaultViewport: viewport,
			timeout: 60000,
			args: [
				'--no-sandbox', // we run as root in CI
				'--disable-dev-shm-usage',
				'--disable-gpu',
				'--no-first-run',
				'--no-default-browser-check',
				'--lang=en-US',
				`--window-size=${viewport.width},${viewport.height}`,
			],
			env: { ...process.env, LANG: 'en_US.UTF-8' },
		});
	} catch (e) {
		throw new Error(`Chromium (${executablePath}) did not start: ${e.message}`);
	}
}

async function closeBrowser(browser) {
	if (!browser) return;
	try {
		await browser.close();
	} catch {
		/* already gone */
	}
}

/** Visible text of the first element matching `selector` (whole page when null), whitespace squeezed. */
function textIn(selector) {
	const el = selector ? document.querySelector(selector) : document.body;
	return el ? (el.innerText || el.textContent || '').replace(/\s+/g, ' ').trim() : null;
}

class N8nEditor {
	constructor(page, baseUrl, { artifactsDir } = {}) {
		this.page = page;
		this.baseUrl = baseUrl.replace(/\/+$/, '');
		this.artifactsDir = artifactsDir || null;
		this.consoleErrors = [];
		page.on('pageerror', (e) => this.consoleErrors.push(String(e && e.message ? e.message : e)));
		page.setDefaultTimeout(20000);
		// a "leave this page?" prompt must not block a navigation of the test
		page.on('dialog', (d) => d.accept().catch(() => {}));
	}

	/** A new tab on `baseUrl`. */
	static async open(browser, baseUrl, opts) {
		const page = await browser.newPage();
		return new N8nEditor(page, baseUrl, opts);
	}

	// ---------- generic ----------

	async goto(p) {
		await this.page.goto(`${this.baseUrl}${p}`, { waitUntil: 'networkidle2', timeout: 60000 });
	}

	url() {
		return this.page.url();
	}

	/** Whitespace-squeezed visible text of `selector` (the page when omitted); null when absent. */
	text(selector = null) {
		return this.page.evaluate(textIn, selector);
	}

	async exists(selector) {
		return (await this.page.$(selector)) !== null;
	}

	async isVisible(selector) {
		return this.page.evaluate((s) => [...document.querySelectorAll(s)].some((e) => e.checkVisibility()), selector);
	}

	/** Waits until `selector` is visible; the error shows what the page shows instead. */
	async waitFor(selector, { timeout = 20000, what } = {}) {
		try {
			return await this.page.waitForSelector(selector, { visible: true, timeout });
		} catch {
			throw new Error(`${what || selector} did not appear within ${timeout} ms on ${this.url()}. The page shows: "${String(await this.text()).slice(0, 800)}"`);
		}
	}

	async waitForGone(selector, { timeout = 20000, what } = {}) {
		try {
			await this.page.waitForFunction((s) => ![...document.querySelectorAll(s)].some((e) => e.checkVisibility()), { timeout, polling: 100 }, selector);
		} catch {
			throw new Error(`${what || selector} was still visible after ${timeout} ms on ${this.url()}.`);
		}
	}

	/**
	 * Waits until the visible text of `within` (default: the page) contains `expected` (a string, or a
	 * RegExp tested against the whitespace-squeezed text). Resolves to that text.
	 */
	async waitForText(expected, { within = null, timeout = 20000 } = {}) {
		const isRe = expected instanceof RegExp;
		const src = isRe ? expected.source : expected;
		const flags = isRe ? expected.flags : '';
		try {
			await this.page.waitForFunction(
				(sel, s, f, re) => {
					const el = sel ? document.querySelector(sel) : document.body;
					if (!el) return false;
					const t = (el.innerText || el.textContent || '').replace(/\s+/g, ' ');
					return re ? new RegExp(s, f).test(t) : t.includes(s);
				},
				{ timeout, polling: 150 },
				within,
				src,
				flags,
				isRe,
			);
		} catch {
			const shown = await this.text(within);
			throw new Error(
				`Expected ${isRe ? expected : JSON.stringify(expected)} in ${within || 'the page'} within ${timeout} ms on ${this.url()}, but it shows: ${shown === null ? '(element absent)' : JSON.stringify(shown.slice(0, 1200))}`,
			);
		}
		return this.text(within);
	}

	/** Clicks the innermost visible element (inside `within`) whose own text is exactly `text`. */
	async clickText(text, { within = 'body', timeout = 20000 } = {}) {
		const handle = await this.page
			.waitForFunction(
				(w, t) => {
					const root = document.querySelector(w);
					if (!root) return null;
					const all = [...root.querySelectorAll('*')].filter((e) => e.checkVisibility() && (e.innerText || '').trim() === t);
					return all.find((e) => ![...e.children].some((c) => (c.innerText || '').trim() === t)) || null;
				},
				{ timeout, polling: 150 },
				within,
				text,
			)
			.catch(async () => {
				throw new Error(`No visible element with the text ${JSON.stringify(text)} in ${within} within ${timeout} ms. It shows: ${JSON.stringify(String(await this.text(within)).slice(0, 800))}`);
			});
		await handle.asElement().click();
	}

	/** Clears an input and types `value` into it, then leaves the field and lets n8n take the value. */
	async fill(selector, value) {
		const input = await this.waitFor(selector);
		await input.click({ clickCount: 3 });
		await this.page.keyboard.down('Control');
		await this.page.keyboard.press('KeyA');
		await this.page.keyboard.up('Control');
		await this.page.keyboard.press('Backspace');
		await input.type(value);
		await this.page.keyboard.press('Tab');
		// n8n takes a parameter's value a moment after the last keystroke: a click on Save right after
		// typing stores what it had then (seen: 's' of 'sek').
		await sleep(700);
		const got = await input.evaluate((e) => e.value);
		if (got !== value) throw new Error(`Typed ${JSON.stringify(value)} into ${selector} but it holds ${JSON.stringify(got)}`);
	}

	/**
	 * PNG screenshot of the element `target` (selector or handle; the viewport when null) to `file`.
	 * Returns the file's size in bytes.
	 */
	async screenshot(file, target = null, { padding = 0 } = {}) {
		fs.mkdirSync(path.dirname(file), { recursive: true });
		let clip;
		if (target) {
			const el = typeof target === 'string' ? await this.waitFor(target) : target;
			const box = await el.boundingBox();
			if (!box) throw new Error(`cannot screenshot ${target}: it has no box`);
			const x = Math.max(0, Math.floor(box.x - padding));
			const y = Math.max(0, Math.floor(box.y - padding));
			const vp = this.page.viewport() || VIEWPORT;
			clip = { x, y, width: Math.min(vp.width - x, Math.ceil(box.width + 2 * padding)), height: Math.min(vp.height - y, Math.ceil(box.height + 2 * padding)) };
		}
		await this.page.screenshot({ path: file, type: 'png', ...(clip ? { clip } : {}) });
		return fs.statSync(file).size;
	}

	/** PNG screenshot of the smallest box holding every visible element matching `selectors`. Resolves to the size in bytes. */
	async screenshotUnion(file, selectors, { padding = 8, maxHeight = Infinity } = {}) {
		const box = await this.page.evaluate((sels) => {
			const boxes = sels
				.flatMap((s) => [...document.querySelectorAll(s)])
				.filter((e) => e.checkVisibility())
				.map((e) => e.getBoundingClientRect());
			if (!boxes.length) return null;
			const x = Math.min(...boxes.map((b) => b.left));
			const y = Math.min(...boxes.map((b) => b.top));
			return { x, y, width: Math.max(...boxes.map((b) => b.right)) - x, height: Math.max(...boxes.map((b) => b.bottom)) - y };
		}, selectors);
		if (!box) throw new Error(`cannot screenshot ${selectors.join(' + ')}: nothing visible`);
		const vp = this.page.viewport() || VIEWPORT;
		const x = Math.max(0, Math.floor(box.x - padding));
		const y = Math.max(0, Math.floor(box.y - padding));
		const clip = { x, y, width: Math.min(vp.width - x, Math.ceil(box.width + 2 * padding)), height: Math.min(vp.height - y, maxHeight, Math.ceil(box.height + 2 * padding)) };
		fs.mkdirSync(path.dirname(file), { recursive: true });
		await this.page.screenshot({ path: file, type: 'png', clip });
		return fs.statSync(file).size;
	}

	/** On a failed step: a screenshot and the page's text in artifactsDir (for CI logs). */
	async saveFailureArtifacts(name) {
		if (!this.artifactsDir) return null;
		const base = path.join(this.artifactsDir, `failure-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 80)}`);
		try {
			fs.mkdirSync(this.artifactsDir, { recursive: true });
			await this.page.screenshot({ path: `${base}.png` });
			fs.writeFileSync(`${base}.txt`, `${this.url()}\n\n${await this.text()}\n\npage errors:\n${this.consoleErrors.join('\n')}\n`);
			return `${base}.png`;
		} catch {
			return null;
		}
	}

	/**
	 * Records, from now on, every credential test banner and toast that becomes visible (n8n closes the
	 * credential modal right after a successful test when it was opened from a node, so the banner is
	 * only on screen for a moment). `recorded()` returns `[{ kind: 'success'|'error'|'toast', text }]`.
	 */
	async startRecording() {
		await this.page.evaluate(() => {
			// what is on screen already (e.g. the last test's banner) counts as seen before, not recorded
			if (window.__e2eObserver) window.__e2eObserver.disconnect();
			window.__e2eSeen = [];
			const seen = new Set();
			const squeeze = (e) => (e.innerText || '').replace(/\s+/g, ' ').trim();
			const scan = () => {
				const found = [];
				for (const e of document.querySelectorAll('[data-test-id="credential-edit-dialog"] .el-tag')) {
					if (!e.checkVisibility()) continue;
					const kind = e.closest('[data-test-id="credentials-config-container-test-success"]') || e.matches('[data-test-id="credentials-config-container-test-success"]') || e.className.includes('success') ? 'success' : e.className.includes('danger') ? 'error' : 'other';
					found.push({ kind, text: squeeze(e) });
				}
				for (const e of document.querySelectorAll('.el-notification')) if (e.checkVisibility()) found.push({ kind: 'toast', text: squeeze(e) });
				for (const f of found) {
					const key = `${f.kind}|${f.text}`;
					if (f.text && !seen.has(key)) {
						seen.add(key);
						window.__e2eSeen.push(f);
					}
				}
			};
			let queued = false;
			window.__e2eObserver = new MutationObserver(() => {
				if (queued) return;
				queued = true;
				queueMicrotask(() => {
					queued = false;
					scan();
				});
			});
			const before = window.__e2eSeen;
			scan();
			before.length = 0;
			window.__e2eObserver.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['style', 'class'] });
		});
	}

	recorded() {
		return this.page.evaluate(() => window.__e2eSeen || []);
	}

	// ---------- n8n: sign-in, workflows ----------

	/** Signs in on /signin with the owner n8n was set up with; resolves to the URL n8n lands on. */
	async signIn({ email, password }) {
		await this.goto('/signin');
		await this.waitFor('[data-test-id="signin-form"], #emailOrLdapLoginId', { what: 'the sign-in form' });
		await this.page.type('#emailOrLdapLoginId', email);
		await this.page.type('#password', password);
		await Promise.all([
			this.page.waitForFunction(() => !location.pathname.startsWith('/signin'), { timeout: 30000 }).catch(async () => {
				throw new Error(`Still on ${this.url()} 30 s after signing in as ${email}. The page shows: ${String(await this.text()).slice(0, 500)}`);
			}),
			this.page.click('[data-test-id="form-submit-button"]'),
		]);
		await this.page.waitForNetworkIdle({ idleTime: 300, timeout: 30000 }).catch(() => {});
		return this.url();
	}

	/** From the workflow list: "Create workflow" (or the empty list's "Build a workflow"). Resolves to the new workflow's id. */
	async createWorkflowFromList() {
		await this.goto('/home/workflows');
		// a list with workflows has "Create workflow"; the empty list a "Build a workflow" card
		const which = await this.page
			.waitForFunction(
				() => {
					const b = document.querySelector('[data-test-id="add-resource-workflow"]');
					if (b && b.checkVisibility()) return 'button';
					return [...document.querySelectorAll('body *')].some((e) => e.children.length === 0 && (e.textContent || '').trim() === 'Build a workflow') ? 'empty' : false;
				},
				{ timeout: 20000, polling: 150 },
			)
			.then((h) => h.jsonValue())
			.catch(async () => {
				throw new Error(`The workflow list offers neither "Create workflow" nor "Build a workflow" (${this.url()}). It shows: ${String(await this.text()).slice(0, 600)}`);
			});
		if (which === 'button') await this.page.click('[data-test-id="add-resource-workflow"]');
		else await this.clickText('Build a workflow');
		await this.page.waitForFunction(() => /^\/workflow\/[^/]+/.test(location.pathname) && !location.pathname.startsWith('/workflow/new'), { timeout: 30000 }).catch(() => {
			throw new Error(`Creating a workflow did not open a saved workflow; the editor is on ${this.url()}`);
		});
		await this.waitFor('[data-test-id="canvas-add-button"]', { what: 'the empty canvas ("Add first step…")' });
		return /\/workflow\/([^/?#]+)/.exec(new URL(this.url()).pathname)[1];
	}

	async openWorkflow(id) {
		await this.goto(`/workflow/${id}`);
		await this.waitFor('[data-test-id="canvas-node"], [data-test-id="canvas-add-button"]', { what: 'the workflow canvas' });
	}

	/** Whitespace-squeezed text of the canvas node named `name` (name and subtitle). */
	async canvasNodeText(name) {
		const sel = `[data-test-id="canvas-node"][data-node-name="${name}"]`;
		await this.waitFor(sel, { what: `the canvas node "${name}"` });
		return this.text(sel);
	}

	async openCanvasNode(name, { within = '' } = {}) {
		const el = await this.waitFor(`${within} [data-test-id="canvas-node"][data-node-name="${name}"]`.trim(), { what: `the canvas node "${name}"` });
		const box = await el.boundingBox();
		await this.page.mouse.click(box.x + box.width / 2, box.y + box.height / 2, { clickCount: 2 });
		await this.waitFor('[data-test-id="ndv"]', { what: `the panel of node "${name}"` });
	}

	// ---------- n8n: node panel (node creator) ----------

	async openNodeCreator() {
		if (!(await this.isVisible('[data-test-id="node-creator-search-bar"]'))) {
			const add = (await this.isVisible('[data-test-id="canvas-add-button"]')) ? '[data-test-id="canvas-add-button"]' : '[data-test-id="node-creator-plus-button"]';
			await this.page.click(add);
		}
		await this.waitFor('[data-test-id="node-creator-search-bar"]', { what: 'the node panel search bar' });
	}

	async closeNodeCreator() {
		for (let i = 0; i < 3 && (await this.isVisible('[data-test-id="node-creator"]')); i++) {
			await this.page.keyboard.press('Escape');
			await sleep(300);
		}
	}

	/**
	 * Types `query` in the node panel's search and resolves to the results, `[{ name, description }]`.
	 * Throws when none is found (with n8n's "no results" text).
	 */
	async searchNodes(query) {
		await this.openNodeCreator();
		const bar = '[data-test-id="node-creator-search-bar"]';
		await this.fillSearch(bar, query);
		try {
			await this.page.waitForFunction(
				() => document.querySelector('[data-test-id="node-creator"] [data-test-id="node-creator-item-name"]') || document.querySelector('[data-test-id="node-creator-no-results"]'),
				{ timeout: 10000, polling: 100 },
			);
		} catch {
			/* reported below */
		}
		await sleep(300); // results settle after the last keystroke
		const items = await this.page.$$eval('[data-test-id="node-creator"] [data-test-id="node-creator-item-name"]', (els) =>
			els.map((e) => {
				const card = e.closest('[data-test-id="item-iterator-item"]') || e.parentElement.parentElement;
				const d = card && card.querySelector('[data-test-id="node-creator-item-description"]');
				return { name: (e.textContent || '').trim(), description: d ? (d.textContent || '').trim() : (card ? card.innerText.replace(e.textContent, '').trim() : '') };
			}),
		);
		if (!items.length)
			throw new Error(`Searching the node panel for ${JSON.stringify(query)} found nothing. The panel shows: ${JSON.stringify(String(await this.text('[data-test-id="node-creator"]')).slice(0, 600))}`);
		return items;
	}

	async fillSearch(selector, value) {
		const input = await this.waitFor(selector);
		// The node panel slides in; until it has, the input has no clickable point. Focusing it needs none.
		await input.evaluate((el) => el.focus());
		await this.page.keyboard.down('Control');
		await this.page.keyboard.press('KeyA');
		await this.page.keyboard.up('Control');
		await this.page.keyboard.press('Backspace');
		await input.type(value);
	}

	/**
	 * Opens the search result named `name` (a node with triggers and actions opens its "Node details"
	 * view) and resolves to `{ triggers: [...], actions: [...] }` (the listed item names), with the
	 * Actions section expanded.
	 */
	async openNodeResult(name) {
		await this.clickText(name, { within: '[data-test-id="node-creator"]' });
		await this.waitForText(/Triggers \(\d+\)/, { within: '[data-test-id="node-creator"]', timeout: 10000 });
		const read = () =>
			this.page.$$eval('[data-test-id="node-creator"] [data-test-id="node-creator-category-item"], [data-test-id="node-creator"] [data-test-id="node-creator-item-name"]', (els) => {
				const out = { triggers: [], actions: [], headers: [] };
				let section = null;
				for (const e of els) {
					const t = (e.textContent || '').trim();
					if (e.getAttribute('data-test-id') === 'node-creator-category-item') {
						out.headers.push(t);
						section = /^Triggers/.test(t) ? 'triggers' : /^Actions/.test(t) ? 'actions' : null;
					} else if (section) out[section].push(t);
				}
				return out;
			});
		let r = await read();
		// The Actions section starts collapsed, below the fold. A pointer click needs a clickable point,
		// which the panel may not offer yet while it renders (seen once in CI: "Node is either not
		// clickable or not an Element"); so the header is scrolled into view and clicked in the page,
		// a few times if the section has not opened.
		for (let attempt = 0; attempt < 5 && !r.actions.length && r.headers.some((h) => /^Actions/.test(h)); attempt++) {
			await this.page.$$eval('[data-test-id="node-creator"] [data-test-id="node-creator-category-item"]', (els) => {
				for (const e of els)
					if (/^Actions/.test((e.textContent || '').trim())) {
						e.scrollIntoView({ block: 'center' });
						e.click();
					}
			});
			await sleep(500 * (attempt + 1));
			r = await read();
		}
		return r;
	}

	// ---------- n8n: node details view (NDV) ----------

	ndvText() {
		return this.text('[data-test-id="ndv"]');
	}

	/** Text of the notices (type 'notice' parameters) in the open node's parameters. */
	ndvNotices() {
		return this.page.$$eval('[data-test-id="node-parameters"] .notice', (els) => els.map((e) => (e.textContent || '').replace(/\s+/g, ' ').trim()));
	}

	/** Expands "Webhook URLs", picks "Production URL" and resolves to the URL shown. */
	async productionWebhookUrl() {
		if (!(await this.isVisible('[data-test-id="ndv"] [data-test-id="radio-button-production"]'))) await this.clickText('Webhook URLs', { within: '[data-test-id="ndv"]' });
		await this.waitFor('[data-test-id="ndv"] [data-test-id="radio-button-production"]', { what: 'the "Production URL" switch of the Webhook URLs section' });
		await this.page.click('[data-test-id="ndv"] [data-test-id="radio-button-production"]');
		await this.waitForText(/https?:\/\/\S+\/webhook\//, { within: '[data-test-id="node-parameters"]', timeout: 5000 });
		return this.page.$eval('[data-test-id="node-parameters"]', (root) => {
			const el = root.querySelector('.webhook-url');
			const t = el ? el.textContent : root.innerText;
			const m = /https?:\/\/\S+/.exec(t);
			return m ? m[0].trim() : null;
		});
	}

	/** The "node version" line of the node's Settings tab, e.g. "Uplift Trigger node version 1.1 (Latest)". */
	async ndvNodeVersion() {
		await this.page.click('[data-test-id="ndv"] [data-test-id="tab-settings"]');
		const el = await this.waitFor('[data-test-id="ndv"] [data-test-id="node-version"]', { what: 'the node version in the Settings tab' });
		const t = await el.evaluate((e) => (e.textContent || '').replace(/\s+/g, ' ').trim());
		await this.page.click('[data-test-id="ndv"] [data-test-id="tab-params"]');
		return t;
	}

	async closeNdv() {
		if (await this.isVisible('[data-test-id="ndv-close-button"]')) await this.page.click('[data-test-id="ndv-close-button"]');
		else await this.page.keyboard.press('Escape');
		await this.waitForGone('[data-test-id="ndv"]', { what: 'the node panel' });
	}

	// ---------- n8n: credential modal ----------

	/** From the open node panel: "Connect to …" / "Create new credential". Resolves to the modal's header text. */
	async openNewCredentialFromNdv() {
		if (await this.isVisible('[data-test-id="ndv"] [data-test-id="node-credentials-empty-state"] button')) {
			await this.page.click('[data-test-id="ndv"] [data-test-id="node-credentials-empty-state"] button');
		} else {
			// A click while the list is still sliding in can land on nothing (seen once in a local CI
			// run: the list open, "Create new credential" shown, no modal after 20 s): tried again, with
			// the list opened again if it closed.
			for (let attempt = 1; ; attempt++) {
				if (!(await this.isVisible('[data-test-id="node-credentials-select-item-new"]')))
					await this.page.click('[data-test-id="ndv"] [data-test-id="node-credentials-select"]');
				await this.waitFor('[data-test-id="node-credentials-select-item-new"]', { what: '"Create new credential" in the credential list' });
				await this.page.click('[data-test-id="node-credentials-select-item-new"]');
				if (attempt === 3) break;
				try {
					await this.page.waitForSelector('[data-test-id="credential-edit-dialog"]', { visible: true, timeout: 5000 });
					break;
				} catch {
					/* not open yet: try again */
				}
			}
		}
		await this.waitFor('[data-test-id="credential-edit-dialog"]', { what: 'the credential modal' });
		return this.credentialModalHeader();
	}

	/** From the open node panel: the pencil beside the selected credential. */
	async openSelectedCredentialFromNdv() {
		await this.page.click('[data-test-id="ndv"] [data-test-id="credential-edit-button"]');
		await this.waitFor('[data-test-id="credential-edit-dialog"]', { what: 'the credential modal' });
	}

	/** Name and type shown at the top of the credential modal, e.g. "Uphance account Uphance API". */
	credentialModalHeader() {
		return this.page.$eval('[data-test-id="credential-edit-dialog"]', (body) => {
			// the modal's header (name, type, Save) sits beside the body that carries the test id
			const dialog = body.closest('.el-dialog, [role="dialog"]');
			const header = dialog && dialog.querySelector('.el-dialog__header, header');
			const text = header ? header.innerText : dialog ? dialog.innerText.replace(body.innerText, '') : '';
			return text.replace(/\s+/g, ' ').trim().slice(0, 300);
		});
	}

	/** The whole credential modal (header with name and type, and body), for a screenshot. */
	async credentialModal() {
		const h = await this.page.evaluateHandle(() => {
			const body = document.querySelector('[data-test-id="credential-edit-dialog"]');
			return body && (body.closest('.el-dialog, [role="dialog"]') || body);
		});
		if (!h.asElement()) throw new Error('the credential modal is not open');
		return h.asElement();
	}

	/** Labels of the fields in the credential modal's Connection tab, by parameter name. */
	credentialFieldLabels() {
		return this.page.$$eval('[data-test-id="credential-edit-dialog"] [data-test-id]', (els) => {
			const out = {};
			for (const e of els) {
				const name = e.getAttribute('data-test-id');
				if (name.includes('-') || !e.querySelector('input, textarea')) continue;
				const title = e.querySelector('label [class*="title"]') || e.querySelector('label');
				if (title) out[name] = (title.textContent || '').replace(/\s+/g, ' ').replace(/\s*\*\s*$/, '').trim();
			}
			return out;
		});
	}

	fillCredentialField(parameterName, value) {
		return this.fill(`[data-test-id="credential-edit-dialog"] [data-test-id="${parameterName}"] input`, value);
	}

	/**
	 * Clicks Save and waits for n8n's connection test (or the modal closing, for a credential without
	 * a test). Resolves to what the user was shown: `{ closed, success, error, toasts, seen }` where
	 * success/error are banner texts (error with its "More details" text) and `seen` everything
	 * recorded since the click.
	 */
	async saveCredential({ timeout = 30000 } = {}) {
		await this.startRecording();
		const tested = this.page
			.waitForResponse((r) => r.request().method() === 'POST' && /\/rest\/credentials\/test(\?|$)/.test(r.url()), { timeout })
			.then(() => 'tested')
			.catch(() => 'no-test');
		const closed = this.page
			.waitForFunction(() => !document.querySelector('[data-test-id="credential-edit-dialog"]') || !document.querySelector('[data-test-id="credential-edit-dialog"]').checkVisibility(), { timeout, polling: 100 })
			.then(() => 'closed')
			.catch(() => 'open');
		await this.page.click('[data-test-id="credential-save-button"]');
		const first = await Promise.race([tested, closed]);
		if (first === 'tested') await Promise.race([closed, sleep(1500)]);
		await sleep(300);
		return this.credentialResult();
	}

	/** The credential modal's visible test banner (error details expanded) plus what was recorded. */
	async credentialResult() {
		const open = await this.isVisible('[data-test-id="credential-edit-dialog"]');
		if (open) {
			const more = await this.page.$('[data-test-id="credential-edit-dialog"] ::-p-text(More details)');
			if (more && (await more.evaluate((e) => e.checkVisibility()))) {
				await more.click();
				await sleep(300);
			}
		}
		const banners = open
			? await this.page.$$eval('[data-test-id="credential-edit-dialog"] .el-tag', (els) =>
					els.filter((e) => e.checkVisibility()).map((e) => ({ cls: e.className, text: (e.innerText || '').replace(/\s+/g, ' ').trim() })),
				)
			: [];
		const seen = await this.recorded();
		const success = banners.find((b) => /success/.test(b.cls))?.text || seen.filter((s) => s.kind === 'success').map((s) => s.text).pop() || null;
		const error = banners.find((b) => /danger/.test(b.cls))?.text || null;
		const toasts = seen.filter((s) => s.kind === 'toast').map((s) => s.text);
		return { closed: !open, success, error, toasts, seen };
	}

	async closeCredentialModal() {
		if (!(await this.isVisible('[data-test-id="credential-edit-dialog"]'))) return;
		const close = await this.page.evaluateHandle(() => {
			const dialog = document.querySelector('[data-test-id="credential-edit-dialog"]').closest('.el-dialog, [role="dialog"]');
			return dialog && dialog.querySelector('.el-dialog__headerbtn, button[aria-label="Close this dialog"], button[aria-label="Close"]');
		});
		if (close.asElement()) await close.asElement().click();
		else await this.page.keyboard.press('Escape');
		await this.waitForGone('[data-test-id="credential-edit-dialog"]', { what: 'the credential modal' });
	}

	// ---------- n8n: publishing ----------

	/**
	 * Publish (activate) the open workflow from its header and wait for the outcome. n8n 2.40 shows
	 * "Workflow published" at once, the header button says "Publishing…" while the triggers are set
	 * up, and only then an error toast ("Workflow could not be activated") if that failed; so this
	 * dismisses the dialog and waits until the button says "Published" for `settleMs`, or an error
	 * toast shows. Resolves to `{ published: bool, button, toasts: [texts], dialog }`.
	 */
	async publish({ settleMs = 3000, timeout = 45000 } = {}) {
		await this.startRecording();
		await this.page.click('[data-test-id="workflow-open-publish-modal-button"]');
		await this.waitFor('[data-test-id="workflow-publish-button"]', { what: 'the Publish button of the publish dialog' });
		await this.page.click('[data-test-id="workflow-publish-button"]');
		const failure = /could not|problem|error|failed/i;
		const deadline = Date.now() + timeout;
		let dialog = null;
		let sawPublishing = false;
		let failedAt = null;
		let publishedAt = null;
		let backToPublishAt = null;
		for (;;) {
			const gotIt = await this.page.$('::-p-xpath(//button[normalize-space(.)="Got it"])');
			if (gotIt && (await gotIt.evaluate((e) => e.checkVisibility()))) {
				dialog = await gotIt.evaluate((b) => (b.closest('[role="dialog"], .el-dialog') || b.parentElement).innerText.replace(/\s+/g, ' ').trim());
				await gotIt.click();
			}
			const seen = await this.recorded();
			const button = ((await this.text('[data-test-id="workflow-open-publish-modal-button"]')) || '').trim();
			if (/^Publishing/.test(button)) sawPublishing = true;
			const now = Date.now();
			if (seen.some((s) => s.kind === 'toast' && failure.test(s.text))) failedAt = failedAt || now;
			publishedAt = /^Published/.test(button) ? publishedAt || now : null;
			// back to "Publish" after "Publishing…": the triggers failed; the toast follows
			backToPublishAt = sawPublishing && /^Publish$/.test(button) ? backToPublishAt || now : null;
			if (failedAt && now - failedAt > 500) break;
			if (publishedAt && now - publishedAt > settleMs) break;
			if (backToPublishAt && now - backToPublishAt > 5000) break;
			if (now > deadline) break;
			await sleep(250);
		}
		const toasts = (await this.recorded()).filter((s) => s.kind === 'toast').map((s) => s.text);
		const button = ((await this.text('[data-test-id="workflow-open-publish-modal-button"]')) || '').trim();
		const failed = toasts.some((t) => failure.test(t));
		return { published: /^Published/.test(button) && !failed, button, toasts, dialog };
	}

	// ---------- n8n: executions ----------

	/** Opens the workflow's Executions tab; resolves to the id of the execution n8n shows (the newest). */
	async openLatestExecution(workflowId) {
		await this.goto(`/workflow/${workflowId}/executions`);
		await this.page.waitForFunction(() => /\/executions\/[^/]+$/.test(location.pathname), { timeout: 20000 }).catch(async () => {
			throw new Error(`The Executions tab of workflow ${workflowId} opened no execution (${this.url()}). It shows: ${String(await this.text()).slice(0, 600)}`);
		});
		await this.waitFor('[data-test-id="execution-preview-host"] [data-test-id="canvas-node"], [data-test-id="canvas-node"]', { what: 'the execution preview canvas' });
		return /\/executions\/([^/?#]+)/.exec(new URL(this.url()).pathname)[1];
	}

	/** In the open node panel's output: switch to Schema/Table/JSON/Binary and resolve to the output's text. */
	async outputAs(mode) {
		const sel = `[data-test-id="ndv"] [data-test-id="ndv-output-panel"] [data-test-id="radio-button-${mode}"], [data-test-id="ndv"] [data-test-id="output-panel"] [data-test-id="radio-button-${mode}"]`;
		await this.waitFor(sel, { what: `the ${mode} view switch of the node output` });
		await this.page.click(sel);
		await sleep(400);
		return this.text('[data-test-id="ndv"] [data-test-id="ndv-data-container"]');
	}

	/** Downloads go to `dir` from now on (Chromium's own downloads, e.g. the Download button). */
	async downloadsTo(dir) {
		fs.mkdirSync(dir, { recursive: true });
		await this.page.browserContext().setDownloadBehavior({ policy: 'allow', downloadPath: dir });
	}
}

/** Resolves to the files (not partial downloads) in `dir` once at least one exists, or [] after `timeoutMs`. */
async function waitForDownload(dir, timeoutMs = 10000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => !f.endsWith('.crdownload')) : [];
		const partial = fs.existsSync(dir) && fs.readdirSync(dir).some((f) => f.endsWith('.crdownload'));
		if (files.length && !partial) return files;
		if (Date.now() > deadline) return files;
		await sleep(150);
	}
}

module.exports = { ensureChromium, findChromium, launchBrowser, closeBrowser, N8nEditor, waitForDownload, VIEWPORT, DEFAULT_CHROMIUM };
