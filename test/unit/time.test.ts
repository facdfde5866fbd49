/**
 * Vendor times and Backfill From are read one way on every process (nodes/shared/time.ts): a time
 * without a zone is UTC. The unit suite runs in a process whose zone is Asia/Tokyo (jest.config.js),
 * where `Date.parse` alone would read it 9 hours earlier; the first test checks that it does.
 */

import { catchUpSettingsOf } from '../../nodes/shared/catchUp/description';
import { isoToTheSecond, parseVendorTime } from '../../nodes/shared/time';
import { toIsoTime } from '../../nodes/UpliftTrigger/upliftEvent';
import { uphanceChangeKey } from '../../nodes/UphanceTrigger/uphanceEvent';

describe('in a process whose zone is Asia/Tokyo', () => {
	it('the process really is in that zone (Date.parse reads a zone-less time as local)', () => {
		expect(Date.parse('2026-03-01T12:00:00')).toBe(Date.parse('2026-03-01T03:00:00Z'));
	});

	it('a vendor time without a zone is UTC', () => {
		expect(parseVendorTime('2026-03-01T12:00:00')).toBe(Date.parse('2026-03-01T12:00:00Z'));
		expect(parseVendorTime('2026-03-01 12:00:00.250')).toBe(Date.parse('2026-03-01T12:00:00.250Z'));
		expect(parseVendorTime('2026-03-01')).toBe(Date.parse('2026-03-01T00:00:00Z'));
		expect(toIsoTime('2026-03-01T12:00:00')).toBe('2026-03-01T12:00:00.000Z');
		expect(uphanceChangeKey('invoice', 1, '2026-03-01T12:00:00')).toBe('uphance:invoice:1:2026-03-01T12:00:00.000Z');
	});

	it('a time with Z or an offset means what it says', () => {
		expect(parseVendorTime('2026-03-01T12:00:00Z')).toBe(Date.parse('2026-03-01T12:00:00Z'));
		expect(parseVendorTime('2026-03-01T13:00:00+01:00')).toBe(Date.parse('2026-03-01T12:00:00Z'));
		expect(parseVendorTime('2026-03-01T07:00:00-0500')).toBe(Date.parse('2026-03-01T12:00:00Z'));
		expect(parseVendorTime('2026-03-01T14:00:00+02')).toBe(Date.parse('2026-03-01T12:00:00Z'));
	});

	it('anything else is not a time', () => {
		for (const value of ['', 'yesterday', '12:00', 1_700_000_000, null, undefined, '2026-13-45T99:00:00Z'])
			expect(parseVendorTime(value)).toBeUndefined();
	});

	it('Backfill From without a zone is UTC; with an offset, that offset', () => {
		expect(catchUpSettingsOf({ backfillFrom: '2026-03-01T00:00:00' }).backfillFromMs).toBe(Date.parse('2026-03-01T00:00:00Z'));
		expect(catchUpSettingsOf({ backfillFrom: '2026-03-01T09:00:00.000+09:00' }).backfillFromMs).toBe(Date.parse('2026-03-01T00:00:00Z'));
		expect(catchUpSettingsOf({ backfillFrom: '' }).backfillFromMs).toBeUndefined();
	});

	it('isoToTheSecond drops the milliseconds', () => {
		expect(isoToTheSecond(Date.parse('2026-03-01T12:00:00.999Z'))).toBe('2026-03-01T12:00:00.000Z');
	});
});
