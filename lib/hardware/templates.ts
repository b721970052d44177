/**
 * Architecture templates of the cost model: complete hardware configurations of published
 * memristive accelerators, selectable by name (`hardware: { template: 'isaac' }`) and overridable
 * per field. Every figure names its source in `templateSources` (key path -> source; a prefix
 * covers everything under it; a template's own entry wins over the shared one).
 *
 * - `puma`: PUMAsim (Ankit et al., ASPLOS 2019; github.com/Aayush-Ankit/puma-simulator,
 *   include/constants.py and include/config.py, the analog-MVMU inference path). A core holds
 *   num_matrix = 2 logical matrices (MVMUs) of phy2log_ratio = 8 physical 128x128 2-bit arrays;
 *   per logical matrix one input register (xbar_inMem), one output register (xbar_outMem, "1 OR
 *   for 8 xbars"), one row of DACs, one S&H per column and one shift-and-add
 *   (ima_metrics.compute_area), and num_adc_per_matrix = 2 ADCs (0.25 per array); 8 cores
 *   (num_ima) per tile with a 64 KB eDRAM.
 * - `isaac`: ISAAC (Shafiee et al., ISCA 2016, Table I, 32 nm): an IMA of 8 128x128 arrays with
 *   one 8-bit 1.28 GS/s ADC, 128 DACs and 128 S&H per array, 4 shift-and-adds, a 2 KB input
 *   register and a 256 B output register per IMA; 12 IMAs per tile with a 64 KB eDRAM, a 384-wire
 *   bus and a quarter of a router; crossbar read, S&H hand-off and ADC pipelined (the 100 ns
 *   read cycle covers 128 conversions); layers pipelined with weight replication.
 * - `neurosim`: DNN+NeuroSim V1.3's default inference chip (Peng, Huang, Luo, Sun, Yu, IEDM 2019;
 *   github.com/neurosim/DNN_NeuroSim_V1.3, Inference_pytorch/NeuroSIM/Param.cpp of 2021-05-31,
 *   and the V1.3 manual), where this model has a field for it: 22 nm 1T1R cells of 4F x 12F,
 *   128x128 subarrays read in parallel, one current-mode multilevel sense amplifier (MLSA) per
 *   numColMuxed = 8 columns with levelOutput = 32 (5 bits), each column sensed in 1 ns
 *   (MultilevelSenseAmp.cpp GetColumnLatency at <= 22 nm) at P = 1.7 uW * (levelOutput - 1)
 *   (GetColumnPower, 22 nm LSTP; its column-current term 0.0631/R is the devices' V^2 G, which
 *   this model computes from the plan), the clock of the manual's Fig. 24 run (2.05141 ns).
 *   NeuroSim has no DAC, S&H or eDRAM of PUMA's kind, and its decoders, switch matrices,
 *   multiplexers, adder trees, register-file buffers and H-tree are circuit models without a
 *   per-unit figure: those units keep PUMA's figures (32 nm). published.ts holds the manual's
 *   VGG-8 result and test/hardware/neurosim-vgg8.test.ts states how close this template comes.
 */
import type { HardwareConfig, TemplateName } from './types';

export type { TemplateName } from './types';
export const TEMPLATE_NAMES: readonly TemplateName[] = ['puma', 'isaac', 'neurosim'];

const PUMA = 'PUMAsim include/constants.py (Aayush-Ankit/puma-simulator; ISAAC-derived, 32 nm)';
const PUMA_CFG = 'PUMAsim include/config.py';
const PUMA_METRICS = 'PUMAsim src/ima_metrics.py compute_area/compute_pow_dyn (analog MVMU, inference arrays only)';
const PUMA16 = 'PUMAsim include/example-constants/constants-16.py (the 16x16 figures NAX used)';
const ISAAC = 'ISAAC (Shafiee et al., ISCA 2016) Table I, 32 nm';
const NEUROSIM = 'DNN_NeuroSim V1.3 (neurosim/DNN_NeuroSim_V1.3, Inference_pytorch/NeuroSIM; Peng et al., IEDM 2019)';
const NEUROSIM_MLSA = `${NEUROSIM} MultilevelSenseAmp.cpp, current mode, 22 nm LSTP`;
const NEUROSIM_FIG24 = 'DNN+NeuroSim V1.3 manual, Fig. 24 (VGG-8 on CIFAR-10, 128x128 2-bit RRAM, 22 nm)';

