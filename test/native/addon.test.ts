import { loadAddon, addonCandidates } from '../../lib/native';

describe('native addon', () => {
  it('loads and reports its N-API version', () => {
    const v = loadAddon().version();
    expect(v.napi).toBeGreaterThanOrEqual(8);
    expect(v.threads).toBeGreaterThanOrEqual(1);
  });
  it('looks in the cmake-js build folder', () => {
    expect(addonCandidates().some((c) => c.endsWith('build/Release/nax_native.node'))).toBe(true);
  });
});
