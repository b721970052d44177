export { scatterSvg, scatterSpec } from './plot';
export type { PlotPoint, ScatterOptions } from './plot';
export { renderHtmlReport, renderTable, escapeHtml } from './html';
export type { ReportSection, ReportTable } from './html';
export { linePlotSvg, linePlotSpec } from './lines';
export type { LinePoint, LinePlotOptions } from './lines';
