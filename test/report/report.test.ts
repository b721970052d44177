import { scatterSvg, renderHtmlReport, escapeHtml } from '../../lib/report';

describe('report', () => {
  it('renders an accuracy-vs-EDAP scatter to SVG with one mark per point', async () => {
    const svg = await scatterSvg(
      [
        { label: 'xbar16', accuracy: 0.98, edap: 2e-12, series: 'baseline' },
        { label: 'xbar64', accuracy: 0.97, edap: 1e-12, series: 'baseline' },
        { label: 'g1', accuracy: 0.985, edap: 0.8e-12, series: 'pareto front' },
      ],
      { title: 'test plot', connectSeries: ['pareto front'] },
    );
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('test plot');
    expect(svg).toContain('xbar16');
    expect(svg).toContain('EDAP');
    // one symbol per point in the point layer
    const symbols = svg.match(/<g class="mark-symbol role-mark[^"]*"[^>]*>(.*?)<\/g>/s);
    expect(symbols).not.toBeNull();
    expect((symbols![1].match(/<path/g) ?? []).length).toBe(3);
  });

  it('builds a self-contained page with escaped text and numeric cells', () => {
    const html = renderHtmlReport('Title <x>', [
      { heading: 'Table', table: { columns: ['name', 'value'], rows: [['a&b', 0.5], ['c', 3]] } },
    ]);
    expect(html).toContain('Title &lt;x&gt;');
    expect(html).toContain('<td>a&amp;b</td>');
    expect(html).toContain('<td class="num">0.5000</td>');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(escapeHtml(`"'`)).toBe('&quot;&#39;');
  });
});
