// The one place a log record becomes text, for stderr, syslog and tests alike.
// A record without fields reads exactly as upstream's message; fields follow
// as key=value pairs (logfmt), so a line stays greppable and one line.

import type { LevelName, LogFields } from './log.js';

export interface LogRecord {
  readonly level: LevelName;
  readonly msg: string;
  readonly fields?: LogFields;
}

/** The message and its fields: `IPC request failed: cmd=a error="Unknown inbound interface eth9"`. */
export function formatMessage(rec: Pick<LogRecord, 'msg' | 'fields'>): string {
  const pairs = rec.fields ? fieldPairs(rec.fields) : '';
  if (pairs === '') return rec.msg;
  if (rec.msg === '') return pairs;
  // "Exiting.: k=v" would read badly; after punctuation a space will do.
  return /[.:;!?]$/.test(rec.msg) ? `${rec.msg} ${pairs}` : `${rec.msg}: ${pairs}`;
}

/** The stderr line upstream prints with LOG_PERROR. */
export function stderrLine(ident: string, pid: number, level: LevelName, text: string): string {
  return `${ident}[${pid}]: ${level}: ${text}\n`;
}

function fieldPairs(fields: LogFields): string {
  const out: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    out.push(`${key}=${valueText(value)}`);
  }
  return out.join(' ');
}

function valueText(value: unknown): string {
  if (value instanceof Error) return quote(value.message);
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object' || v === null)) return quote(value.map(String).join(','));
  if (typeof value === 'object' && value !== null) {
    // JSON is one line already, and quoting it again would bury it in backslashes.
    const json = jsonText(value);
    if (json !== undefined) return json;
    // Without JSON text, an object is shown as String() shows it, like any other value.
  }
  return quote(String(value));
}

/** The object as JSON, or undefined where JSON has no text for it (a cycle, a bigint, toJSON giving undefined). */
function jsonText(value: object): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** Quotes a value that would not read back as one word; JSON string escapes keep it on one line. */
function quote(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what must not reach a log line unquoted
  return text === '' || /[\s"=\\\x00-\x1f\x7f]/.test(text) ? JSON.stringify(text) : text;
}
