import type { IDataObject } from 'n8n-workflow';

/**
 * Where catch-up resumes: `since`, the time up to which every change is known to be handled
 * (delivered by webhook or emitted by catch-up, and its execution ended), and `start`, where the
 * trigger's history begins (its first activation, or the Backfill From date): nothing older is ever
 * listed, overlap or not; and `parts`, the Uphance resources handled further than `since` where
 * another resource failed and held `since` back (`Cursor` below). Kept in the trigger node's static
 * data beside the duplicate memory, as
 * `{ catchUp: { format: 1, since: <ISO>, start: <ISO>, parts?: { <resource>: <ISO> } } }`.
 *
 * Only an execution writes it (`commitCursor`, from the trigger's `execute()`); the trigger's
 * timer only reads it, at activation. The timer's copy of static data is the one n8n loaded at
 * activation and n8n writes that copy back whole whenever it was assigned, over every key saved
 * since (docs/catch-up.md §2.1); a timer that never assigns cannot make the memory forget.
 */

export const CATCH_UP_FIELD = 'catchUp';

/**
 * Changes are asked for from `since - OVERLAP_MS` on: a change stamped a little before the cursor
 * (clock skew between the vendor and n8n, a slow commit at the vendor) is still listed, and its key
 * tells whether it was handled.
 */
export const OVERLAP_MS = 5 * 60_000;

/**
 * A catch-up cursor in milliseconds: `since`, `start` where known, and `partsMs`: the parts
 * (Uphance resources) handled up to a later time than `since`, because another part failed and held
 * `since` back (run.ts, `partCursorMs`). A part not named there is handled up to `since`. Stored as
 * `parts: { <part>: <ISO> }` beside `since`, so a version of this package that does not know the
 * field reads the older `since` and lists those parts again, never fewer.
 */