/** NeuroSim's 1T1R cell: heightInFeatureSize1T1R = 4 by widthInFeatureSize1T1R = 12 feature sizes at technode 22 (Param.cpp), mm^2. */
export const NEUROSIM_CELL_AREA_MM2 = 4 * 12 * (22e-6) ** 2;
/**
 * Area of one MLSA (5-bit, 8 columns), mm^2: NeuroSim computes it from transistor sizes and
 * publishes no per-unit figure, so it is taken from the manual's Fig. 24 run: total ADC area
 * 1.46062e7 um^2 over its 4128 subarrays x 16 MLSAs (67,633,152 cells: 14 novel-mapped tiles
 * of 9 x 512 x 512 and 33 conventional tiles of 1024 x 1024). Derived from the published total,
 * so the VGG-8 comparison checks only the MLSA count against it, not this figure.
 */
export const NEUROSIM_MLSA_AREA_MM2 = 1.46062e7 * 1e-6 / (4128 * 16);

/** PUMAsim's size tables (shared by every template; ISAAC's arrays are its 128 entry). */
const crossbarTable: HardwareConfig['crossbar'] = {
  '16': { readPowerWatts: 0.0046875e-3, readLatencySeconds: 16e-9, areaMm2: 3.90625e-7 },
  '32': { readPowerWatts: 0.01875e-3, readLatencySeconds: 32e-9, areaMm2: 1.5625e-6 },
  '64': { readPowerWatts: 0.075e-3, readLatencySeconds: 64e-9, areaMm2: 6.25e-6 },
  '128': { readPowerWatts: 0.3e-3, readLatencySeconds: 128e-9, areaMm2: 2.5e-5 },
  '256': { readPowerWatts: 1.2e-3, readLatencySeconds: 256e-9, areaMm2: 1.0e-4 },
};

const registerTable: HardwareConfig['registers'] = {
  '16': { inputReadPowerWatts: 0.3e-3, inputAreaMm2: 0.00015, outputPowerWatts: 0.1e-3, outputAreaMm2: 0.00015 },
  '32': { inputReadPowerWatts: 0.3e-3, inputAreaMm2: 0.00015, outputPowerWatts: 0.1e-3, outputAreaMm2: 0.00015 },
  '64': { inputReadPowerWatts: 0.7e-3, inputAreaMm2: 0.00033, outputPowerWatts: 0.1e-3, outputAreaMm2: 0.00033 },
  '128': { inputReadPowerWatts: 1.7e-3, inputAreaMm2: 0.00078, outputPowerWatts: 0.16e-3, outputAreaMm2: 0.00078 },
  '256': { inputReadPowerWatts: 4.7e-3, inputAreaMm2: 0.0019, outputPowerWatts: 0.2e-3, outputAreaMm2: 0.0019 },
};

