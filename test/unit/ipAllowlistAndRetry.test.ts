import type { IHttpRequestOptions, IN8nHttpFullResponse } from 'n8n-workflow';

import { parseRetryAfter, requestWithRetry } from '../../nodes/shared/followUpRequest';
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

describe('requestWithRetry', () => {
	const full = (statusCode: number, headers: Record<string, string> = {}, body = 'x'): IN8nHttpFullResponse => ({ statusCode, headers, body });

	function scripted(responses: Array<IN8nHttpFullResponse | Error>) {
		const seen: IHttpRequestOptions[] = [];
		const send = async (options: IHttpRequestOptions) => {
			seen.push(options);
			const next = responses.shift();
			if (!next) throw new Error('no more responses');
			if (next instanceof Error) throw next;
			return next;
		};
		return { send, seen };
	}

	it('honours Retry-After in seconds', async () => {
		const { send } = scripted([full(429, { 'retry-after': '1' }), full(200)]);
		const started = Date.now();
		const result = await requestWithRetry(send, { url: 'http://x' }, { maxRetries: 2, timeoutMs: 1000, baseDelayMs: 10 });
		expect(result).toMatchObject({ ok: true, attempts: 2 });
		expect(Date.now() - started).toBeGreaterThanOrEqual(950);
	});

	it('does not retry a 404 and reports it as not transient', async () => {
		const { send, seen } = scripted([full(404)]);
		const result = await requestWithRetry(send, { url: 'http://x' }, { maxRetries: 3, timeoutMs: 1000 });
		expect(result).toMatchObject({ ok: false, statusCode: 404, transient: false, attempts: 1 });
		expect(seen).toHaveLength(1);
	});

	it('stops at the deadline instead of sleeping past it', async () => {
		// With the clock stopped, a wait of any length never ends: the result must come without one.
		jest.useFakeTimers();
		try {
			const { send, seen } = scripted([full(503, { 'retry-after': '30' }), full(200)]);
			let settled = false;
			const pending = requestWithRetry(send, { url: 'http://x' }, { maxRetries: 3, timeoutMs: 1000, deadlineMs: 2000 }).finally(() => (settled = true));
			await jest.advanceTimersByTimeAsync(0); // runs what is ready now, moves the clock by nothing
			expect(settled).toBe(true);
			expect(jest.getTimerCount()).toBe(0);
			const result = await pending;
			expect(result).toMatchObject({ ok: false, statusCode: 503, transient: true, attempts: 1 });
			expect(seen).toHaveLength(1);
		} finally {
			await jest.runAllTimersAsync();
			jest.useRealTimers();
		}
	});

	it('gives each attempt at most the remaining time', async () => {
		const { send, seen } = scripted([full(200)]);
		await requestWithRetry(send, { url: 'http://x' }, { maxRetries: 0, timeoutMs: 60_000, deadlineMs: 3000 });
		expect(seen[0].timeout).toBeLessThanOrEqual(3000);
		expect(seen[0].returnFullResponse).toBe(true);
	});

	it('reads status and Retry-After from errors thrown by n8n helpers when asked to throw', async () => {
		const thrown = Object.assign(new Error('Request failed'), { httpCode: '429', cause: { response: { status: 429, headers: { 'retry-after': '0' } } } });
		const { send, seen } = scripted([thrown, full(200)]);
		const result = await requestWithRetry(send, { url: 'http://x' }, { maxRetries: 1, timeoutMs: 1000, throwHttpErrors: true });
		expect(result).toMatchObject({ ok: true, attempts: 2 });
		expect(seen[0].ignoreHttpStatusErrors).toBe(false);
	});

	it('treats network errors as transient and keeps their code', async () => {
		const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
		const { send } = scripted([err]);
		const result = await requestWithRetry(send, { url: 'http://x' }, { maxRetries: 0, timeoutMs: 1000 });
		expect(result).toMatchObject({ ok: false, transient: true });
		expect(!result.ok && result.error).toMatch(/ECONNREFUSED/);
	});

	it('parses Retry-After dates', () => {
		const now = Date.UTC(2026, 0, 1, 0, 0, 0);
		expect(parseRetryAfter(new Date(now + 5000).toUTCString(), now)).toBe(5000);
		expect(parseRetryAfter('2', now)).toBe(2000);
		expect(parseRetryAfter('soon', now)).toBeUndefined();
	});
});
