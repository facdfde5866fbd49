import type { IExecuteFunctions } from 'n8n-workflow';

/**
 * The second check a queue-mode worker of n8n 2.40 needs, in n8n's own processed-data table (the
 * one *Remove Duplicates* uses: docs/n8n-internals.md, "Deduplication helpers").
 *
 * Why: there an execution starts with empty static data and its save replaces static data whole
 * (docs/queue-mode.md, "Several workers"), so with two workers static data holds, at any moment,
 * only the keys of the worker that saved last. A repeat that reached another webhook process then
 * found no key and started a second execution, and catch-up's items of changes a webhook delivered
 * ran twice when they landed on the other worker. The processed-data table is read by the call
 * itself, on whichever worker, so the execution of a repeat finds the key the first execution
 * recorded, and passes nothing on.
 *
 * Used only for an execution whose static data arrived empty (`staticData.ts`,
 * `acceptInExecution`): in regular mode and on n8n 2.8 and 1.x workers static data is loaded and
 * the duplicate memory alone decides, as before.
 *
 * n8n reads the row, adds the keys and writes the row back without a lock
 * (`deduplication-helper.js`, `handleHashedItems`), so when two workers record at the same moment
 * one write is lost. Two things narrow that: each call records again the keys this process recorded
 * in the last `RECENT_MS` (a key lost that way is back with this worker's next execution), and a
 * key this process recorded is recognised without the table (a repeat run by the worker that ran
 * the first execution). What is left: two executions of one delivery that check at the same
 * moment, and a lost key whose repeat reaches the other worker before this one runs again.
 *
 * It never drops a first delivery: a key is recognised only if an execution recorded it before. If
 * the call fails, the items go on (a possible repeat, never a loss) and the log says why.
 */

/** How long this process records a key again with each call (see above). */
export const RECENT_MS = 10 * 60_000;
/** At most this many recent keys per trigger node are recorded again. */
export const MAX_RECENT = 1_000;

/**
 * Per trigger node (workflow and node name): the keys this process recorded, oldest first, and when
 * it last recorded one. A node unused for `RECENT_MS` holds nothing worth keeping and is forgotten.
 */
const recent = new Map<string, { keys: Map<string, number>; lastMs: number }>();

function recentOf(nodeId: string, nowMs: number): Map<string, number> {
	for (const [id, entry] of recent) if (nowMs - entry.lastMs >= RECENT_MS) recent.delete(id);
	const entry = recent.get(nodeId) ?? { keys: new Map<string, number>(), lastMs: nowMs };
	entry.lastMs = nowMs;
	recent.set(nodeId, entry);
	for (const [key, atMs] of entry.keys) {
		if (nowMs - atMs < RECENT_MS && entry.keys.size <= MAX_RECENT) break;
		entry.keys.delete(key);
	}
	return entry.keys;
}

/** How many trigger nodes this process holds recent keys for (tests read it). */
export function nodesWithRecentKeys(): number {
	return recent.size;
}

/** One item to check: its index, its delivery key and the other keys of its change. */
export interface RecheckCandidate {
	index: number;
	deliveryKey: string;
	aliases: string[];
}

/**
 * Records every candidate's key and aliases in n8n's processed-data table (scope: this node), with
 * this process's recent keys, and returns the indexes of candidates whose delivery key an earlier
 * execution recorded.
 */
export async function recordedByEarlierExecutions(
	ctx: IExecuteFunctions,
	nodeId: string,
	candidates: RecheckCandidate[],
	maxEntries: number,
	log: (message: string) => void,
	nowMs: number = Date.now(),
): Promise<Set<number>> {
	const repeated = new Set<number>();
	if (candidates.length === 0) return repeated;
	const recentKeys = recentOf(nodeId, nowMs);
	const own = candidates.flatMap((c) => [c.deliveryKey, ...c.aliases]);
	let processed = new Set<string>();
	try {
		const result = await ctx.helpers.checkProcessedAndRecord(
			[...new Set([...own, ...recentKeys.keys()])],
			'node',
			{ mode: 'entries', maxEntries },
		);
		processed = new Set(result.processed.map(String));
	} catch (error) {
		log(
			`The check in n8n's processed-data table failed (${(error as Error)?.message ?? String(error)}); the items go on unless this process recorded them, so a repeat is possible.`,
		);
	}
	for (const candidate of candidates) {
		const key = candidate.deliveryKey;
		if (!processed.has(key) && !recentKeys.has(key)) continue;
		repeated.add(candidate.index);
		log(
			`An earlier execution already had this delivery (${key.slice(0, 80)}); it is left out of this execution.`,
		);
	}
	// Known here from now on (delete first, so the map stays oldest first).
	for (const key of own) {
		recentKeys.delete(key);
		recentKeys.set(key, nowMs);
	}
	return repeated;
}
