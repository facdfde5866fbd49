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
 * What it cannot do: n8n reads the row, adds the keys and writes the row back without a lock
 * (`deduplication-helper.js`, `handleHashedItems`), so two executions of one delivery that check at
 * the same moment both pass, and one of two writes at the same moment can be lost. It never drops
 * a first delivery: a key is found only if an execution recorded it before. If the call fails, the
 * items go on (a possible repeat, never a loss) and the log says why.
 */

/** One item to check: its index, its delivery key and the other keys of its change. */
export interface RecheckCandidate {
	index: number;
	deliveryKey: string;
	aliases: string[];
}

/**
 * Records every candidate's key and aliases in n8n's processed-data table (scope: this node) and
 * returns the indexes of candidates whose delivery key an earlier execution recorded.
 */
export async function recordedByEarlierExecutions(
	ctx: IExecuteFunctions,
	candidates: RecheckCandidate[],
	maxEntries: number,
	log: (message: string) => void,
): Promise<Set<number>> {
	const repeated = new Set<number>();
	if (candidates.length === 0) return repeated;
	const values = [...new Set(candidates.flatMap((c) => [c.deliveryKey, ...c.aliases]))] as string[];
	let processed: Set<string>;
	try {
		const result = await ctx.helpers.checkProcessedAndRecord(values, 'node', {
			mode: 'entries',
			maxEntries,
		});
		processed = new Set(result.processed.map(String));
	} catch (error) {
		log(
			`The check in n8n's processed-data table failed (${(error as Error)?.message ?? String(error)}); the items go on, so a repeat is possible.`,
		);
		return repeated;
	}
	for (const candidate of candidates) {
		if (!processed.has(candidate.deliveryKey)) continue;
		repeated.add(candidate.index);
		log(
			`An earlier execution (on another worker) already had this delivery (${candidate.deliveryKey.slice(0, 80)}); it is left out of this execution.`,
		);
	}
	return repeated;
}
