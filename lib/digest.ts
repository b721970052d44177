/**
 * The digest line every JSON checkpoint ends with (search, sweep): the SHA-256 of the text before
 * it, so a truncated or damaged file is reported by name instead of being resumed from.
 */
import * as crypto from 'crypto';
import { ErrorCodes, NaxError } from './errors';

const DIGEST = '\n#sha256:';
const sha256 = (text: string) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

/** `text` followed by its digest line (what every JSON checkpoint writes). */
export function withDigest(text: string): string {
  return text + DIGEST + sha256(text) + '\n';
}

/**
 * The text before the digest line, checked against it. A file without one is returned whole when
 * `required` is false (files written before checksums were added), else reported as corrupt.
 */
export function checkedText(file: string, text: string, required: boolean, hint: string): string {
  const at = text.lastIndexOf(DIGEST);
  if (at < 0 && !required) return text;
  const body = at >= 0 ? text.slice(0, at) : '';
  if (at < 0 || text.slice(at + DIGEST.length).trim() !== sha256(body))
    throw new NaxError(ErrorCodes.io, `checkpoint ${file} is corrupt (its SHA-256 does not match its contents: truncated or damaged); ${hint}`);
  return body;
}

