import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { sendWithRetry } from '../shared/vendorHttp';
import type { RetryPolicy } from '../shared/vendorHttp';
import { csvFileName, findCaptureId, findCsvLink } from './upliftEvent';
import type { UpliftEvent } from './upliftEvent';
import { upliftBaseUrl } from '../../credentials/UpliftApi.credentials';

/**
 * Follow-ups that run inside the execution, after Uplift already has its 2xx: the kinematic CSV
 * (as n8n binary data) and, when asked, the capture from the Uplift API. A failed follow-up never
 * loses the event: the item is emitted with the outcome described under `followUp`.
 */

export interface UpliftFollowUpSettings {
	downloadCsv: boolean;
	binaryPropertyName: string;
	fetchCapture: boolean;
	signatureVerified: boolean;
	/** the item field that receives the outcomes: `fetch` (version 2) or `followUp` (1, 1.1) */
	outcomeField: string;
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
	settings: UpliftFollowUpSettings,
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
		(options) => ctx.helpers.httpRequest(options),
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

async function fetchCapture(
	ctx: IExecuteFunctions,
	event: UpliftEvent,
	settings: UpliftFollowUpSettings,
): Promise<IDataObject> {
	const captureId = findCaptureId(event);
	if (!captureId) return { status: 'skipped', reason: 'The event names no capture.' };
	const credentials = await ctx.getCredentials<{ baseUrl?: string }>('upliftApi');
	const baseUrl = upliftBaseUrl(credentials.baseUrl);
	const result = await sendWithRetry(
		(options) => ctx.helpers.httpRequestWithAuthentication.call(ctx, 'upliftApi', options),
		{ method: 'GET', url: `${baseUrl}/captures/${encodeURIComponent(captureId)}`, json: true },
		settings.policy,
	);
	if (!result.ok) {
		return {
			status: 'failed',
			captureId,
			error: `Fetching capture ${captureId} failed: ${result.error}${result.statusCode === 401 ? ' (check the API key in the Uplift credential)' : ''}`,
			...(result.statusCode !== undefined ? { statusCode: result.statusCode } : {}),
			attempts: result.attempts,
		};
	}
	return { status: 'fetched', captureId, capture: result.body as IDataObject };
}

/** Enriches one emitted item. Never throws: every failure ends up in the item's outcome field (`fetch`, or `followUp` before version 2). */
export async function runUpliftFollowUps(
	ctx: IExecuteFunctions,
	item: INodeExecutionData,
	settings: UpliftFollowUpSettings,
	nowMs: number = Date.now(),
): Promise<INodeExecutionData> {
	const json = { ...item.json };
	const followUp: IDataObject = { ...((json[settings.outcomeField] as IDataObject) ?? {}) };
	let binary = item.binary;
	const event = asEvent(json);
	if (event && event.type === 'movement.analytics.created' && settings.downloadCsv) {
		try {
			const { outcome, binary: downloaded } = await downloadCsv(ctx, event, settings, nowMs);
			followUp.csv = outcome;
			if (downloaded) binary = { ...(binary ?? {}), ...downloaded };
		} catch (error) {
			followUp.csv = {
				status: 'failed',
				error: `Storing the CSV failed: ${(error as Error).message}`,
			};
		}
	}
	if (event && settings.fetchCapture) {
		try {
			followUp.capture = await fetchCapture(ctx, event, settings);
		} catch (error) {
			followUp.capture = {
				status: 'failed',
				error: `Fetching the capture failed: ${(error as Error).message}`,
			};
		}
	}
	json[settings.outcomeField] = followUp;
	return { ...item, json, ...(binary ? { binary } : {}) };
}
