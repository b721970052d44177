/**
 * `nax-native evolve` flag handling: every bad flag is a NaxError naming the flag (and, for lists,
 * the allowed values) before any work starts; good flags become evolve() options.
 */
import { buildCli } from '../../lib/cli';
import { evolveOptionsFromArgs } from '../../lib/cli/commands/evolve';
import { choicesRule, parseIntegerList } from '../../lib/cli/flags';
import { resolveEvolveOptions, EVOLVE_DEFAULTS, EVOLVE_QUICK, EVOLVE_DEVICE_DEFAULTS } from '../../lib/codesign/evolve-options';

function caught(fn: () => unknown): { name: string; code: string; message: string } {
  try {
    fn();
  } catch (e) {
    return e as { name: string; code: string; message: string };
  }
  throw new Error('expected a throw');
}

describe('evolve CLI flags', () => {
  test('a bad --xbars value names the flag and the allowed sizes', () => {
    const e = caught(() => evolveOptionsFromArgs({ xbars: '16,48,64' }));
    expect(e.name).toBe('NaxError');
    expect(e.code).toBe('ERR_NAX_INVALID_ARGUMENT');
    expect(e.message).toContain('--xbars');
    expect(e.message).toContain('{16, 32, 64, 128, 256}');
    expect(e.message).toContain('"48"');
    for (const bad of ['abc', '', '16,,', '64,64', '-16', '16.5'])
      expect(caught(() => evolveOptionsFromArgs({ xbars: bad })).message).toContain('--xbars');
  });

  test('--xbars accepts the hardware table sizes (256 included), and sizes a --hardware file adds', () => {
    expect(evolveOptionsFromArgs({ xbars: '16,256' }).crossbars).toEqual([16, 256]);
    expect(parseIntegerList('--xbars', '8,16', choicesRule([8, 16, 32]))).toEqual([8, 16]);
  });

  test('bad --kernels, --dataset, --population, --variation, --adc-bits each name their flag', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ kernels: '3,4' }, '--kernels'],
      [{ dataset: 'imagenet' }, '--dataset'],
      [{ population: 1 }, '--population'],
      [{ generations: -1 }, '--generations'],
      [{ variation: -0.1 }, '--variation'],
      [{ adcBits: 'many' }, '--adc-bits'],
      [{ wireOhms: Number.NaN }, '--wire-ohms'],
      [{ adcScaling: 'cubic' }, '--adc-scaling'],
      [{ chips: 0 }, '--chips'],
      [{ chips: 1001 }, '--chips'],
      [{ chips: 2.5 }, '--chips'],
    ];
    for (const [args, flag] of cases) {
      const e = caught(() => evolveOptionsFromArgs(args));
      expect(e.name).toBe('NaxError');
      expect(e.message).toContain(flag);
    }
  });

  test('--device-model and --device-time pick a published device model; it replaces the default variation', () => {
    const options = evolveOptionsFromArgs({ deviceModel: 'pcm-aihwkit', deviceTime: 86400 });
    expect(options.device).toEqual({ device: { preset: 'pcm-aihwkit', time: 86400 } });
    const resolved = resolveEvolveOptions({ device: options.device });
    expect(resolved.device.variation).toBe(false);
    expect(resolved.device.device).toEqual({ preset: 'pcm-aihwkit', time: 86400 });
    // The default (no device model) keeps the generic lognormal variation.
    expect(resolveEvolveOptions().device.variation).toEqual(EVOLVE_DEVICE_DEFAULTS.variation);
    for (const [args, flag] of [
      [{ deviceModel: 'reram' }, '--device-model'],
      [{ deviceTime: 10 }, '--device-model'],
      [{ deviceModel: 'pcm-aihwkit', deviceTime: -1 }, '--device-time'],
      [{ deviceModel: 'pcm-aihwkit', variation: 0.1 }, '--variation'],
    ] as Array<[Record<string, unknown>, string]>) {
      const e = caught(() => evolveOptionsFromArgs(args));
      expect(e.name).toBe('NaxError');
      expect(e.message).toContain(flag);
    }
  });

  test('--chips sets evaluation.chips (the test split); defaults 5, --quick 2; the search fingerprint ignores it', () => {
    expect(evolveOptionsFromArgs({ chips: 7 }).evaluation).toMatchObject({ chips: 7 });
    expect(evolveOptionsFromArgs({}).evaluation).toBeUndefined();
    expect(resolveEvolveOptions().evaluation.chips).toBe(5);
    expect(resolveEvolveOptions({ quick: true }).evaluation.chips).toBe(2);
    expect(resolveEvolveOptions({ quick: true, evaluation: { chips: 4 } }).evaluation.chips).toBe(4);
    expect(caught(() => resolveEvolveOptions({ evaluation: { chips: 0 } })).message).toContain('evaluation.chips');
  });

  test('device flags map onto the crossbar config', () => {
    const o = evolveOptionsFromArgs({ variation: 0, readNoise: 0.5, wireOhms: 1.5, adcBits: '6' });
    expect(o.device).toEqual({ variation: false, readNoise: 0.5, parasitics: { rWordLine: 1.5, rBitLine: 1.5, rSource: 0, rSink: 0 }, adcBits: 6 });
    expect(evolveOptionsFromArgs({ wireOhms: 0 }).device).toEqual({ parasitics: false });
  });

  test('the yargs command rejects a bad --xbars before starting anything', async () => {
    const err = await buildCli(['evolve', '--xbars', '16,17', '--out', '/nonexistent/never-written'])
      .parseAsync()
      .then(
        () => null,
        (e) => e,
      );
    expect(err.name).toBe('NaxError');
    expect(err.message).toContain('--xbars');
  });
});

describe('resolveEvolveOptions', () => {
  test('defaults, and --quick swaps in the small preset', () => {
    const d = resolveEvolveOptions();
    expect(d.dataset).toBe('mnist');
    expect(d.kernels).toEqual([3, 5, 7]);
    expect(d.crossbars).toEqual([16, 32, 64, 128]);
    expect(d.population).toBe(EVOLVE_DEFAULTS.population);
    expect(d.device).toEqual({ ...EVOLVE_DEVICE_DEFAULTS });
    expect(d.device.parasitics).toBeTruthy();
    expect(d.device.variation).toBeTruthy();
    const q = resolveEvolveOptions({ quick: true, population: 6 });
    expect(q.population).toBe(6);
    expect(q.generations).toBe(EVOLVE_QUICK.generations);
    expect(q.supernet.images).toBe(EVOLVE_QUICK.supernet.images);
  });

  test('rejects unknown keys, the per-layer crossbar size in the device config, and bad numbers', () => {
    expect(caught(() => resolveEvolveOptions({ populaton: 4 } as never)).code).toBe('ERR_NAX_CONFIG');
    const rows = caught(() => resolveEvolveOptions({ device: { rows: 64 } }));
    expect(rows.code).toBe('ERR_NAX_CONFIG');
    expect(rows.message).toContain('device.rows');
    expect(caught(() => resolveEvolveOptions({ device: { gOn: -1 } })).message).toContain('gOn');
    expect(caught(() => resolveEvolveOptions({ crossbars: [16, 16] })).message).toContain('crossbars');
    expect(caught(() => resolveEvolveOptions({ supernet: { epochs: 0 } })).message).toContain('supernet.epochs');
    expect(caught(() => resolveEvolveOptions({ hardware: { adc: { bits: -2 } } })).message).toContain('hardware.adc.bits');
    expect(caught(() => resolveEvolveOptions({ dataset: 'cifar10' })).message).toContain('--data-path');
  });
});
