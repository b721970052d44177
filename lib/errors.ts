/**
 * The project's error type. Every error a user can trigger carries a stable
 * `.code` (tests and callers match on it) and a message of one shape:
 * "expected X for NAME, got Y".
 */
/** The stable codes. Native code throws the same list (native/core/error_codes.h; test/native/error-codes.test.ts keeps them equal). */
export const ErrorCodes = {
  invalidArgument: 'ERR_NAX_INVALID_ARGUMENT',
  outOfRange: 'ERR_NAX_OUT_OF_RANGE',
  sizeMismatch: 'ERR_NAX_SIZE_MISMATCH',
  numerical: 'ERR_NAX_NUMERICAL',
  cancelled: 'ERR_NAX_CANCELLED',
  internal: 'ERR_NAX_INTERNAL',
  addonLoad: 'ERR_NAX_ADDON_LOAD',
  config: 'ERR_NAX_CONFIG',
  onnxParse: 'ERR_NAX_ONNX_PARSE',
  onnxUnsupported: 'ERR_NAX_ONNX_UNSUPPORTED',
  dataset: 'ERR_NAX_DATASET',
  io: 'ERR_NAX_IO',
  /** The work would need more memory than the limit (machine, cgroup or --max-memory). */
  memory: 'ERR_NAX_MEMORY',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class NaxError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NaxError';
    this.code = code;
  }
}

/** Short human description of a value for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return `${value}`;
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? value.slice(0, 57) + '...' : value);
  if (typeof value === 'boolean') return `${value}`;
  if (ArrayBuffer.isView(value)) {
    const ctor = (value as object).constructor.name;
    const len = (value as unknown as { length?: number }).length;
    return len === undefined ? ctor : `${ctor}(${len})`;
  }
  if (Array.isArray(value)) return `array(${value.length})`;
  if (typeof value === 'function') return 'function';
  return 'object';
}

export function invalid(name: string, expected: string, got: unknown, code: string = ErrorCodes.invalidArgument): NaxError {
  return new NaxError(code, `expected ${expected} for ${name}, got ${describeValue(got)}`);
}

export interface NumberRule {
  min?: number;
  max?: number;
  /** Exclusive lower bound. */
  above?: number;
  integer?: boolean;
}

/** Validates a finite number against a rule; throws NaxError naming `name`. */
export function expectNumber(name: string, value: unknown, rule: NumberRule = {}): number {
  const parts: string[] = [];
  if (rule.integer) parts.push('an integer'); else parts.push('a finite number');
  if (rule.min !== undefined && rule.max !== undefined) parts.push(`in [${rule.min}, ${rule.max}]`);
  else if (rule.min !== undefined) parts.push(`>= ${rule.min}`);
  else if (rule.max !== undefined) parts.push(`<= ${rule.max}`);
  if (rule.above !== undefined) parts.push(`> ${rule.above}`);
  const expected = parts.join(' ');
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(name, expected, value);
  if (rule.integer && !Number.isInteger(value)) throw invalid(name, expected, value);
  if (
    (rule.min !== undefined && value < rule.min) ||
    (rule.max !== undefined && value > rule.max) ||
    (rule.above !== undefined && !(value > rule.above))
  )
    throw invalid(name, expected, value, ErrorCodes.outOfRange);
  return value;
}

export function expectOneOf<T extends string | number | boolean>(name: string, value: unknown, choices: readonly T[]): T {
  if (!choices.includes(value as T)) throw invalid(name, `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`, value);
  return value as T;
}

type TypedArrayCtor = Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor;

/** Checks a typed array's type, length and (for floats) that all values are finite. */
export function expectTypedArray<C extends TypedArrayCtor>(
  name: string,
  value: unknown,
  ctor: C,
  length?: number,
  options: { finite?: boolean } = {},
): InstanceType<C> {
  // Also by tag: typed arrays made by the addon come from the main realm, which fails instanceof in jest's sandbox.
  if (!(value instanceof ctor) && Object.prototype.toString.call(value) !== `[object ${ctor.name}]`) throw invalid(name, `a ${ctor.name}`, value);
  const arr = value as InstanceType<C>;
  if (length !== undefined && arr.length !== length)
    throw new NaxError(
      ErrorCodes.sizeMismatch,
      `expected ${name} to have ${length} elements, got ${arr.length}`,
    );
  if (options.finite !== false && (ctor === Float32Array || ctor === Float64Array)) {
    for (let i = 0; i < arr.length; i++) {
      if (!Number.isFinite(arr[i])) throw invalid(`${name}[${i}]`, 'a finite number', arr[i]);
    }
  }
  return arr;
}

/** Throws when an options object has keys outside `known` (catches typos). */
export function rejectUnknownKeys(name: string, value: object, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key))
      throw new NaxError(
        ErrorCodes.config,
        `unknown key ${name ? name + '.' : ''}${key}; expected one of ${known.join(', ')}`,
      );
  }
}
