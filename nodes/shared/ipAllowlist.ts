/**
 * CIDR allowlists for IPv4 and IPv6, without `net` (community nodes may import only a short list
 * of modules). Addresses become 128-bit BigInts; IPv4 and IPv4-mapped IPv6 (`::ffff:1.2.3.4`, as
 * Node reports IPv4 peers on dual-stack sockets) share one representation.
 */

interface Range {
	base: bigint;
	mask: bigint;
}

const V4_MAPPED_PREFIX = BigInt('0xffff00000000');
const ALL_ONES_128 = (BigInt(1) << BigInt(128)) - BigInt(1);

function parseIPv4(text: string): bigint | undefined {
	const parts = text.split('.');
	if (parts.length !== 4) return undefined;
	let value = BigInt(0);
	for (const part of parts) {
		if (!/^\d{1,3}$/.test(part)) return undefined;
		const n = Number(part);
		if (n > 255) return undefined;
		value = (value << BigInt(8)) | BigInt(n);
	}
	return value;
}

function parseIPv6(text: string): bigint | undefined {
	let input = text;
	const zone = input.indexOf('%');
	if (zone >= 0) input = input.slice(0, zone);
	let tailV4: bigint | undefined;
	const lastColon = input.lastIndexOf(':');
	if (input.includes('.') && lastColon >= 0) {
		tailV4 = parseIPv4(input.slice(lastColon + 1));
		if (tailV4 === undefined) return undefined;
		input = input.slice(0, lastColon) + ':0:0';
	}
	const halves = input.split('::');
	if (halves.length > 2) return undefined;
	const head = halves[0] ? halves[0].split(':') : [];
	const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
	const missing = 8 - head.length - tail.length;
	if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
	const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
	let value = BigInt(0);
	for (const group of groups) {
		if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
		value = (value << BigInt(16)) | BigInt(parseInt(group, 16));
	}
	if (tailV4 !== undefined) value = (value & ~BigInt(0xffffffff)) | tailV4;
	return value;
}

/** Parses an address to its 128-bit form (IPv4 as IPv4-mapped IPv6), or undefined when invalid. */
export function parseIp(text: string): bigint | undefined {
	const trimmed = text.trim();
	if (trimmed.includes(':')) return parseIPv6(trimmed);
	const v4 = parseIPv4(trimmed);
	return v4 === undefined ? undefined : V4_MAPPED_PREFIX | v4;
}

function parseRange(entry: string): Range | undefined {
	const [address, prefixText, extra] = entry.split('/');
	if (extra !== undefined) return undefined;
	const base = parseIp(address);
	if (base === undefined) return undefined;
	const isV4 = !address.includes(':');
	const maxPrefix = isV4 ? 32 : 128;
	let prefix = maxPrefix;
	if (prefixText !== undefined) {
		if (!/^\d{1,3}$/.test(prefixText)) return undefined;
		prefix = Number(prefixText);
		if (prefix > maxPrefix) return undefined;
	}
	const prefix128 = isV4 ? prefix + 96 : prefix;
	const mask =
		prefix128 === 0 ? BigInt(0) : (ALL_ONES_128 << BigInt(128 - prefix128)) & ALL_ONES_128;
	return { base: base & mask, mask };
}

export interface IpAllowlist {
	/** True when the list is empty (no restriction) or the address falls in one of its ranges. */
	allows(address: string | undefined): boolean;
}

/**
 * Parses a list of addresses and CIDR ranges separated by commas, spaces or new lines.
 * Throws an Error naming the first entry it cannot read, so the user can fix the parameter.
 */
export function parseIpAllowlist(text: string | undefined): IpAllowlist {
	const entries = (text ?? '')
		.split(/[\s,;]+/)
		.map((e) => e.trim())
		.filter((e) => e.length > 0);
	const ranges: Range[] = [];
	for (const entry of entries) {
		const range = parseRange(entry);
		if (range === undefined) {
			throw new Error(
				`"${entry}" is not an IP address or CIDR range (examples: 54.245.28.22, 10.0.0.0/8, 2001:db8::/32)`,
			);
		}
		ranges.push(range);
	}
	return {
		allows(address: string | undefined): boolean {
			if (ranges.length === 0) return true;
			if (!address) return false;
			const value = parseIp(address);
			if (value === undefined) return false;
			return ranges.some((r) => (value & r.mask) === r.base);
		},
	};
}
