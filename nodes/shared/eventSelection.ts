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

/**
 * The canvas subtitle: the chosen events by the names the Events list shows ("Pick Ticket
 * Updated"), not their ids. The editor evaluates it as an expression over the node's parameters;
 * names it does not know (typed in by hand) are shown as they are.
 */
export function eventsSubtitle(events: Array<{ value: string; name: string }>): string {
	const names = JSON.stringify(Object.fromEntries(events.map(({ value, name }) => [value, name])));
	return `={{($parameter["events"] || []).includes("${ALL_EVENTS}") ? "All events" : ($parameter["events"] || []).map((e) => (${names})[e] || e).join(", ")}}`;
}
