/**
 * Which event names start the workflow: the multi-select (with "*" for All Events) plus the names
 * typed into the free-text field. Vendors add events without notice, so names are compared without
 * case and an empty selection selects everything.
 */

export const ALL_EVENTS = '*';

export function selectedEventNames(chosen: string[], additional: string): Set<string> {
	return new Set(
		[...chosen, ...additional.split(/[\s,]+/)]
			.map((name) => name.trim().toLowerCase())
			.filter(Boolean),
	);
}

export function isEventSelected(name: string, selected: Set<string>): boolean {
	return selected.size === 0 || selected.has(ALL_EVENTS) || selected.has(name.toLowerCase());
}
