/** Crossbar-size sweep (`nax-native sweep`): the evaluation and its report. */
export { sweep, parseSweepSizes, DEFAULT_SWEEP_SIZES, SWEEP_SIZE_RANGE } from './sweep';
export type { SweepOptions, SweepResult, SweepRow, SweepProgress } from './sweep';
export { sweepTableRows, sweepReportFiles, sweepPlotPoints } from './report';
export type { SweepReportFiles } from './report';
