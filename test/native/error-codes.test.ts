/**
 * One list of error codes: native/core/error_codes.h (what C++ throws) and
 * lib/errors.ts ErrorCodes (what TypeScript throws and matches on) hold the
 * same keys and strings, and no other native source spells a code.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCodes } from '../../lib/errors';
import { packageRoot } from '../../lib/native';

const header = path.join(packageRoot, 'native', 'core', 'error_codes.h');

function nativeCodes(): Array<{ constant: string; key: string; code: string }> {
  const text = fs.readFileSync(header, 'utf8');
  return [...text.matchAll(/X\((k\w+),\s*(\w+),\s*"([A-Z_]+)"\)/g)].map(([, constant, key, code]) => ({ constant, key, code }));
}

function nativeSources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return nativeSources(p);
    return /\.(cc|h)$/.test(e.name) ? [p] : [];
  });
}

describe('error codes', () => {
  it('error_codes.h and ErrorCodes list the same keys and strings, in the same order', () => {
    const listed = nativeCodes();
    expect(listed.length).toBeGreaterThan(5);
    expect(listed.map((c) => [c.key, c.code])).toEqual(Object.entries(ErrorCodes));
  });

  it('each C++ constant is k + the capitalised key (codes::kOutOfRange <-> ErrorCodes.outOfRange)', () => {
    for (const c of nativeCodes()) expect(c.constant).toBe(`k${c.key[0].toUpperCase()}${c.key.slice(1)}`);
  });

  it('native code names codes only through nax::codes, never as string literals', () => {
    const offenders = nativeSources(path.join(packageRoot, 'native'))
      .filter((f) => f !== header)
      .filter((f) => /"ERR_NAX_/.test(fs.readFileSync(f, 'utf8')))
      .map((f) => path.relative(packageRoot, f));
    expect(offenders).toEqual([]);
  });
});
