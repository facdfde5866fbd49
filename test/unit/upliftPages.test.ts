/**
 * Uplift's page reader (nodes/Uplift/transport/pages.ts), the one rule the Uplift node's lists and
 * the Uplift Trigger's catch-up use to read `limit`/`offset` answers (docs/uplift-api.md §4.3–4.4).
 */
import { readUpliftPage } from '../../nodes/Uplift/transport/pages';

const at = (offset: number, limit: number, extra = {}) => ({ request: 'GET /captures', offset, limit, ...extra });
const captures = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ session_id: `s${from + i}` }));

describe('readUpliftPage', () => {
	it('goes on while total_count says more, also after a page shorter than asked (a server that clamps the limit)', () => {
		const read = readUpliftPage({ captures: captures(100), total_count: 1200 }, 'captures', at(0, 500));
		expect(read).toEqual({ ok: true, page: { records: captures(100), totalCount: 1200, nextOffset: 100 } });
	});

	it('ends where total_count says, though the page is full', () => {
		const read = readUpliftPage({ captures: captures(500, 700), total_count: 1200 }, 'captures', at(700, 500));
		expect(read.ok && read.page.nextOffset).toBeUndefined();
	});

	it('without total_count: a full page goes on, a short or empty one ends (as Uplift’s sample client pages until rows is empty)', () => {
		const full = readUpliftPage({ rows: captures(500) }, 'rows', at(0, 500));
		expect(full.ok && full.page.nextOffset).toBe(500);
		const short = readUpliftPage({ rows: captures(3) }, 'rows', at(500, 500));
		expect(short.ok && short.page.nextOffset).toBeUndefined();
		const empty = readUpliftPage({ rows: [], total_count: 10 }, 'rows', at(10, 500));
		expect(empty).toEqual({ ok: true, page: { records: [], totalCount: 10 } });
	});

	it('an answer without the list is an error naming the list and the keys found, never a value', () => {
		const read = readUpliftPage({ data: [{ secret: 'VALUE' }], total_count: 1 }, 'captures', at(0, 500));
		expect(read).toEqual({
			ok: false,
			error: 'Uplift\'s answer to GET /captures (offset 0) has no `captures` list (top-level keys: "data", "total_count")',
		});
		expect(JSON.stringify(read)).not.toContain('VALUE');
		expect(readUpliftPage('<html>', 'captures', at(0, 500)).ok).toBe(false);
		expect(readUpliftPage(null, 'captures', at(0, 500)).ok).toBe(false);
	});

	it('a bare list only where allowed (Find Athletes)', () => {
		expect(readUpliftPage(captures(2), 'athletes', at(0, 500)).ok).toBe(false);
		const bare = readUpliftPage(captures(2), 'athletes', at(0, 500, { bareListAllowed: true }));
		expect(bare).toEqual({ ok: true, page: { records: captures(2) } });
	});
});
