import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	ITriggerFunctions,
	IWebhookFunctions,
} from 'n8n-workflow';

import {
	CATCH_UP_FIELD,
	commitCursor,
	keepKeysFrom,
	newerCursor,
	noteCursorSeen,
	noteStored,
	noteStoredCursor,
	publishedCursor,
	readCursor,
} from '../catchUp/cursor';
import type { Cursor } from '../catchUp/cursor';
import { readCarriedCursor, readCatchUpFields, readDelivery } from '../deliveryItem';
import { recordedByEarlierExecutions } from './processedData';
import type { RecheckCandidate } from './processedData';
import {
	decodeEntry,
	DuplicateMemory,
	ENTRY_LENGTH,
	HASHED_KEY_LENGTH,
	hashDeliveryKey,
} from './store';
import type { ClaimVerdict, DuplicateLimits } from './store';
import type { Refusal, Step } from '../refusal';

/**
 * The duplicate memory kept in n8n's workflow static data. Every assumption this package makes
 * about static data is in this file (n8n's code, by file and line: docs/n8n-internals.md):
 *
 * 1. Reloaded per request. `getWorkflowStaticData('node')` is a fresh copy of the database row on
 *    every webhook request and every execution, so concurrent requests never see each other's
 *    changes. The in-process DuplicateMemory (one per workflow node, `memories` below) is therefore
 *    what decides; static data is how keys outlive the process and reach other processes.
 * 2. Saved whole, and only when a field of the node's object is assigned (n8n-workflow's
 *    ObservableObject marks the data changed on assignment). So every save assigns `MEMORY_FIELD`.
 * 3. Last write wins: the save is `UPDATE workflow SET staticData = <whole JSON>` with no merge,
 *    within one process and across processes. So every save carries everything this process
 *    knows: what it loaded, merged with what it accepted.
 * 4. On n8n 2.40, what the webhook phase writes is not saved when `webhook()` starts an execution:
 *    preparing the execution resets the changed flag before the answer's save looks at it. The
 *    execution reads static data afresh and saves what its own nodes write when it ends (on main in
 *    regular mode, on the worker in queue mode). So the trigger's `execute()` accepts the keys again
 *    (`acceptInExecution`). On n8n 2.8 and 1.x both saves happen; the second is harmless.
 * 5. Building a workflow also replaces nested objects of static data with proxies, in place, and
 *    does so again for every workflow built over the same object. So each save hands n8n a new
 *    wrapper (DuplicateMemory.toPersisted) and the memory never reads back a field n8n may replace.
 * 6. Manual test runs ("Listen for test event") do not save static data; they never use the memory.
 * 7. A trigger's timer (catch-up) holds the copy loaded at activation, which n8n writes back whole
 *    if it is ever assigned. The timer reads it once into a plain copy and never assigns it
 *    (nodes/shared/catchUp/schedule.ts); only webhook requests and executions save the memory.
 */

/** What `MemorySession.admitOnce` made of a delivery. */
export type Admission<T> =
	| { admitted: true; value: T }
	| { admitted: false; why: 'duplicate' | 'notAccepted' }
	| { admitted: false; why: 'refused'; refusal: Refusal };

/** The field under the node's static data. */
export const MEMORY_FIELD = 'duplicateMemory';

type Log = (message: string) => void;

const memories = new Map<string, { memory: DuplicateMemory; lastUsedMs: number }>();
let lastSweepMs = 0;
const SWEEP_EVERY_MS = 60_000;

/**
 * This process's memory of one workflow node. A memory unused for longer than its own duplicate
 * window holds only expired keys, so forgetting it loses nothing; that is how nodes of deleted or
 * deactivated workflows leave the process.
 */
function memoryFor(id: string, nowMs: number, limits: DuplicateLimits): DuplicateMemory {
	if (nowMs - lastSweepMs >= SWEEP_EVERY_MS) {
		lastSweepMs = nowMs;
		for (const [key, entry] of memories) {
			if (
				entry.memory.claimsInFlight === 0 &&
				nowMs - entry.lastUsedMs > entry.memory.limits.maxAgeMs
			)
				memories.delete(key);
		}
	}
	const entry = memories.get(id) ?? { memory: new DuplicateMemory(limits), lastUsedMs: nowMs };
	entry.lastUsedMs = nowMs;
	entry.memory.limits = limits;
	memories.set(id, entry);
	return entry.memory;
}

