import type { IDataObject } from 'n8n-workflow';

import { ok, refuse, refuseNotReady } from '../shared/refusal';
import type { Step } from '../shared/refusal';
import { safeEqualStrings } from '../shared/signature';

/** The query parameter that carries the secret URL token (Uphance does not sign its webhooks). */
export const URL_TOKEN_PARAMETER = 'token';

/** The URL token check: `?token=` must equal the credential's Webhook URL Token (constant time). */
export function checkUrlToken(expected: string | undefined, query: IDataObject): Step<void> {
	if (!expected) {
		// The caller is not authenticated: it learns that the trigger is not ready, not why.
		return refuseNotReady(
			'Uphance',
			'Require URL Token is on but the Uphance API credential has no Webhook URL Token. Set one (a long random secret) and add ?token=<it> to the URL in Uphance, or turn off Require URL Token.',
		);
	}
	const received = query[URL_TOKEN_PARAMETER];
	if (received === undefined || received === '') {
		return refuse(
			401,
			'The URL has no ?token=. In Uphance (Apps → Uphance API → webhook), use the Production URL followed by ?token=<Webhook URL Token from the Uphance API credential>.',
		);
	}
	if (!safeEqualStrings(expected, received)) {
		return refuse(
			401,
			'The ?token= in the URL does not match the Webhook URL Token of the Uphance API credential.',
		);
	}
	return ok(undefined);
}

/**
 * Why the trigger cannot be activated, if it cannot: Require URL Token is on and the credential has
 * no Webhook URL Token, so every delivery would be answered 503 (see checkUrlToken).
 */
export function missingUrlTokenProblem(
	requireToken: boolean,
	urlToken: string | undefined,
): { message: string; description: string } | undefined {
	if (!requireToken || (urlToken ?? '') !== '') return undefined;
	return {
		message: 'The Uphance API credential has no Webhook URL Token',
		description:
			"Require URL Token is on, so without a Webhook URL Token every delivery would be refused. Open the Uphance API credential, set Webhook URL Token to a long random secret, and paste into Uphance this node's Production URL followed by ?token=<that secret>. (Or turn off Require URL Token.)",
	};
}
