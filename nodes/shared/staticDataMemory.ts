import type { IDataObject, IExecuteFunctions, IWebhookFunctions } from 'n8n-workflow';

import {
	decodeEntry,
	DeliveryMemory,
	ENTRY_LENGTH,
	HASHED_KEY_LENGTH,
	hashDeliveryKey,
} from './deliveryMemory';
import type { ClaimVerdict, MemoryLimits, StoredCopy } from './deliveryMemory';

/**
 * The duplicate memory kept in n8n's workflow static data. Every assumption this package makes
 * about static data is in this file (sources with n8n file and line: docs/n8n-internals.md):
 *
 * 1. Reloaded per request. `getWorkflowStaticData('node')` is a fresh copy of the database row on
 *    every webhook request and every execution, so concurrent requests never see each other's
 *    changes. The in-process DeliveryMemory (one per workflow node, `memories` below) is therefore
 *    what decides; static data is how keys outlive the process and reach other processes.
 * 2. Saved whole, and only when a field of the node's object is assigned (n8n-workflow's
 *    ObservableObject marks the data changed on assignment). So every write assigns `MEMORY_FIELD`.
 * 3. Last write wins: the save is `UPDATE workflow SET staticData = <whole JSON>` with no merge,
 *    within one process and across processes. So every write carries everything this process
 *    knows: what it loaded, merged with what it accepted.
 * 4. On n8n 2.40, what the webhook phase writes is not saved when `webhook()` starts an execution:
 *    preparing the execution builds another workflow over the same object, which resets its changed
 *    flag before the answer's save looks at it. The execution reads static data afresh from the
 *    database and saves what its own nodes write when it ends (on main in regular mode, on the
 *    worker in queue mode). So the trigger's `execute()` writes the accepted keys again
 *    (`recordInExecution`). On n8n 2.8 both writes are saved; the second is harmless.
 * 5. Building a workflow also replaces nested objects of static data with proxies, in place, and
 *    does so again for every workflow built over the same object. So each write hands n8n a new
 *    wrapper (DeliveryMemory.toPersisted) and the memory never reads back a field n8n may replace.
 * 6. Manual test runs ("Listen for test event") do not save static data; they never use the memory.
 */

/** The field under the node's static data. The name is 0.1.0's, so an upgrade overwrites it in place. */
export const MEMORY_FIELD = 'deliveryLedger';

type Log = (message: string) => void;

const memories = new Map<
	string,
	{ memory: DeliveryMemory; lastUsedMs: number; limits: MemoryLimits }
>();
let lastSweepMs = 0;
const SWEEP_EVERY_MS = 60_000;

/**
 * This process's memory of one workflow node. A memory unused for longer than its own duplicate
 * window holds only expired keys, so forgetting it loses nothing; that is how nodes of deleted or
 * deactivated workflows leave the registry.
 */
function memoryFor(
	workflowId: string,
	nodeName: string,
	nowMs: number,
	limits: MemoryLimits,
): DeliveryMemory {
	if (nowMs - lastSweepMs >= SWEEP_EVERY_MS) {
		lastSweepMs = nowMs;
		for (const [id, entry] of memories) {
			if (entry.memory.claimsInFlight === 0 && nowMs - entry.lastUsedMs > entry.limits.maxAgeMs)
				memories.delete(id);
		}
	}
	const id = `${workflowId}\u0000${nodeName}`;
	const entry = memories.get(id) ?? { memory: new DeliveryMemory(), lastUsedMs: nowMs, limits };
	entry.lastUsedMs = nowMs;
	entry.limits = limits;
	memories.set(id, entry);
	return entry.memory;
}

/** How many workflow nodes this process holds a memory for (tests and the benchmark read it). */
export function memoriesInProcess(): number {
	return memories.size;
}

const VALID_HASHED_KEY = new RegExp(`^[A-Za-z0-9_-]{${HASHED_KEY_LENGTH}}$`);
const isEntry = (key: string, at: unknown): at is number =>
	VALID_HASHED_KEY.test(key) && typeof at === 'number' && Number.isInteger(at) && at >= 0;

/** 0.1.0's packed entry: 16 characters of hashed key, then 7 of base-36 seconds. */
const V1_KEY_CHARS = 16;
const V1_ENTRY_CHARS = V1_KEY_CHARS + 7;

/**
 * Reads what static data holds: nothing, a copy in the current format (2), a copy in 0.1.0's
 * format (1: `{v, w, r, c}`, entries packed into strings), or something unreadable (described, so
 * it is logged before it is overwritten). Entries that cannot be read are left out and logged.
 */