const puma: HardwareConfig = {
  template: 'puma',
  clockHz: 1e9,
  crossbar: crossbarTable,
  crossbarEnergy: 'device',
  activity: { inputBitProbability: 0.5, levelFraction: 0.25 },
  adc: {
    adcsPerArray: 0.25,
    columnsPerAdc: 0,
    energyScaling: 'power-time',
    latencyScaling: 'linear',
    areaScaling: 'constant',
    bits: 8,
    powerWatts: 1.8e-3,
    powerFloorWatts: 0,
    leakageWatts: 0.2e-3,
    sampleRateHz: 1.28e9,
    latencyFloorSeconds: 0,
    areaMm2: 0.0012,
    surveyFloorJoules: 0,
  },
  dac: { powerWatts1Bit: 3.9e-6, areaMm2: 1.67e-7 },
  sampleHold: { powerWatts: 9.7e-9, areaMm2: 3.90625e-8, latencyCycles: 1 },
  shiftAdd: { powerWatts: 0.05e-3, areaMm2: 6e-5, latencyCycles: 1 },
  subtractor: { powerWatts: 9.7e-9, areaMm2: 3.90625e-8 },
  registers: registerTable,
  imaRegisters: { inputReadPowerWatts: 1.24e-3, inputAreaMm2: 0.0021, outputPowerWatts: 0.23e-3, outputAreaMm2: 0.00077 },
  sharing: { dac: 'matrix', sampleHold: 'matrix', shiftAdd: 'matrix', inputRegister: 'matrix', outputRegister: 'matrix' },
  organisation: { arraysPerIma: 16, imasPerTile: 8, shiftAddsPerIma: 2 },
  pipeline: { intraLayer: 'pipelined', interLayer: 'sequential', maxReplication: 8 },
  buffer: { accessEnergyJoules: 17.2e-12, accessBits: 256, outputBits: 8, areaMm2: 0.086, powerWatts: 8.6e-3 },
  interconnect: { accessEnergyJoules: 6e-12, areaMm2: 0.090, powerWatts: 3e-3, routerAreaMm2: 0.047 / 4, routerPowerWatts: 16.13e-3 / 4 },
  // Per core: instrnMem 512 entries (0.00108 * sqrt(8) mm^2; 0.46 * sqrt(8) mW), dataMem 2048 B (0.00392; 0.57 mW),
  // ALU (0.00567 * 32/45; 2.4 * 32/45 mW), activation (0.0003; 0.26 mW), core control (0.00145 * 2.25; 1.25 * 0.2 mW).
  ima: {
    otherAreaMm2: 0.00108 * Math.SQRT2 * 2 + 0.00392 + (0.00567 * 32) / 45 + 0.0003 + 0.00145 * 2.25,
    otherPowerWatts: (0.46 * Math.SQRT2 * 2 + 0.57 + (2.4 * 32) / 45 + 0.26 + 1.25 * 0.2) * 1e-3,
  },
  tile: { otherAreaMm2: 0, otherPowerWatts: 0 },
};

const isaac: HardwareConfig = {
  ...structuredClone(puma),
  template: 'isaac',
  crossbar: { ...structuredClone(crossbarTable), '128': { readPowerWatts: 0.3e-3, readLatencySeconds: 100e-9, areaMm2: 2.5e-5 } },
  adc: {
    ...structuredClone(puma.adc),
    adcsPerArray: 1,
    powerWatts: 2e-3,
    leakageWatts: 0,
  },
  sharing: { dac: 'array', sampleHold: 'array', shiftAdd: 'ima', inputRegister: 'ima', outputRegister: 'ima' },
  organisation: { arraysPerIma: 8, imasPerTile: 12, shiftAddsPerIma: 4 },
  pipeline: { intraLayer: 'pipelined', interLayer: 'pipelined', maxReplication: 8 },
  buffer: { accessEnergyJoules: 17.2e-12, accessBits: 256, outputBits: 8, areaMm2: 0.083, powerWatts: 20.7e-3 },
  interconnect: { accessEnergyJoules: 6e-12, areaMm2: 0.090, powerWatts: 7e-3, routerAreaMm2: 0.151 / 4, routerPowerWatts: 42e-3 / 4 },
  ima: { otherAreaMm2: 0, otherPowerWatts: 0 },
  // 2 sigmoid units (0.52 mW, 0.0006 mm^2), 1 S+A (0.05 mW, 0.00006), 1 max-pool (0.4 mW, 0.00024), a 3 KB OR (1.68 mW, 0.0032).
  tile: { otherAreaMm2: 0.0006 + 0.00006 + 0.00024 + 0.0032, otherPowerWatts: 0.52e-3 + 0.05e-3 + 0.4e-3 + 1.68e-3 },
};

// Every size: NeuroSim's cell area, 1 ns of conduction per read (each column conducts while its
// MLSA senses it); the read power (only for crossbarEnergy 'table') stays PUMAsim's.
const neurosimCrossbar: HardwareConfig['crossbar'] = Object.fromEntries(
  Object.entries(crossbarTable).map(([size, f]) => [size, { readPowerWatts: f.readPowerWatts, readLatencySeconds: 1e-9, areaMm2: Number(size) ** 2 * NEUROSIM_CELL_AREA_MM2 }]),
);

