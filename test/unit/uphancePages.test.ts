/**
 * Reading one page of an Uphance list (nodes/Uphance/transport/pages.ts), the reader both the action
 * node and catch-up use: the list ends only where Uphance says so.
 */
import { readUphancePage } from '../../nodes/Uphance/transport/pages';

const meta = (extra: object) => ({ current_page: 1, prev_page: null, ...extra });
const records = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i + 1 }));

describe('readUphancePage', () => {
	it('a short page is not the end while next_page names one (pages of 50 for production orders)', () => {
		const read = readUphancePage({ production_orders: records(50), meta: meta({ next_page: 2, total_pages: 3 }) }, 'production_orders', 1);
		expect(read).toEqual({ ok: true, page: { records: records(50), next: 2 } });
	});

	it('next_page as digits or as a URL with a page parameter', () => {
		expect(readUphancePage({ invoices: records(1), meta: meta({ next_page: '3' }) }, 'invoices', 2)).toMatchObject({ ok: true, page: { next: 3 } });
		const url = 'https://api.uphance.com/invoices?since_created_at=2026-03-01T00%3A00%3A00Z&page=4';
		expect(readUphancePage({ invoices: records(1), meta: meta({ next_page: url }) }, 'invoices', 3)).toMatchObject({ ok: true, page: { next: 4 } });
	});

	it('total_pages is honoured where next_page is null', () => {
		expect(readUphancePage({ invoices: records(2), meta: meta({ next_page: null, total_pages: 2, total_count: 150 }) }, 'invoices', 1)).toEqual({
			ok: true,
			page: { records: records(2), next: 2, totalCount: 150 },
		});
		expect(readUphancePage({ invoices: records(2), meta: meta({ next_page: null, total_pages: 2 }) }, 'invoices', 2)).toEqual({ ok: true, page: { records: records(2) } });
	});

	it('an empty page ends the list', () => {
		expect(readUphancePage({ invoices: [], meta: meta({ next_page: 2 }) }, 'invoices', 1)).toEqual({ ok: true, page: { records: [] } });
	});

	it('an answer without the list, without meta, or with a next_page that names no later page is an error naming it, with keys and no values', () => {
		expect(readUphancePage({ invoice: { id: 1, secret: 's3cr3t' }, meta: meta({}) }, 'invoices', 1)).toEqual({
			ok: false,
			error: `Uphance's answer to GET /invoices (page 1) has no \`invoices\` list (top-level keys: "invoice", "meta")`,
		});
		expect(readUphancePage({ invoices: records(1) }, 'invoices', 1)).toEqual({
			ok: false,
			error: `Uphance's answer to GET /invoices (page 1) has no \`meta\` object (top-level keys: "invoices")`,
		});
		expect(readUphancePage({ invoices: records(1), meta: meta({ next_page: 1 }) }, 'invoices', 1)).toMatchObject({ ok: false, error: expect.stringMatching(/next_page` that names no later page/) });
		expect(readUphancePage({ invoices: records(1), meta: meta({ next_page: 'https://x/invoices' }) }, 'invoices', 1)).toMatchObject({ ok: false });
		expect(readUphancePage('<html>', 'invoices', 1)).toMatchObject({ ok: false, error: expect.stringMatching(/^Uphance's answer to GET \/invoices \(page 1\) is not an object \(top-level keys: none/) });
		expect(JSON.stringify(readUphancePage({ invoice: { secret: 's3cr3t' } }, 'invoices', 1))).not.toContain('s3cr3t');
	});
});
