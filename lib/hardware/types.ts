/**
 * The types of the cost model's hardware configuration (lib/hardware/config.ts validates and
 * resolves them; lib/hardware/templates.ts holds the published templates).
 */

/** The architecture templates (lib/hardware/templates.ts). */
export type TemplateName = 'puma' | 'isaac' | 'neurosim';

/** A square crossbar's read figures (PUMAsim `xbar_*_dict`, 2-bit cells). */
export interface CrossbarFigures {
  /** Power drawn while the array is read, watts. */
  readPowerWatts: number;
  /** Duration of one analog read (inputs applied until bit lines settle), seconds. */
  readLatencySeconds: number;
  areaMm2: number;
}

/** Per-array input/output registers (PUMAsim `xbar_inMem` / `xbar_outMem`), indexed by rows / cols. */
export interface RegisterFigures {
  /** Input register read power (one access = dacBits for every row), watts. */
  inputReadPowerWatts: number;
  inputAreaMm2: number;
  /** Output register write power (one access = one value per column), watts. */
  outputPowerWatts: number;
  outputAreaMm2: number;
}

export type AdcEnergyScaling = 'power-time' | 'linear' | 'survey' | 'levels';
export type AdcLatencyScaling = 'linear' | 'constant';
export type AdcAreaScaling = 'constant' | 'linear';

export interface AdcConfig {
  /**
   * ADCs per array that converts (a G+/G- pair counts once under the differential readout):
   * ISAAC 1, PUMA 0.25 (2 ADCs per logical matrix of 8 arrays). A read takes
   * ceil(usedColumns / adcsPerArray) conversions on the busiest ADC.
   */
  adcsPerArray: number;
  /** When > 0, instead of adcsPerArray: one ADC per this many columns of an array (NeuroSim's column mux). */
  columnsPerAdc: number;
  /**
   * Energy per conversion at b bits: 'power-time' (PUMA, NeuroSim): power P(b) times
   * conversion time t(b), both through the anchor point and linear in b above their floors, so
   * E grows as b^2 when both floors are 0; 'linear': E = E0 * b / b0 (the earlier model, which
   * took time linear in b but energy only linear too); 'survey': Murmann's envelope E = Emin +
   * k * 4^b through the anchor (about 4x per bit once thermal noise dominates); 'levels':
   * power and energy proportional to the 2^b - 1 reference levels at a fixed conversion time
   * (NeuroSim's multilevel sense amplifier: P = k * (levelOutput - 1), MultilevelSenseAmp.cpp).
   */
  energyScaling: AdcEnergyScaling;
  /** Conversion time: 'linear' in bits above latencyFloorSeconds (SAR: one bit per cycle) or 'constant'. */
  latencyScaling: AdcLatencyScaling;
  /** ADC area: 'constant' (PUMAsim: 0.0012 mm^2 for every resolution) or 'linear' in bits. */
  areaScaling: AdcAreaScaling;
  /** Resolution of the anchor figures. */
  bits: number;
  /** Dynamic power at the anchor, watts (PUMA 1.8 mW, ISAAC 2 mW at 8 bits). */
  powerWatts: number;
  /** b-independent part of the power, watts: P(b) = floor + (powerWatts - floor) * b / bits. */
  powerFloorWatts: number;
  /** Leakage at the anchor, watts, scaled with b like the power; drawn while the layer runs. */
  leakageWatts: number;
  /** Anchor sample rate, conversions per second (1 / conversion time at the anchor). */
  sampleRateHz: number;
  /** b-independent part of the conversion time, seconds. */
  latencyFloorSeconds: number;
  /** Anchor area, mm^2 (ISAAC: 0.0012). */
  areaMm2: number;
  /** 'survey' only: the resolution-independent floor Emin, joules (0 = pure 4x per bit). */
  surveyFloorJoules: number;
}

/** Which unit one peripheral serves: each physical array, each logical matrix (a row tile x column tile, all its slices and G+/G- arrays), or each IMA. */
export type PeripheralSharing = 'array' | 'matrix' | 'ima';

export interface SharingConfig {
  /** A row of DACs per physical array (ISAAC) or per logical matrix, whose arrays see the same inputs (PUMA). */
  dac: 'array' | 'matrix';
  /** One S&H per column of each array (ISAAC) or per column of a logical matrix (PUMAsim's count). */
  sampleHold: 'array' | 'matrix';
  /** One shift-and-add per ADC, per logical matrix (PUMA) or organisation.shiftAddsPerIma per IMA (ISAAC). */
  shiftAdd: 'adc' | 'matrix' | 'ima';
  /** Input register per array, per logical matrix (PUMA xbar_inMem) or per IMA (ISAAC's 2 KB IR). */
  inputRegister: PeripheralSharing;
  /** Output register per array, per logical matrix (PUMA: "1 OR for 8 xbars") or per IMA (ISAAC's 256 B OR). */
  outputRegister: PeripheralSharing;
}