export function readStoredCopy(
	value: unknown,
	log: Log = () => undefined,
): { copy?: StoredCopy; problem?: string } {
	if (value === undefined || value === null) return {};
	const v = value as IDataObject;
	const keepReadable = (candidates: Array<[string, unknown]>): Array<[string, number]> => {
		const entries = candidates.filter((entry): entry is [string, number] =>
			isEntry(entry[0], entry[1]),
		);
		if (entries.length < candidates.length) {
			const left = candidates.length - entries.length;
			log(
				`The duplicate memory in static data has ${left} unreadable ${left === 1 ? 'entry' : 'entries'}; left out.`,
			);
		}
		return entries;
	};
	if (
		v.format === 2 &&
		typeof v.writer === 'string' &&
		typeof v.revision === 'number' &&
		Array.isArray(v.entries)
	) {
		const chunks = v.entries as unknown[];
		return {
			copy: {
				writer: v.writer,
				revision: v.revision,
				readEntries: () => {
					const candidates: Array<[string, unknown]> = [];
					for (const chunk of chunks) {
						if (typeof chunk !== 'string' || chunk.length % ENTRY_LENGTH !== 0) {
							candidates.push(['', chunk]);
							continue;
						}
						for (let at = 0; at < chunk.length; at += ENTRY_LENGTH)
							candidates.push(decodeEntry(chunk, at));
					}
					return keepReadable(candidates);
				},
			},
		};
	}
	if (v.v === 1 && typeof v.w === 'string' && typeof v.r === 'number' && Array.isArray(v.c)) {
		const chunks = v.c;
		return {
			copy: {
				writer: `0.1.0:${v.w}`,
				revision: v.r,
				readEntries: () => {
					const candidates: Array<[string, unknown]> = [];
					for (const chunk of chunks) {
						if (typeof chunk !== 'string' || chunk.length % V1_ENTRY_CHARS !== 0) {
							candidates.push(['', chunk]);
							continue;
						}
						for (let at = 0; at < chunk.length; at += V1_ENTRY_CHARS) {
							const key = chunk.slice(at, at + V1_KEY_CHARS);
							candidates.push([
								key,
								parseInt(chunk.slice(at + V1_KEY_CHARS, at + V1_ENTRY_CHARS), 36),
							]);
						}
					}
					return keepReadable(candidates);
				},
			},
		};
	}
	return { problem: `unreadable (${JSON.stringify(value).slice(0, 80)})` };
}

export interface MemoryScope {
	/** the node's static data: `getWorkflowStaticData('node')` */
	staticData: IDataObject;
	workflowId: string;
	nodeName: string;
	limits: MemoryLimits;
	log: Log;
	now?: () => number;
}

/** The memory settings both triggers offer (nodes/shared/nodeDescription.ts, dedupeOptions). */
export interface MemorySettings {
	dedupeWindowHours: number;
	dedupeMaxEntries: number;
}

/** The scope of a trigger node's memory, from the webhook or the execute context. */
export function memoryScope(
	ctx: IWebhookFunctions | IExecuteFunctions,
	settings: MemorySettings,
): MemoryScope {
	const nodeName = ctx.getNode().name;
	return {
		staticData: ctx.getWorkflowStaticData('node'),
		workflowId: ctx.getWorkflow().id ?? 'unsaved',
		nodeName,
		limits: {
			maxAgeMs: Math.max(0, settings.dedupeWindowHours) * 3_600_000,
			maxEntries: Math.max(1, Math.floor(settings.dedupeMaxEntries)),
		},
		log: (message) => ctx.logger.warn(message, { node: nodeName }),
	};
}

/**
 * One request's use of the memory: loads static data into this process's memory, then claims,
 * accepts or releases keys, writing static data back whenever it lacks something.
 */
export class StaticDataMemory {
	private readonly memory: DeliveryMemory;
	private readonly now: () => number;
	/** whether static data, as loaded, lacks something the memory holds */
	private stale: boolean;

	constructor(private readonly scope: MemoryScope) {
		this.now = scope.now ?? Date.now;
		const nowMs = this.now();
		this.memory = memoryFor(scope.workflowId, scope.nodeName, nowMs, scope.limits);
		const { copy, problem } = readStoredCopy(scope.staticData[MEMORY_FIELD], scope.log);
		if (problem)
			scope.log(
				`The duplicate memory in static data is ${problem}; it will be replaced by this process's memory (${this.memory.size} keys).`,
			);
		if (copy) this.memory.merge(copy, nowMs, scope.limits);
		this.stale = copy === undefined ? this.memory.size > 0 : !this.memory.isCurrent(copy);
	}

	claim(deliveryKey: string): { verdict: ClaimVerdict; hashedKey: string } {
		const hashedKey = hashDeliveryKey(deliveryKey);
		return { verdict: this.memory.claim(hashedKey, this.now(), this.scope.limits), hashedKey };
	}

	/** Records the key and writes static data (see 4. above for why that may not be saved yet). */
	accept(hashedKey: string, acceptedAtMs?: number): void {
		const nowMs = this.now();
		this.memory.accept(hashedKey, nowMs, this.scope.limits, acceptedAtMs ?? nowMs);
		this.write();
	}

	release(hashedKey: string): void {
		this.memory.release(hashedKey);
		this.writeIfStale();
	}

	/**
	 * For a copy that found its delivery in flight: waits until the request processing it accepts or
	 * releases it, and says whether it was accepted. (A copy is answered 2xx only if the delivery
	 * really was accepted; otherwise the vendor must retry, or the delivery would be lost.)
	 */
	async acceptedAfterWaiting(hashedKey: string): Promise<boolean> {
		await this.memory.settled(hashedKey);
		return this.memory.holds(hashedKey, this.now(), this.scope.limits);
	}

	/** For answers that start no execution (duplicates, refusals): n8n saves these writes on every version. */
	writeIfStale(): void {
		if (this.stale) this.write();
	}

	private write(): void {
		this.scope.staticData[MEMORY_FIELD] = this.memory.toPersisted() as unknown as IDataObject;
		this.stale = false;
	}
}

/**
 * Called from a trigger's `execute()`: records the delivery keys of the execution's items and
 * writes static data, which the execution saves when it ends (4. above). In regular mode the keys
 * are already in this process's memory and this only gets them saved; in queue mode this runs on a
 * worker, whose memory learns them here.
 */
export function recordInExecution(
	scope: MemoryScope,
	deliveries: Array<{ deliveryKey: string; receivedAtMs: number }>,
): void {
	if (deliveries.length === 0) return;
	const memory = new StaticDataMemory(scope);
	for (const { deliveryKey, receivedAtMs } of deliveries)
		memory.accept(hashDeliveryKey(deliveryKey), receivedAtMs);
}
