import type { IDataObject } from 'n8n-workflow';

/**
 * Takes one record out of a vendor's answer to a "get one" request. A leaf module: the Uphance
 * Trigger's record fetch (nodes/UphanceTrigger/uphanceRecord.ts) and the Uphance action node's
 * `unwrapOne` (nodes/Uphance/transport/index.ts) read single-record answers with this one rule.
 *
 * Accepted, under the singular or the plural key (`credit_note` / `credit_notes`):
 * - the record as an object: `{"credit_notes": {...}}` (what Uphance's GET /credit_notes/{id}
 *   answers, docs/uphance-api.md §4);
 * - a list of one: `{"credit_notes": [{...}]}`;
 * - a list of several that holds the record with the requested id (a filtered list such as
 *   GET /invoices?invoice_id=);
 * - the bare record, only where the caller allows it (an endpoint whose answer is the record).
 * A record whose `id` differs from the requested one never passes. An empty list means "no such
 * record". Anything else is an answer of unexpected shape: its message names the expected keys
 * and lists the top-level keys found, never a value.
 */

export interface SingleRecordSpec {
	/** keys the record may sit under, the documented one first: ['credit_notes', 'credit_note'] */
	keys: string[];
	/** the requested id; a record with another id never passes */
	id?: number | string;
	/** the answer may be the bare record (an object with an `id`, no envelope) */
	bareAllowed?: boolean;
	/** for messages: "Uphance" */
	vendor: string;
	/** for messages: "credit_note", "pick ticket" */
	what: string;
	/** for messages: "GET /credit_notes/7" */
	request: string;
}

export type SingleRecord =
	| { ok: true; record: IDataObject }
	| {
			ok: false;
			/**
			 * `empty`: the envelope holds an empty list (no such record). `shape`: the answer is not one
			 * of the accepted forms (a list of several without the requested id included). `otherId`:
			 * the one record of the answer has another id.
			 */
			problem: 'empty' | 'shape' | 'otherId';
			message: string;
	  };

const MAX_KEYS_SHOWN = 20;
const MAX_KEY_LENGTH = 60;

const isRecord = (value: unknown): value is IDataObject =>
	typeof value === 'object' && value !== null && !Array.isArray(value);

const sameId = (a: unknown, b: number | string) =>
	a !== undefined && a !== null && String(a) === String(b);

/** What a value is, never what it holds: "null", "a string". */
const kindOf = (value: unknown) => (value === null ? 'null' : `a ${typeof value}`);

const quoted = (key: string) => `\`${key}\``;

/** The top-level keys of an answer, for an error message: names only, never values, bounded. */
export function describeKeys(body: unknown): string {
	if (Array.isArray(body)) return 'none (the answer is a JSON array)';
	if (!isRecord(body)) return `none (the answer is ${kindOf(body)})`;
	const keys = Object.keys(body);
	if (keys.length === 0) return 'none (an empty object)';
	const shown = keys
		.slice(0, MAX_KEYS_SHOWN)
		.map((k) => (k.length > MAX_KEY_LENGTH ? `${k.slice(0, MAX_KEY_LENGTH)}…` : k))
		.map((k) => JSON.stringify(k));
	const more = keys.length > MAX_KEYS_SHOWN ? ` and ${keys.length - MAX_KEYS_SHOWN} more` : '';
	return `${shown.join(', ')}${more}`;
}

/** "`credit_notes` or `credit_note`" */
function keyList(keys: string[]): string {
	const q = keys.map(quoted);
	return q.length <= 1 ? (q[0] ?? '') : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

/** The other record's id is a value of the answer: the message does not show it. */
function otherId(spec: SingleRecordSpec): SingleRecord {
	return {
		ok: false,
		problem: 'otherId',
		message: `${spec.vendor} answered ${spec.request} with a ${spec.what} whose \`id\` is not ${String(spec.id)}.`,
	};
}

/** The record itself: passes unless it carries an id that is not the requested one. */
export function checkSingle(record: IDataObject, spec: SingleRecordSpec): SingleRecord {
	if (spec.id !== undefined && record.id !== undefined && !sameId(record.id, spec.id))
		return otherId(spec);
	return { ok: true, record };
}

/** A list under the envelope key: the element with the requested id, or its only element. */
export function pickFromList(items: unknown[], key: string, spec: SingleRecordSpec): SingleRecord {
	if (items.length === 0)
		return {
			ok: false,
			problem: 'empty',
			message: `${spec.vendor} answered ${spec.request} with an empty ${quoted(key)} list: no ${spec.what}${spec.id !== undefined ? ` with id ${String(spec.id)}` : ''}.`,
		};
	if (!items.every(isRecord))
		return {
			ok: false,
			problem: 'shape',
			message: `${spec.vendor}'s answer to ${spec.request} has a ${quoted(key)} list whose elements are not all objects.`,
		};
	if (spec.id !== undefined) {
		const match = items.find((r) => sameId(r.id, spec.id!));
		if (match) return { ok: true, record: match };
	}
	if (items.length === 1) return checkSingle(items[0], spec);
	return {
		ok: false,
		problem: 'shape',
		message: `${spec.vendor}'s answer to ${spec.request} lists ${items.length} records under ${quoted(key)}${spec.id !== undefined ? `, none with id ${String(spec.id)}` : ''}; one ${spec.what} was expected.`,
	};
}

/** The record in `body`, or why there is none (see the module comment for the accepted forms). */
export function unwrapSingleRecord(body: unknown, spec: SingleRecordSpec): SingleRecord {
	if (isRecord(body)) {
		for (const key of spec.keys) {
			const value = body[key];
			if (isRecord(value)) return checkSingle(value, spec);
			if (Array.isArray(value)) return pickFromList(value, key, spec);
		}
		if (spec.bareAllowed && body.id !== undefined && body.id !== null)
			return checkSingle(body, spec);
	}
	const expected = `${keyList(spec.keys)} (an object, or a list of one)${spec.bareAllowed ? ', nor is it the bare record' : ''}`;
	const misfit = isRecord(body) ? spec.keys.find((key) => body[key] !== undefined) : undefined;
	const answer = !isRecord(body)
		? `is not a JSON object with ${expected}`
		: misfit !== undefined
			? `has ${quoted(misfit)}, but it holds ${kindOf(body[misfit])}: expected ${expected}`
			: `has no ${expected}`;
	return {
		ok: false,
		problem: 'shape',
		message: `${spec.vendor}'s answer to ${spec.request} ${answer}. Top-level keys found: ${describeKeys(body)}.`,
	};
}
