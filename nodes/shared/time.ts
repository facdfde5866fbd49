/**
 * Reading the vendors' times, one way on every process.
 *
 * JavaScript's `Date.parse` reads an ISO date-time without a zone (`2026-03-01T12:00:00`) in the
 * process's local zone, so two n8n processes in different zones (a main and a worker, a server and
 * a laptop) would compute different windows and different duplicate keys for the same change.
 * Here a time without a zone is read as UTC, always (README, "Nothing lost while n8n was away").
 * A time with `Z` or an offset (`+01:00`, `-0500`) means what it says: Uphance writes the
 * organisation's offset (docs/uphance-api.md).
 */

/** `YYYY-MM-DD`, optionally `THH:MM[:SS[.fff…]]` (or a space for `T`), then an optional zone. */
const ISO_DATE_TIME =
	/^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/** Epoch ms of an ISO 8601 time, read as UTC when it names no zone; undefined when it is not one. */
export function parseVendorTime(value: unknown): number | undefined {
	if (typeof value !== 'string') return undefined;
	const text = value.trim();
	const match = ISO_DATE_TIME.exec(text);
	if (!match) return undefined;
	const [, date, time, zone] = match;
	let offset = 'Z';
	if (zone && zone.toUpperCase() !== 'Z') {
		// `+0100` and `+01` as `+01:00`, the form every JavaScript engine reads
		const digits = zone.slice(1).replace(':', '');
		offset = `${zone[0]}${digits.slice(0, 2)}:${digits.slice(2, 4) || '00'}`;
	}
	const ms = Date.parse(`${date}T${time ?? '00:00:00'}${offset}`);
	return Number.isFinite(ms) ? ms : undefined;
}

/**
 * The same instant to the whole second, as an ISO time in UTC (`…T10:00:00.000Z`). Uphance's API
 * writes whole seconds where webhook bodies may carry milliseconds (docs/uphance-api.md), so a
 * duplicate key built from this is the same on both paths.
 */
export function isoToTheSecond(ms: number): string {
	return new Date(Math.floor(ms / 1000) * 1000).toISOString();
}