const neurosim: HardwareConfig = {
  ...structuredClone(puma),
  template: 'neurosim',
  clockHz: 1 / 2.05141e-9,
  crossbar: neurosimCrossbar,
  adc: {
    ...structuredClone(puma.adc),
    adcsPerArray: 1,
    columnsPerAdc: 8,
    energyScaling: 'levels',
    latencyScaling: 'constant',
    areaScaling: 'constant',
    bits: 5,
    // P = 1.7 uW * (2^5 - 1) for 1 ns per column.
    powerWatts: 1.7e-6 * 31,
    powerFloorWatts: 0,
    leakageWatts: 0,
    sampleRateHz: 1e9,
    latencyFloorSeconds: 0,
    areaMm2: NEUROSIM_MLSA_AREA_MM2,
  },
};

export const hardwareTemplates: Readonly<Record<TemplateName, HardwareConfig>> = { puma, isaac, neurosim };

/** Sources shared by every template (by key path). */
export const sharedSources: Record<string, string> = {
  template: 'the architecture template the other figures start from (puma, isaac, neurosim)',
  clockHz: `${PUMA}: cycle_time = 1 ns`,
  'crossbar.16': `${PUMA16}: xbar_pow/lat/area for 16`,
  crossbar: `${PUMA}: xbar_pow_dict, xbar_lat_dict, xbar_area_dict (from ISAAC), 2-bit cells`,
  crossbarEnergy:
    "'device': sum over driven cells of V^2 G t_read from the plan's gOn, gOff, vRead and the programmed levels (DESIGN.md); 'table': the size table's readPowerWatts x read time",
  'activity.inputBitProbability': 'modelling choice without a calibration set: each input bit is 1 with probability 1/2 (uniform input codes)',
  'activity.levelFraction':
    'modelling choice without weights: a used cell holds on average 1/4 of the full level (half the cells sit at gOff on the other polarity; the rest uniform over the levels)',
  'adc.energyScaling':
    "'power-time' (PUMAsim: power 0.225*b mW and conversion time 12.5*b ns per 128 columns, so energy per conversion grows as b^2; NeuroSim SarADC.cpp likewise), 'linear' (energy proportional to b: the earlier model, kept for comparison), 'survey' (Murmann, ADC Performance Survey: E = Emin + k*4^b)",
  'adc.latencyScaling': `${PUMA}: adc_lat_dict = 12.5*b ns per 128-column readout (SAR, one bit per cycle)`,
  'adc.areaScaling': `${PUMA}: adc_area_dict = 0.0012 mm^2 for every resolution`,
  'adc.bits': 'anchor resolution of the ADC figures: 8 bits (ISAAC Table I, PUMAsim adc_res = 8)',
  'adc.sampleRateHz': 'ISAAC Table I: 1.28 GS/s (PUMAsim: 128 conversions in adc_lat 100 ns at 8 bits)',
  'adc.areaMm2': 'ISAAC Table I: 0.0012 mm^2 (PUMAsim adc_area_dict)',
  'adc.powerFloorWatts': 'resolution-independent part of the ADC power (0: power proportional to bits)',
  'adc.latencyFloorSeconds': 'resolution-independent part of the conversion time (0: time proportional to bits)',
  'adc.surveyFloorJoules': 'modelling choice: 0 keeps the pure 4x-per-bit slope of the survey envelope',
  'adc.columnsPerAdc': '0: ADC count from adcsPerArray; > 0: one ADC per that many columns of each array',
  'dac.powerWatts1Bit': `${PUMA}: dac_pow_dyn 3.50625 uW + leak 0.390625 uW (ISAAC: 8x128 DACs 4 mW); MNSIM-2.0 DAC.py table 1/2/3/4/6 bits = 3.9 uW * 2^(b-1)`,
  'dac.areaMm2': `${PUMA}: dac_area_dict = 1.67e-7 mm^2 (ISAAC: 8x128 DACs 0.00017 mm^2)`,
  'sampleHold.powerWatts': `${PUMA}: snh_pow = 9.7e-6 mW (ISAAC: 8x128 S&H 10 uW)`,
  'sampleHold.areaMm2': `${PUMA}: snh_area = 0.00004/8/128 mm^2 (ISAAC)`,
  'sampleHold.latencyCycles': `${PUMA}: snh_lat = 1 cycle (the hand-off from bit line to S&H)`,
  'shiftAdd.powerWatts': `${PUMA}: sna_pow = 0.05 mW (ISAAC: 4 S+A 0.2 mW)`,
  'shiftAdd.areaMm2': `${PUMA}: sna_area = 0.00006 mm^2 (ISAAC)`,
  'shiftAdd.latencyCycles': `${PUMA}: sna_lat = 1 cycle`,
  subtractor:
    'modelling choice (no PUMA/ISAAC figure: both subtract digitally): an analog column subtractor at one S&H stage, used by the reference-column and differential readouts',
  'registers.16': `${PUMA16}: xbar_inMem/outMem for 16 (the same as 32: "very small memories")`,
  registers: `${PUMA}: xbar_inMem_pow_dyn_read_dict, xbar_inMem_area_dict, xbar_outMem_pow_dyn_dict, xbar_outMem_area_dict`,
  imaRegisters: `${ISAAC}: IR 2 KB 1.24 mW 0.0021 mm^2, OR 256 B 0.23 mW 0.00077 mm^2 per IMA`,
  'pipeline.maxReplication': 'modelling choice: at most 8 copies of a layer\'s weights under inter-layer pipelining',
  'buffer.accessEnergyJoules': `${PUMA}: edram_pow_dyn 17.2/2 mW over its 2-cycle access = 17.2 pJ per 256-bit access (64 KB eDRAM)`,
  'buffer.accessBits': `${PUMA}: eDRAM access width 256 bits`,
  'buffer.outputBits': 'modelling choice: outputs stored at the 8-bit input precision of the next layer',
  'interconnect.accessEnergyJoules': `${PUMA}: edram_bus_pow_dyn 3 mW per cycle over a 2-cycle eDRAM access (384-wire bus, as ISAAC)`,
  tile: 'tile-level units other than eDRAM, bus and router (none in the PUMA template)',
  ima: 'digital units of an IMA beyond its registers (none in ISAAC\'s IMA)',
};

