import { parseUpliftEvent, toIsoTime } from '../../nodes/UpliftTrigger/upliftEvent';

const valid = { id: 'e1', object: 'event', type: 'movement.analytics.created', api_version: '01/01/2022', created: 1678231553088, data: { object: { id: 'x' } } };

// Each sample changes one thing about a valid envelope (or is something else entirely).
const samples: unknown[] = [
	valid,
	{ ...valid, extra: { nested: [1, 2] } },
	{ id: 'e', type: 't', data: { object: {} } },
	{ ...valid, created: '2023-03-07T23:25:53Z' },
	{ ...valid, created: null },
	{ ...valid, created: true },
	{ ...valid, id: '' },
	{ ...valid, id: 42 },
	{ ...valid, type: '' },
	{ ...valid, type: undefined },
	{ ...valid, object: 7 },
	{ ...valid, api_version: 2022 },
	{ ...valid, data: null },
	{ ...valid, data: [] },
	{ ...valid, data: { object: [] } },
	{ ...valid, data: { object: null } },
	{ ...valid, data: { object: 'x' } },
	{ ...valid, data: { object: {}, previous_attributes: {} } },
	[],
	null,
	'event',
	42,
];

describe('Uplift envelope (zod schema)', () => {
	// samples 0-3 and 17 are envelopes; every other one breaks a rule
	it.each(samples.map((s, i) => [i, i < 4 || i === 17, s]))('sample %i: accepted %s', (_i, accepted, sample) => {
		const parsed = parseUpliftEvent(sample);
		expect(parsed.ok).toBe(accepted);
		if (!parsed.ok) expect(parsed.refusal).toMatchObject({ status: 400, message: expect.stringMatching(/^The body is not an Uplift event/) });
	});

	it('passes unknown fields through untouched', () => {
		const parsed = parseUpliftEvent({ ...valid, livemode: true });
		expect(parsed.ok && (parsed.value as Record<string, unknown>).livemode).toBe(true);
	});
});

describe('toIsoTime', () => {
	it('reads epoch milliseconds, seconds and ISO strings', () => {
		expect(toIsoTime(1678231553088)).toBe('2023-03-07T23:25:53.088Z');
		expect(toIsoTime(1678231553)).toBe('2023-03-07T23:25:53.000Z');
		expect(toIsoTime('1678231553088')).toBe('2023-03-07T23:25:53.088Z');
		expect(toIsoTime('2023-03-07T23:25:53Z')).toBe('2023-03-07T23:25:53.000Z');
		expect(toIsoTime('not a time')).toBeNull();
		expect(toIsoTime(undefined)).toBeNull();
	});
});