/** How many workflow nodes this process holds a memory for (tests and the benchmark read it). */
export function memoriesInProcess(): number {
	return memories.size;
}

const VALID_HASHED_KEY = new RegExp(`^[A-Za-z0-9_-]{${HASHED_KEY_LENGTH}}$`);

/**
 * Reads what static data holds: nothing, a copy (`PersistedMemory`), or something unreadable
 * (described, so it is logged before it is overwritten). Entries that cannot be read are left out
 * and logged.
 */
export function readStoredCopy(
	value: unknown,
	log: Log = () => undefined,
): {
	copy?: { writer: string; revision: number; entries: Array<[string, number]> };
	problem?: string;
} {
	if (value === undefined || value === null) return {};
	const v = value as IDataObject;
	if (
		v.format !== 1 ||
		typeof v.writer !== 'string' ||
		typeof v.revision !== 'number' ||
		!Array.isArray(v.entries)
	)
		return { problem: `unreadable (${JSON.stringify(value).slice(0, 80)})` };
	const entries: Array<[string, number]> = [];
	let unreadable = 0;
	for (const chunk of v.entries as unknown[]) {
		if (typeof chunk !== 'string' || chunk.length % ENTRY_LENGTH !== 0) {
			unreadable++;
			continue;
		}
		for (let at = 0; at < chunk.length; at += ENTRY_LENGTH) {
			const [key, seconds] = decodeEntry(chunk, at);
			if (VALID_HASHED_KEY.test(key) && Number.isInteger(seconds)) entries.push([key, seconds]);
			else unreadable++;
		}
	}
	if (unreadable > 0)
		log(
			`The duplicate memory in static data has ${unreadable} unreadable ${unreadable === 1 ? 'entry' : 'entries'}; left out.`,
		);
	return { copy: { writer: v.writer, revision: v.revision, entries } };
}

/** Where one trigger node's memory lives, as read from n8n's webhook or execute context. */
export interface MemoryPlace {
	/** the node's static data: `getWorkflowStaticData('node')` */
	staticData: IDataObject;
	workflowId: string;
	nodeName: string;
	log: Log;
	now?: () => number;
}

/** The id of a trigger node's memory in this process: workflow and node name. */
export function memoryId(place: Pick<MemoryPlace, 'workflowId' | 'nodeName'>): string {
	return `${place.workflowId}\u0000${place.nodeName}`;
}

export function memoryPlace(
	ctx: IWebhookFunctions | IExecuteFunctions | ITriggerFunctions,
): MemoryPlace {
	const nodeName = ctx.getNode().name;
	return {
		staticData: ctx.getWorkflowStaticData('node'),
		workflowId: ctx.getWorkflow().id ?? 'unsaved',
		nodeName,
		log: (message) => ctx.logger.warn(message, { node: nodeName }),
	};
}

/**
 * One request's (or one execution's) use of the duplicate memory: takes in what static data holds,
 * then claims, accepts or releases keys, and saves to static data whenever it lacks something.
 */
export class MemorySession {
	private readonly memory: DuplicateMemory;
	private readonly now: () => number;
	/** whether static data, as loaded, lacks something the memory holds */
	private behind: boolean;
	/** the newest catch-up cursor this process saw stored, this request's static data included */
	readonly storedCursor: Cursor | undefined;

	constructor(
		private readonly place: MemoryPlace,
		limits: DuplicateLimits,
	) {
		this.now = place.now ?? Date.now;
		const nowMs = this.now();
		const id = memoryId(place);
		this.storedCursor = noteStoredCursor(id, place.staticData);
		// Keys younger than the stored catch-up cursor stay beyond the window (store.ts, keepSinceMs):
		// the one in this static data (the older, where a save moved it back: more keys kept), else
		// the one this process saw (a queue-mode worker's static data starts empty).
		const keepFromCursorMs = readCursor(place.staticData) ?? this.storedCursor?.cursorMs;
		const keepSinceMs =
			limits.keepSinceMs ??
			(keepFromCursorMs === undefined
				? undefined
				: keepKeysFrom(keepFromCursorMs, limits.catchUpReachMs ?? 0));
		this.memory = memoryFor(id, nowMs, { ...limits, keepSinceMs });
		const stored = place.staticData[MEMORY_FIELD] as IDataObject | undefined;
		// null too: the catch-up timer's snapshot holds null where static data has no memory yet
		if (stored !== undefined && stored !== null && this.memory.wrote(stored)) {
			// Rule 1: static data is reloaded on every request; a copy this memory wrote needs no reading.
			this.behind = !this.memory.isCurrent(stored);
			return;
		}
		const { copy, problem } = readStoredCopy(stored, place.log);
		if (problem)
			place.log(
				`The duplicate memory in static data is ${problem}; it will be replaced by this process's memory (${this.memory.size} keys).`,
			);
		if (copy) this.memory.merge(copy, nowMs);
		this.behind = copy ? !this.memory.isCurrent(copy) : this.memory.size > 0;
	}

