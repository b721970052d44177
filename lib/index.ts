/** Public API of nax-native. Everything users import is re-exported here. */
export { NaxError, ErrorCodes } from './errors';
export type { ErrorCode } from './errors';
export { loadAddon } from './native';