/** Sources of each template's own figures. */
export const templateOwnSources: Record<TemplateName, Record<string, string>> = {
  puma: {
    'adc.adcsPerArray': `${PUMA_CFG}: num_adc_per_matrix = 2 for phy2log_ratio = 8 arrays of a logical matrix (0.25 per array)`,
    'adc.powerWatts': `${PUMA}: adc_pow_dyn_dict['8'] = 1.8 mW (0.225 mW per bit)`,
    'adc.leakageWatts': `${PUMA}: adc_pow_leak_dict['8'] = 0.2 mW (0.025 mW per bit)`,
    sharing: `${PUMA_METRICS}: per logical matrix one DAC row, one S&H per column, one shift-and-add, one input and one output register`,
    organisation: `${PUMA_CFG}: num_matrix = 2 matrices x 8 arrays per core, num_ima = 8 cores per tile; one shift-and-add per matrix`,
    ima: `${PUMA}: per core instrnMem_area_dict['512'] * sqrt(8), dataMem_area_dict['2048'], alu_area, act_area, ccu_area (and their dynamic powers); ${PUMA_METRICS}`,
    pipeline: 'PUMAsim: the S&H lets the ADCs convert one read while the next is in flight; layers run one after another',
    'buffer.areaMm2': `${PUMA}: edram_area_dict['64'] = 0.086 mm^2 per tile`,
    'buffer.powerWatts': `${PUMA}: edram_pow_dyn 8.6 mW`,
    'interconnect.areaMm2': `${PUMA}: edram_bus_area = 0.090 mm^2 per tile`,
    'interconnect.powerWatts': `${PUMA}: edram_bus_pow_dyn = 3 mW`,
    'interconnect.routerAreaMm2': `${PUMA}: noc_area_dict['4'] = 0.047 mm^2 per router, one router per 4 tiles (config.py cmesh_c = 4)`,
    'interconnect.routerPowerWatts': `${PUMA}: noc_pow_dyn_dict['4'] = 16.13 mW per router, one router per 4 tiles`,
  },
  isaac: {
    'crossbar.128': `${ISAAC}: 8 arrays 2.4 mW, 0.0002 mm^2; 100 ns read cycle`,
    'adc.adcsPerArray': `${ISAAC}: 8 ADCs per IMA of 8 arrays`,
    'adc.powerWatts': `${ISAAC}: 8 ADCs 16 mW at 1.28 GS/s (2 mW, 1.5625 pJ per 8-bit conversion)`,
    'adc.leakageWatts': `${ISAAC}: the 2 mW is the ADC's whole power (no separate leakage)`,
    sharing: `${ISAAC}: DACs and S&H per array row/column; IR, OR and 4 S+A shared by the 8 arrays of an IMA`,
    organisation: `${ISAAC}: 8 arrays per IMA, 12 IMAs per tile, 4 S+A per IMA`,
    pipeline: `${ISAAC}: crossbar read, S&H and ADC pipelined (section 4); layers pipelined with replication of early layers`,
    'buffer.areaMm2': `${ISAAC}: eDRAM 64 KB 20.7 mW, 0.083 mm^2 per tile`,
    'buffer.powerWatts': `${ISAAC}: eDRAM 64 KB 20.7 mW`,
    'interconnect.areaMm2': `${ISAAC}: eDRAM-to-IMA bus, 384 wires, 7 mW, 0.090 mm^2`,
    'interconnect.powerWatts': `${ISAAC}: eDRAM-to-IMA bus 7 mW`,
    'interconnect.routerAreaMm2': `${ISAAC}: router 0.151 mm^2, shared by 4 tiles`,
    'interconnect.routerPowerWatts': `${ISAAC}: router 42 mW, shared by 4 tiles`,
    tile: `${ISAAC}: sigmoid 2 x (0.26 mW, 0.0003 mm^2), S+A 0.05 mW 0.00006 mm^2, max-pool 0.4 mW 0.00024 mm^2, OR 3 KB 1.68 mW 0.0032 mm^2`,
  },
  neurosim: {
    clockHz: `${NEUROSIM_FIG24}: chip clock period 2.05141 ns (synchronous mode: the clock follows the sensing delay)`,
    crossbar: `${NEUROSIM} Param.cpp: 1T1R cell 4F x 12F at technode 22 (area); MultilevelSenseAmp.cpp: 1 ns column sensing at <= 22 nm (read time); readPowerWatts PUMAsim's (crossbarEnergy 'table' only)`,
    'crossbar.16': `${NEUROSIM} Param.cpp: 1T1R cell 4F x 12F at technode 22 (area); 1 ns column sensing (read time); readPowerWatts from ${PUMA16}`,
    'adc.adcsPerArray': `${NEUROSIM} Param.cpp: one MLSA per numColMuxed = 8 columns (columnsPerAdc)`,
    'adc.columnsPerAdc': `${NEUROSIM} Param.cpp: numColMuxed = 8`,
    'adc.energyScaling': `${NEUROSIM_MLSA}: GetColumnPower = 1.7 uW * (levelOutput - 1) + 0.0631/R (the R term: the devices, costed from the plan)`,
    'adc.latencyScaling': `${NEUROSIM_MLSA}: GetColumnLatency = 1 ns for every level count at <= 22 nm`,
    'adc.areaScaling': 'modelling choice: the MLSA area at its 5-bit anchor for every resolution',
    'adc.bits': `${NEUROSIM} Param.cpp: levelOutput = 32 (5 bits)`,
    'adc.powerWatts': `${NEUROSIM_MLSA}: 1.7 uW * (32 - 1) = 52.7 uW`,
    'adc.powerFloorWatts': `${NEUROSIM_MLSA}: no level-independent term`,
    'adc.leakageWatts': `${NEUROSIM_MLSA}: no leakage term`,
    'adc.sampleRateHz': `${NEUROSIM_MLSA}: 1 ns per column`,
    'adc.latencyFloorSeconds': `${NEUROSIM_MLSA}: constant 1 ns`,
    'adc.areaMm2': `${NEUROSIM_FIG24}: ADC area 1.46062e7 um^2 / (4128 subarrays x 16 MLSAs) = 221 um^2 (no per-unit figure is published)`,
    sharing: `${PUMA_METRICS} (NeuroSim publishes no per-component figures of this kind for the other peripherals)`,
    organisation: `${PUMA_CFG}`,
    pipeline: 'PUMAsim organisation',
    buffer: `${PUMA}`,
    interconnect: `${PUMA}`,
  },
};