	claim(deliveryKey: string): { verdict: ClaimVerdict; hashedKey: string } {
		const hashedKey = hashDeliveryKey(deliveryKey);
		return { verdict: this.memory.claim(hashedKey, this.now()), hashedKey };
	}

	/** Whether the key is recorded as accepted (a claim in flight is not). */
	holds(hashedKey: string): boolean {
		return this.memory.holds(hashedKey, this.now());
	}

	/** Records the key and saves it to static data (rule 4: on n8n 2.40 the execution's save counts). */
	accept(hashedKey: string, acceptedAtMs?: number): void {
		const nowMs = this.now();
		this.memory.accept(hashedKey, nowMs, acceptedAtMs ?? nowMs);
		this.save();
	}

	release(hashedKey: string): void {
		this.memory.release(hashedKey);
		this.saveIfBehind();
	}

	/**
	 * For a copy that found its delivery in flight: waits until the request processing it accepts or
	 * releases it, and says whether it was accepted. (A copy is answered 2xx only if the delivery
	 * really was accepted; otherwise the vendor must retry, or the delivery would be lost.)
	 */
	async acceptedAfterWaiting(hashedKey: string): Promise<boolean> {
		await this.memory.decided(hashedKey);
		return this.memory.holds(hashedKey, this.now());
	}

	/**
	 * The webhook path's one use of the memory: admits a delivery at most once. Its key is claimed;
	 * a key already accepted is a `duplicate`; a key another request is processing is waited for,
	 * and is a `duplicate` if that request accepted it, else `notAccepted` (the copy must not be
	 * answered 2xx, or the vendor would stop retrying a delivery nobody accepted). A new key runs
	 * `prepare`: when it gives a value, the key and its aliases are accepted and the delivery is
	 * `admitted`; when it refuses or throws, the claim is released, so the vendor's retry is
	 * processed. Nothing else in the package claims, accepts or releases a webhook's key.
	 */
	async admitOnce<T>(
		deliveryKey: string,
		acceptedAtMs: number,
		prepare: () => Promise<Step<{ value: T; aliases: string[] }>>,
		/** keys another path records when it delivered the change itself: held → a duplicate */
		deliveredBy: string[] = [],
	): Promise<Admission<T>> {
		if (deliveredBy.some((key) => this.holds(hashDeliveryKey(key)))) {
			this.saveIfBehind();
			return { admitted: false, why: 'duplicate' };
		}
		const { verdict, hashedKey } = this.claim(deliveryKey);
		if (verdict === 'inFlight' && !(await this.acceptedAfterWaiting(hashedKey)))
			return { admitted: false, why: 'notAccepted' };
		if (verdict !== 'new') {
			this.saveIfBehind();
			return { admitted: false, why: 'duplicate' };
		}
		let prepared: Step<{ value: T; aliases: string[] }> | undefined;
		try {
			prepared = await prepare();
		} finally {
			// a refusal, or a throw (which goes on to the caller): the vendor's retry must be processed
			if (!prepared?.ok) this.release(hashedKey);
		}
		if (!prepared.ok) return { admitted: false, why: 'refused', refusal: prepared.refusal };
		this.accept(hashedKey, acceptedAtMs);
		for (const alias of prepared.value.aliases) this.accept(hashDeliveryKey(alias), acceptedAtMs);
		return { admitted: true, value: prepared.value.value };
	}

	/** For answers that start no execution (duplicates, refusals): n8n saves these on every version. */
	saveIfBehind(): void {
		if (this.behind) this.save();
	}

	private save(): void {
		this.place.staticData[MEMORY_FIELD] = this.memory.toPersisted() as unknown as IDataObject;
		this.behind = false;
	}
}

