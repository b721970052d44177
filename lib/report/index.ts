export { scatterSvg, scatterSpec } from './plot';
export type { PlotPoint, ScatterOptions } from './plot';
export { renderHtmlReport, renderTable, escapeHtml } from './html';
export type { ReportSection, ReportTable } from './html';
