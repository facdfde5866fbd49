import { parseIp, parseIpAllowlist } from '../../nodes/shared/ipAllowlist';

describe('parseIpAllowlist', () => {
	it('matches single IPv4 addresses, CIDR ranges and their IPv4-mapped IPv6 forms', () => {
		const list = parseIpAllowlist('54.245.28.22, 10.0.0.0/8\n192.168.1.0/24');
		expect(list.allows('54.245.28.22')).toBe(true);
		expect(list.allows('::ffff:54.245.28.22')).toBe(true);
		expect(list.allows('54.245.28.23')).toBe(false);
		expect(list.allows('10.200.3.4')).toBe(true);
		expect(list.allows('11.0.0.1')).toBe(false);
		expect(list.allows('192.168.1.255')).toBe(true);
		expect(list.allows('192.168.2.1')).toBe(false);
	});

	it('matches IPv6 ranges, compressed forms and zone ids', () => {
		const list = parseIpAllowlist('2001:db8::/32 ::1');
		expect(list.allows('2001:db8:0:1::5')).toBe(true);
		expect(list.allows('2001:0db8:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(true);
		expect(list.allows('2001:db9::1')).toBe(false);
		expect(list.allows('::1')).toBe(true);
		expect(list.allows('fe80::1%eth0')).toBe(false);
	});

	it('allows everyone when empty and no one with an unknown address otherwise', () => {
		expect(parseIpAllowlist('').allows(undefined)).toBe(true);
		expect(parseIpAllowlist('1.2.3.4').allows(undefined)).toBe(false);
		expect(parseIpAllowlist('1.2.3.4').allows('not an ip')).toBe(false);
	});

	it('handles /0 and /32 boundaries', () => {
		expect(parseIpAllowlist('0.0.0.0/0').allows('203.0.113.9')).toBe(true);
		expect(parseIpAllowlist('0.0.0.0/0').allows('2001:db8::1')).toBe(false);
		expect(parseIpAllowlist('203.0.113.9/32').allows('203.0.113.9')).toBe(true);
	});

	it.each(['300.1.1.1', '10.0.0.0/33', '2001:db8::/129', '1.2.3', 'example.com', '1::2::3', '10.0.0.0/8/8'])(
		'names the entry it cannot read: %s',
		(entry) => {
			expect(() => parseIpAllowlist(`1.1.1.1, ${entry}`)).toThrow(entry);
		},
	);

	it('parses IPv6 with an embedded IPv4 tail', () => {
		expect(parseIp('::ffff:1.2.3.4')).toBe(parseIp('1.2.3.4'));
		expect(parseIp('64:ff9b::1.2.3.4')).toBe(BigInt('0x0064ff9b000000000000000001020304'));
	});
});