/**
 * Called first in each trigger's `execute()` (rule 4): accepts the delivery keys of the execution's
 * items again and saves them to static data, which the execution saves when it ends. In regular
 * mode the keys are already in this process's memory and this only gets them saved; in queue mode
 * this runs on a worker, whose memory learns them here.
 *
 * Catch-up items (nodes/shared/catchUp/run.ts) get one more check: one whose key this execution's
 * memory already holds was delivered meanwhile (by webhook, or by catch-up elsewhere) and is left
 * out, so the change reaches the workflow once. A bookkeeping item exists only to store the cursor
 * and is left out too.
 *
 * The catch-up cursor stored is the newest of: the one static data holds, the ones the items carry
 * (catch-up's, and the stored one a webhook item carries from `webhook()`), the one this process saw
 * stored before, and the one this process's trigger reached (nodes/shared/catchUp/cursor.ts). On a
 * queue-mode worker of n8n 2.40 static data starts empty and its save replaces static data whole,
 * so an execution that did not store the cursor again would remove it (docs/queue-mode.md).
 *
 * Where static data arrived empty (a queue-mode worker of n8n 2.40), the items' keys are also
 * checked and recorded in n8n's processed-data table, and a delivery an earlier execution recorded
 * is left out (./processedData.ts).
 *
 * Returns the indexes of the items to pass on; pass each through `withoutCarriedCursor`
 * (nodes/shared/deliveryItem.ts). Manual test runs never touch the memory or cursor.
 */
export async function acceptInExecution(
	ctx: IExecuteFunctions,
	items: INodeExecutionData[],
	limits: DuplicateLimits,
): Promise<number[]> {
	const all = items.map((_, index) => index);
	if (ctx.getMode() === 'manual') return all;
	const place = memoryPlace(ctx);
	const nodeId = memoryId(place);
	// Static data that arrived without a memory or a cursor: a queue-mode worker of n8n 2.40
	// (./processedData.ts), or a node that never saved one (then the check below costs one call).
	const arrivedEmpty =
		place.staticData[MEMORY_FIELD] === undefined && place.staticData[CATCH_UP_FIELD] === undefined;

	// The cursor first, so that the session below keeps keys as far back as it reaches.
	let cursor = newerCursor(noteStoredCursor(nodeId, place.staticData), publishedCursor(nodeId));
	for (const item of items) {
		cursor = newerCursor(cursor, readCatchUpFields(item.json));
		cursor = newerCursor(cursor, readCarriedCursor(item.json));
	}
	const cursorMoved = cursor !== undefined && commitCursor(place.staticData, cursor);
	if (cursor && cursorMoved) {
		noteStored(nodeId, cursor.cursorMs);
		noteCursorSeen(nodeId, cursor);
	}

	let session: MemorySession | undefined;
	const kept: number[] = [];
	const recheck: RecheckCandidate[] = [];
	for (const index of all) {
		const json = items[index].json;
		const catchUp = readCatchUpFields(json);
		if (catchUp?.bookkeeping || catchUp?.problem !== undefined) continue;
		const delivery = readDelivery(json);
		if (!delivery) {
			kept.push(index);
			continue;
		}
		session ??= new MemorySession(place, limits);
		const hashedKey = hashDeliveryKey(delivery.deliveryKey);
		if (catchUp && session.holds(hashedKey)) {
			place.log(
				`Catch-up found a change that was delivered meanwhile (${delivery.deliveryKey.slice(0, 80)}); it is left out of this execution.`,
			);
			continue;
		}
		session.accept(hashedKey, delivery.receivedAtMs);
		for (const alias of delivery.aliases)
			session.accept(hashDeliveryKey(alias), delivery.receivedAtMs);
		kept.push(index);
		recheck.push({ index, deliveryKey: delivery.deliveryKey, aliases: delivery.aliases });
	}
	if (cursorMoved) {
		// Storing the cursor makes n8n save this execution's static data whole when it ends. That
		// copy was loaded when the execution was created: without this, an execution that accepts no
		// key (a bookkeeping item, a change delivered meanwhile) would write the memory as it was
		// then over keys saved since (issue 19, finding 8). The session merges this process's memory
		// into it first.
		session ??= new MemorySession(place, limits);
		session.saveIfBehind();
	}
	if (!arrivedEmpty) return kept;
	const repeated = await recordedByEarlierExecutions(
		ctx,
		nodeId,
		recheck,
		limits.maxEntries,
		place.log,
	);
	return kept.filter((index) => !repeated.has(index));
}
