/**
 * Self-contained HTML reports: inline CSS and inline SVG, no scripts or
 * external resources, so the file opens anywhere and can be archived.
 */
export interface ReportTable {
  columns: string[];
  rows: (string | number)[][];
  caption?: string;
}

export interface ReportSection {
  heading: string;
  text?: string;
  svg?: string;
  table?: ReportTable;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function cell(value: string | number): string {
  if (typeof value === 'number') {
    const text = Number.isInteger(value) ? String(value) : Math.abs(value) < 1e-3 || Math.abs(value) >= 1e6 ? value.toExponential(3) : value.toFixed(4);
    return `<td class="num">${text}</td>`;
  }
  return `<td>${escapeHtml(value)}</td>`;
}

export function renderTable(table: ReportTable): string {
  const head = table.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = table.rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('\n');
  const caption = table.caption ? `<caption>${escapeHtml(table.caption)}</caption>` : '';
  return `<table>${caption}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const STYLE = `body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0;font-size:13px}th,td{border:1px solid #ccc;padding:3px 8px}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}caption{caption-side:bottom;color:#666;font-size:12px}
.meta{color:#555;font-size:12px}figure{margin:0}`;

export function renderHtmlReport(title: string, sections: ReportSection[], meta?: string): string {
  const body = sections
    .map((s) => {
      const parts = [`<h2>${escapeHtml(s.heading)}</h2>`];
      if (s.text) parts.push(`<p>${escapeHtml(s.text)}</p>`);
      if (s.svg) parts.push(`<figure>${s.svg}</figure>`);
      if (s.table) parts.push(renderTable(s.table));
      return `<section>${parts.join('\n')}</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>${meta ? `<p class="meta">${escapeHtml(meta)}</p>` : ''}
${body}
</body></html>
`;
}
