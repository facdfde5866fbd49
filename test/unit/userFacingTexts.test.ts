/**
 * The texts a user reads in the editor: node and credential descriptions, options, notices.
 * Rough edges found by walking the editor (the editor suite, test/e2e-editor) that a description
 * change could bring back.
 */
import type { ICredentialType, INodeProperties, INodeType } from 'n8n-workflow';

import { UphanceApi } from '../../credentials/UphanceApi.credentials';
import { UpliftApi } from '../../credentials/UpliftApi.credentials';
import { UpliftWebhookApi } from '../../credentials/UpliftWebhookApi.credentials';
import { Uphance } from '../../nodes/Uphance/Uphance.node';
import { UphanceTrigger } from '../../nodes/UphanceTrigger/UphanceTrigger.node';
import { Uplift } from '../../nodes/Uplift/Uplift.node';
import { UpliftTrigger } from '../../nodes/UpliftTrigger/UpliftTrigger.node';

const nodes: INodeType[] = [new UphanceTrigger(), new UpliftTrigger(), new Uphance(), new Uplift()];
const credentials: ICredentialType[] = [new UphanceApi(), new UpliftApi(), new UpliftWebhookApi()];

/** Every string a user can read in a description, with where it is. */
function texts(): Array<[string, string]> {
	const out: Array<[string, string]> = [];
	const walk = (where: string, value: unknown): void => {
		if (typeof value === 'string') out.push([where, value]);
		else if (Array.isArray(value)) value.forEach((v, i) => walk(`${where}[${i}]`, v));
		else if (value && typeof value === 'object')
			for (const [k, v] of Object.entries(value)) if (['displayName', 'name', 'description', 'placeholder', 'hint', 'action', 'subtitle', 'options', 'properties', 'values'].includes(k) || /^\d+$/.test(k)) walk(`${where}.${k}`, v);
	};
	for (const n of nodes) walk(n.description.name, { displayName: n.description.displayName, description: n.description.description, properties: n.description.properties });
	for (const c of credentials) walk(c.name, { displayName: c.displayName, properties: c.properties });
	return out;
}

describe('texts users read in the editor', () => {
	it('are all collected (the checks below read them)', () => {
		const all = texts().map(([, t]) => t);
		expect(all.length).toBeGreaterThan(200);
		expect(all).toEqual(expect.arrayContaining(['Duplicate Memory Size', 'Acknowledge', 'Organisation ID', 'Signing Secret']));
		expect(all.some((t) => /Most deliveries remembered at once/.test(t))).toBe(true);
	});

	it('call the vendor "Uplift", as the node names do (not "Uplift Labs")', () => {
		expect(texts().filter(([, t]) => /Uplift Labs/.test(t))).toEqual([]);
	});

	it('do not talk about bytes or static data', () => {
		expect(texts().filter(([, t]) => /\bbytes?\b|static data/i.test(t))).toEqual([]);
	});

	it('offer no example organisation id that looks like a real default', () => {
		const organisation = new UphanceApi().properties.find((p) => p.name === 'organisationId') as INodeProperties;
		expect(organisation.placeholder).toBeUndefined();
		expect(texts().filter(([, t]) => /9579/.test(t))).toEqual([]);
	});

	it('keep option descriptions short enough for n8n\'s dropdown (Acknowledge was cut off)', () => {
		const acknowledge = new UphanceTrigger().description.properties.find((p) => p.name === 'acknowledge') as INodeProperties;
		for (const option of acknowledge.options as Array<{ name: string; description: string }>) expect([option.name, option.description.length <= 80]).toEqual([option.name, true]);
	});

	it('tell where the Production URL is (the section opens on the Test URL)', () => {
		for (const node of [new UphanceTrigger(), new UpliftTrigger()]) {
			const notice = node.description.properties.find((p) => p.name === 'setupNotice') as INodeProperties;
			expect(notice.displayName).toMatch(/click Webhook URLs at the top of this panel, then Production URL/);
		}
	});
});
