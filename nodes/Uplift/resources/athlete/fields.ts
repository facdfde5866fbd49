import type { INodeProperties } from 'n8n-workflow';

/** Athlete fields whose JSON keys the Uplift docs show (docs/uplift-api.md §4.5). */
export const athleteFieldOptions: INodeProperties[] = [
	{
		displayName: 'Date of Birth',
		name: 'date_of_birth',
		type: 'string',
		default: '',
		placeholder: '2005-04-30',
		description: 'YYYY-MM-DD',
	},
	{
		displayName: 'Email',
		name: 'email',
		type: 'string',
		placeholder: 'name@email.com',
		default: '',
	},
	{
		displayName: 'Height (In)',
		name: 'height',
		type: 'number',
		default: 0,
		description: 'Height in inches',
	},
	{
		displayName: 'Last Name',
		name: 'last_name',
		type: 'string',
		default: '',
	},
	{
		displayName: 'Weight (Lb)',
		name: 'weight',
		type: 'number',
		default: 0,
		description: 'Weight in pounds',
	},
];
