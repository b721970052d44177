/** The hardware cost model: energy, latency, area and EDAP of crossbar layers. */
export * from './config';
export * from './model';
export * from './compare';
export * from './networks';
export * from './format';
export * from './counts';
export * from './devices';
export * from './inventory';
export * from './sensitivity';
export * from './calibrate';
export * from './published';
