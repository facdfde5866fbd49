import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { plainSend, sendWithRetry } from '../shared/vendorHttp';
import type { RetryPolicy } from '../shared/vendorHttp';
import { csvFileName, findCsvLink } from './upliftEvent';
import type { UpliftEvent } from './upliftEvent';

/**
 * The download that runs inside the execution, after Uplift already has its 2xx: the kinematic CSV
 * of a `movement.analytics.created` event, as n8n binary data. A failed download never loses the
 * event: the item is emitted with the outcome described under `fetch.csv`.
 */

export interface CsvSettings {
	downloadCsv: boolean;
	binaryPropertyName: string;
	signatureVerified: boolean;
	policy: RetryPolicy;
}

function asEvent(json: IDataObject): UpliftEvent | undefined {
	const data = json.data as IDataObject | undefined;
	if (typeof json.type !== 'string' || typeof data?.object !== 'object' || data.object === null)
		return undefined;
	return {
		id: String(json.id ?? ''),
		type: json.type,
		data: { object: data.object as Record<string, unknown> },
	};
}

async function downloadCsv(
	ctx: IExecuteFunctions,
	event: UpliftEvent,
	settings: CsvSettings,
	nowMs: number,
): Promise<{ outcome: IDataObject; binary?: INodeExecutionData['binary'] }> {
	const link = findCsvLink(event);
	if (!link)
		return {
			outcome: {
				status: 'skipped',
				reason: 'The event carries no download link (data.object.data.url).',
			},
		};
	if (!settings.signatureVerified) {
		// Without a verified signature the link could come from anyone: do not fetch arbitrary URLs.
		return {
			outcome: {
				status: 'skipped',
				reason: 'Signature verification is off, so the link is not trusted and was not downloaded.',
			},
		};
	}
	if (link.expiresAt !== undefined && link.expiresAt <= nowMs) {
		return {
			outcome: {
				status: 'expired',
				expiredAt: new Date(link.expiresAt).toISOString(),
				reason:
					"The pre-signed link has expired (Uplift links last about 7 days). Request the data with Uplift's data export API instead.",
			},
		};
	}
	const result = await sendWithRetry(
		// A pre-signed link: no Authorization header, it could upset the storage origin.
		plainSend(ctx),
		{ method: 'GET', url: link.url, encoding: 'arraybuffer', json: false },
		settings.policy,
	);
	if (!result.ok) {
		return {
			outcome: {
				status: 'failed',
				error: `Downloading the CSV failed: ${result.error}`,
				...(result.statusCode !== undefined ? { statusCode: result.statusCode } : {}),
				attempts: result.attempts,
			},
		};
	}
	const body = result.body;
	const buffer = Buffer.isBuffer(body)
		? body
		: body instanceof ArrayBuffer
			? Buffer.from(body)
			: Buffer.from(String(body ?? ''), 'utf8');
	const fileName = csvFileName(link.url, event.data.object.id);
	const binaryData = await ctx.helpers.prepareBinaryData(buffer, fileName, 'text/csv');
	return {
		outcome: {
			status: 'downloaded',
			binaryProperty: settings.binaryPropertyName,
			fileName,
			bytes: buffer.length,
			attempts: result.attempts,
			...(link.expiresAt !== undefined
				? { linkExpiresAt: new Date(link.expiresAt).toISOString() }
				: {}),
		},
		binary: { [settings.binaryPropertyName]: binaryData },
	};
}

/**
 * A catch-up item's CSV, read by the trigger from Uplift's export API (upliftCatchUp.ts) and carried
 * as text: stored as binary data here, like a downloaded one, so both paths give the same item.
 */
async function storeExportedCsv(
	ctx: IExecuteFunctions,
	csv: IDataObject,
	settings: CsvSettings,
): Promise<{ outcome: IDataObject; binary?: INodeExecutionData['binary'] }> {
	const { text, ...described } = csv;
	if (csv.status !== 'fetched' || typeof text !== 'string') return { outcome: described };
	const buffer = Buffer.from(text, 'utf8');
	const fileName = typeof csv.fileName === 'string' ? csv.fileName : 'uplift_export.csv';
	const binaryData = await ctx.helpers.prepareBinaryData(buffer, fileName, 'text/csv');
	return {
		outcome: {
			...described,
			status: 'downloaded',
			binaryProperty: settings.binaryPropertyName,
			fileName,
			bytes: buffer.length,
		},
		binary: { [settings.binaryPropertyName]: binaryData },
	};
}

/** Enriches one emitted item with its CSV. Never throws: every failure ends up in `fetch.csv`. */
export async function attachCsv(
	ctx: IExecuteFunctions,
	item: INodeExecutionData,
	settings: CsvSettings,
	nowMs: number = Date.now(),
): Promise<INodeExecutionData> {
	const event = asEvent(item.json);
	if (!event || event.type !== 'movement.analytics.created') return item;
	const fetch: IDataObject = { ...((item.json.fetch as IDataObject) ?? {}) };
	const exported = fetch.csv as IDataObject | undefined;
	const fromExport = exported?.source === 'export';
	if (!settings.downloadCsv && !fromExport) return item;
	let binary = item.binary;
	try {
		const { outcome, binary: downloaded } = fromExport
			? await storeExportedCsv(ctx, exported, settings)
			: await downloadCsv(ctx, event, settings, nowMs);
		fetch.csv = outcome;
		if (downloaded) binary = { ...(binary ?? {}), ...downloaded };
	} catch (error) {
		fetch.csv = { status: 'failed', error: `Storing the CSV failed: ${(error as Error).message}` };
	}
	return { ...item, json: { ...item.json, fetch }, ...(binary ? { binary } : {}) };
}
