// JSON text that tests parse: typed as unknown fields until an assertion looks at them.

/** A parsed JSON object whose fields are not known yet. */
export type JsonRecord = Readonly<Record<string, unknown>>;

/** Narrows a parsed JSON value to an object (not null, not an array); throws otherwise. */
export function asRecord(value: unknown, what = 'value'): JsonRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${what} is not a JSON object: ${JSON.stringify(value)}`);
  }
  return value as JsonRecord;
}

/** JSON.parse for text that must hold one object, e.g. one line of a JSON log. */
export function parseRecord(text: string): JsonRecord {
  return asRecord(JSON.parse(text), 'JSON text');
}
