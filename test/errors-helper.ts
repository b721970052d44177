/** The error a synchronous call throws, for assertions on its name, code and message. */
export interface ThrownError {
  name: string;
  code: string;
  message: string;
}

export function errorOf(fn: () => unknown): ThrownError {
  try {
    fn();
  } catch (e) {
    return e as ThrownError;
  }
  throw new Error('expected an error');
}
