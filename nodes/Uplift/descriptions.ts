import type { IDataObject, INodeProperties } from 'n8n-workflow';

import type { VendorOperation } from '../shared/operations';

/** The fields the Uplift resources share: name/value lists (custom attributes, filters). */

export type UpliftOperation = VendorOperation;

/** A name/value list (custom attributes, filters) as an object; empty names are skipped. */
export function pairsToObject(value: unknown): IDataObject {
	const list = ((value as IDataObject | undefined)?.pair ?? []) as IDataObject[];
	const out: IDataObject = {};
	for (const p of list) {
		const name = String(p.name ?? '').trim();
		if (name !== '') out[name] = String(p.value ?? '');
	}
	return out;
}

export function pairsProperty(
	displayName: string,
	name: string,
	description: string,
): INodeProperties {
	return {
		displayName,
		name,
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		default: {},
		placeholder: 'Add Attribute',
		description,
		options: [
			{
				displayName: 'Attribute',
				name: 'pair',
				values: [
					{ displayName: 'Name', name: 'name', type: 'string', default: '' },
					{ displayName: 'Value', name: 'value', type: 'string', default: '' },
				],
			},
		],
	};
}