export interface Cursor {
	cursorMs: number;
	startMs?: number;
	partsMs?: Record<string, number>;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The parts handled further than the cursor, sorted by name; undefined when none is. */
function partsAhead(
	cursorMs: number,
	partsMs: Record<string, number> | undefined,
): Record<string, number> | undefined {
	const ahead = Object.entries(partsMs ?? {})
		.filter(([, ms]) => Number.isFinite(ms) && ms > cursorMs)
		.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
	return ahead.length > 0 ? Object.fromEntries(ahead) : undefined;
}

/**
 * The `{ since, start, parts }` ISO form every written cursor uses: the stored one
 * (`commitCursor`), a catch-up item's (run.ts, `catchUpFields`) and a webhook item's
 * (deliveryItem.ts, `carryStoredCursor`).
 */
export function cursorFields(cursor: Cursor): IDataObject {
	const { cursorMs, startMs } = cursor;
	const parts = partsAhead(cursorMs, cursor.partsMs);
	return {
		since: iso(cursorMs),
		...(startMs !== undefined && Number.isFinite(startMs) ? { start: iso(startMs) } : {}),
		...(parts
			? { parts: Object.fromEntries(Object.entries(parts).map(([p, ms]) => [p, iso(ms)])) }
			: {}),
	};
}

/** Reads what `cursorFields` wrote; undefined without a readable `since`. */
export function readCursorFields(value: unknown): Cursor | undefined {
	if (typeof value !== 'object' || value === null) return undefined;
	const { since, start, parts } = value as IDataObject;
	const cursorMs = typeof since === 'string' ? Date.parse(since) : NaN;
	if (!Number.isFinite(cursorMs)) return undefined;
	const startMs = typeof start === 'string' ? Date.parse(start) : NaN;
	const partsMs = partsAhead(
		cursorMs,
		typeof parts === 'object' && parts !== null && !Array.isArray(parts)
			? Object.fromEntries(
					Object.entries(parts as IDataObject).map(([p, v]) => [
						p,
						typeof v === 'string' ? Date.parse(v) : NaN,
					]),
				)
			: undefined,
	);
	return {
		cursorMs,
		...(Number.isFinite(startMs) ? { startMs } : {}),
		...(partsMs ? { partsMs } : {}),
	};
}

/**
 * Two cursors that both hold, as one: each part is handled up to the later of the two times the
 * cursors give it (its own, else their `since`), and `since` is the later `since`. The start is the
 * first cursor's, if it has one.
 */
export function newerCursor(a: Cursor | undefined, b: Cursor | undefined): Cursor | undefined {
	if (!a || !b) return a ?? b;
	const cursorMs = Math.max(a.cursorMs, b.cursorMs);
	const startMs = a.startMs ?? b.startMs;
	const partOf = (c: Cursor, part: string) => Math.max(c.cursorMs, c.partsMs?.[part] ?? -Infinity);
	const names = new Set([...Object.keys(a.partsMs ?? {}), ...Object.keys(b.partsMs ?? {})]);
	const partsMs = partsAhead(
		cursorMs,
		Object.fromEntries(
			[...names].map((part) => [part, Math.max(partOf(a, part), partOf(b, part))]),
		),
	);
	return {
		cursorMs,
		...(startMs !== undefined ? { startMs } : {}),
		...(partsMs ? { partsMs } : {}),
	};
}

/** The stored cursor, or undefined when catch-up never committed one. */
export function readStoredCursor(staticData: IDataObject): Cursor | undefined {
	const stored = staticData[CATCH_UP_FIELD] as IDataObject | undefined;
	if (typeof stored !== 'object' || stored === null || stored.format !== 1) return undefined;
	return readCursorFields(stored);
}

/** The stored `since` (ms), or undefined when catch-up never committed one. */
export function readCursor(staticData: IDataObject): number | undefined {
	return readStoredCursor(staticData)?.cursorMs;
}

/**
 * Keys accepted from this time on must outlive the duplicate window: catch-up may list their
 * changes again (store.ts, `keepSinceMs`). The listing reaches `OVERLAP_MS` before the cursor, and
 * `reachMs` further where the vendor's listing looks back (store.ts, `catchUpReachMs`).
 */
export function keepKeysFrom(cursorMs: number, reachMs = 0): number {
	return cursorMs - OVERLAP_MS - reachMs;
}

/**
 * Moves the stored cursor forward to `cursor`, never back (`newerCursor` of the stored one and this
 * one: `since` and each part only move forward), and records the start where none is stored yet.
 * Only for an execution's own static data (`execute()`), which n8n saves when the execution ends.
 * Returns whether it changed.
 */
export function commitCursor(staticData: IDataObject, cursor: Cursor): boolean {
	if (!Number.isFinite(cursor.cursorMs)) return false;
	const stored = readStoredCursor(staticData);
	const fields = cursorFields(newerCursor(stored, cursor) as Cursor);
	if (stored && JSON.stringify(cursorFields(stored)) === JSON.stringify(fields)) return false;
	staticData[CATCH_UP_FIELD] = { format: 1, ...fields };
	return true;
}

/**
 * The cursor each trigger of this process reached, so that any execution of that node in this
 * process (a webhook delivery's too) stores it: in regular mode a healthy trigger's cursor reaches
 * static data without executions of its own. Keyed like the duplicate memory (workflow id and node
 * name). Queue-mode workers never see these: there only catch-up's own executions store it.
 */
const inProcess = new Map<string, { cursor: Cursor; storedCursorMs?: number }>();

export function publishCursor(nodeId: string, cursor: Cursor): void {
	const entry = inProcess.get(nodeId);
	inProcess.set(nodeId, { ...entry, cursor: newerCursor(cursor, entry?.cursor) as Cursor });
}

export function publishedCursor(nodeId: string): Cursor | undefined {
	return inProcess.get(nodeId)?.cursor;
}

/** An execution in this process stored this cursor (its static data is saved when it ends). */
export function noteStored(nodeId: string, storedCursorMs: number): void {
	const entry = inProcess.get(nodeId);
	if (entry)
		entry.storedCursorMs = Math.max(entry.storedCursorMs ?? storedCursorMs, storedCursorMs);
}

export function storedInProcess(nodeId: string): number | undefined {
	return inProcess.get(nodeId)?.storedCursorMs;
}

/**
 * The newest cursor this process saw stored: in static data a webhook request or an execution
 * loaded, or carried by a webhook item to its execution (deliveryItem.ts, `carryStoredCursor`).
 * Every execution of the node stores it again (duplicateMemory/staticData.ts, `acceptInExecution`),
 * because on n8n 2.40 a queue-mode worker's execution starts with empty static data and its save
 * replaces static data whole (docs/queue-mode.md, "Several workers"): without this, a webhook
 * delivery's execution would save static data without the cursor, and a restart of the main would
 * find none and skip what changed while n8n was away. A stored cursor only ever moves forward
 * (`commitCursor`), so storing one that was stored before can only keep it, never skip a change.
 * Not forgotten when the trigger closes: the stored cursor outlives a deactivation too.
 */
const seenStored = new Map<string, Cursor>();

/** Remembers the cursor static data holds (if any); returns the newest this process saw. */
export function noteStoredCursor(nodeId: string, staticData: IDataObject): Cursor | undefined {
	const stored = readStoredCursor(staticData);
	if (stored) noteCursorSeen(nodeId, stored);
	return seenStored.get(nodeId);
}

/** Remembers a cursor known to be stored (carried by an item, or just committed). */
export function noteCursorSeen(nodeId: string, cursor: Cursor): void {
	const seen = newerCursor(seenStored.get(nodeId), cursor);
	if (seen) seenStored.set(nodeId, seen);
}

/** The trigger was closed (workflow deactivated): its cursor no longer applies. */
export function forgetCursor(nodeId: string): void {
	inProcess.delete(nodeId);
}
