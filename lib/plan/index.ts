/** The resolved layer plan: mapping in, one resolved crossbar config and geometry per layer out. */
export { loadMapping, validateMapping, withCrossbarSize } from './mapping';
export type { CrossbarMapping } from './mapping';
export { planLayers, planGraph, planLoweredLayers, layerPlanOf, groupConfig, groupSeed, chipGroupSeed, planForChip, MAX_CHIP, GROUP_PACKINGS } from './plan';
export type { CrossbarPlan, LayerPlan, LayerShape, PlanLayerInput, PlanInputRange, PlanOptions, GraphPlanOptions, InputSignSource, GroupPacking, GroupPackingPlan } from './plan';
export { nonNegativeValues } from './signs';