export interface PipelineConfig {
  /**
   * Within a layer: 'pipelined' (ISAAC): the S&H hands the bit lines' values to the ADCs, which
   * convert one read while the next is in flight, so a read cycle is max(read + hand-off, ADC
   * readout); 'serial': read, hand-off, conversions and shift-add one after another.
   */
  intraLayer: 'pipelined' | 'serial';
  /**
   * Between layers: 'sequential' (one layer at a time; latency adds) or 'pipelined' (ISAAC: every
   * layer on its own arrays works on a different image; the time per image is the slowest
   * layer's, after replicating slow layers' weights up to maxReplication times, which multiplies
   * their area).
   */
  interLayer: 'sequential' | 'pipelined';
  maxReplication: number;
}

export interface HardwareConfig {
  /** The architecture template the figures start from (lib/hardware/templates.ts). */
  template: TemplateName;
  /** Digital clock (shift-add, registers, S&H hand-off), hertz. PUMAsim: cycle_time = 1 ns. */
  clockHz: number;
  /**
   * Square crossbar figures keyed by size (rows = cols). Other shapes scale
   * from the nearest size: power and area with rows*cols, latency with rows.
   */
  crossbar: Record<string, CrossbarFigures>;
  /** Crossbar read energy from the devices ('device') or from the table's read power ('table'). */
  crossbarEnergy: 'device' | 'table';
  /** Defaults of the device energy where no calibration set or weights are given. */
  activity: {
    /** Probability that an input bit is 1. */
    inputBitProbability: number;
    /** Mean programmed level of a used cell as a fraction of the top level (G - gOff) / (gOn - gOff). */
    levelFraction: number;
  };
  adc: AdcConfig;
  dac: {
    /** Power of a 1-bit DAC, watts; a b-bit DAC draws powerWatts1Bit * 2^(b-1) (MNSIM-2.0's table). */
    powerWatts1Bit: number;
    /** Area of one DAC (one per row), mm^2 (PUMAsim: the same for every resolution). */
    areaMm2: number;
  };
  /** Sample-and-hold per column (sharing.sampleHold); holds a column until it is converted. */
  sampleHold: { powerWatts: number; areaMm2: number; latencyCycles: number };
  /** Shift-and-add units (sharing.shiftAdd); one operation per conversion. */
  shiftAdd: { powerWatts: number; areaMm2: number; latencyCycles: number };
  /** Analog subtractor per converted column (reference-column and differential readouts). */
  subtractor: { powerWatts: number; areaMm2: number };
  /**
   * Registers keyed by size (input register by rows, output register by cols), used for
   * 'array' and 'matrix' sharing; sizes between entries interpolate linearly, beyond them scale
   * proportionally. One access per read of the unit they serve, one clock cycle each.
   */
  registers: Record<string, RegisterFigures>;
  /** The registers of one IMA ('ima' sharing: ISAAC's 2 KB IR and 256 B OR). */
  imaRegisters: RegisterFigures;
  sharing: SharingConfig;
  organisation: {
    /** Physical arrays per IMA (PUMA core: 16; ISAAC IMA: 8). A layer occupies ceil(arrays / arraysPerIma) IMAs. */
    arraysPerIma: number;
    /** IMAs per tile (PUMA 8 cores, ISAAC 12 IMAs); tiles are shared by layers in proportion to their IMAs. */
    imasPerTile: number;
    /** Shift-and-adds per IMA under sharing.shiftAdd = 'ima' (ISAAC: 4). */
    shiftAddsPerIma: number;
  };
  pipeline: PipelineConfig;
  /** Each tile's eDRAM: per MVM, read the K inputs and write the N outputs. */
  buffer: {
    /** Energy of one access, joules (PUMAsim: 17.2 pJ per 256-bit access of a 64 KB eDRAM). */
    accessEnergyJoules: number;
    accessBits: number;
    /** Bits of each stored output activation. */
    outputBits: number;
    /** eDRAM area per tile, mm^2. */
    areaMm2: number;
    /** eDRAM power per tile (peak; for the published tile tables), watts. */
    powerWatts: number;
  };
  /** The eDRAM-to-IMA bus (one transfer per eDRAM access) and the tile's share of a router. */
  interconnect: { accessEnergyJoules: number; areaMm2: number; powerWatts: number; routerAreaMm2: number; routerPowerWatts: number };
  /** Each IMA's (PUMA core's) digital units beyond the registers: instruction and data memory, ALU, activation, control. */
  ima: { otherAreaMm2: number; otherPowerWatts: number };
  /** Other tile-level units (ISAAC's sigmoid, S+A, max-pool, tile OR), per tile. */
  tile: { otherAreaMm2: number; otherPowerWatts: number };
}

/** Deep partial, for user overrides. */
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
export type HardwareOverrides = DeepPartial<HardwareConfig>;
