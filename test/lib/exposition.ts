// A strict reader of the Prometheus 0.0.4 and OpenMetrics 1.0 text formats, for tests to hold the
// daemon's /metrics output to the rules. Pure: text in, families out; anything off the rules throws.

export type ExpositionFormat = 'openmetrics' | 'prometheus';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** The value as written, for counters past 2^53. */
  readonly text: string;
}

export interface Family {
  readonly name: string;
  type?: string;
  help?: string;
  unit?: string;
  readonly samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const NUMBER = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)$/;
const TYPES: Readonly<Record<ExpositionFormat, readonly string[]>> = {
  openmetrics: ['counter', 'gauge', 'info', 'stateset', 'histogram', 'gaugehistogram', 'summary', 'unknown'],
  prometheus: ['counter', 'gauge', 'histogram', 'summary', 'untyped'],
};

/** The sample names a family of this type may carry (histograms and summaries are not needed here). */
function sampleNames(f: Family, format: ExpositionFormat): string[] {
  if (format === 'prometheus') return [f.name];
  if (f.type === 'counter') return [`${f.name}_total`, `${f.name}_created`];
  if (f.type === 'info') return [`${f.name}_info`];
  return [f.name];
}

/** `{a="x",b="y"}` from position `i` of `line`; returns the labels and where the value starts. */
function readLabels(line: string, i: number, where: string): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  if (line[i] !== '{') return { labels, end: i };
  i++;
  if (line[i] === '}') return { labels, end: i + 1 };
  for (;;) {
    const eq = line.indexOf('=', i);
    if (eq < 0) throw new Error(`${where}: label without =`);
    const name = line.slice(i, eq);
    if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new Error(`${where}: bad label name ${JSON.stringify(name)}`);
    if (name in labels) throw new Error(`${where}: label ${name} twice`);
    if (line[eq + 1] !== '"') throw new Error(`${where}: label value not quoted`);
    let value = '';
    let j = eq + 2;
    for (;;) {
      const ch = line[j];
      if (ch === undefined) throw new Error(`${where}: unterminated label value`);
      if (ch === '"') break;
      if (ch === '\\') {
        const esc = line[j + 1];
        if (esc === '\\') value += '\\';
        else if (esc === '"') value += '"';
        else if (esc === 'n') value += '\n';
        else throw new Error(`${where}: bad escape \\${esc ?? ''} in a label value`);
        j += 2;
        continue;
      }
      value += ch;
      j++;
    }
    labels[name] = value;
    j++;
    if (line[j] === '}') return { labels, end: j + 1 };
    // Both formats' grammars as written by their exposers: no trailing comma, no spaces.
    if (line[j] !== ',' || line[j + 1] === '}') throw new Error(`${where}: expected , or } after a label`);
    i = j + 1;
  }
}

/**
 * Reads `text` by the rules of `format`: metadata before samples and once per family, a family's
 * samples together, sample names that fit the family's type, UNIT only in OpenMetrics and as the
 * name's suffix, valid label names and escapes, numbers, no series twice, no timestamps, and for
 * OpenMetrics a final `# EOF` and counters that are not negative.
 */
export function parseExposition(text: string, format: ExpositionFormat): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the text must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (format === 'openmetrics') {
    if (lines.pop() !== '# EOF') throw new Error('OpenMetrics text must end with # EOF');
    if (lines.includes('# EOF')) throw new Error('# EOF before the end');
  }
  const families = new Map<string, Family>();
  const done = new Set<string>();
  const series = new Set<string>();
  let current: Family | undefined;
  const enter = (name: string, where: string): Family => {
    if (current?.name === name) return current;
    if (current) done.add(current.name);
    if (done.has(name)) throw new Error(`${where}: family ${name} split`);
    const f: Family = families.get(name) ?? { name, samples: [] };
    families.set(name, f);
    current = f;
    return f;
  };
  lines.forEach((line, n) => {
    const where = `line ${n + 1}`;
    if (line === '') throw new Error(`${where}: empty line`);
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE|UNIT) (\S+)(?: (.*))?$/.exec(line);
      if (!m) {
        if (format === 'openmetrics') throw new Error(`${where}: not a HELP, TYPE or UNIT line: ${line}`);
        return;
      }
      const [, kind = '', name = '', rest = ''] = m;
      if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad family name ${name}`);
      const f = enter(name, where);
      if (f.samples.length > 0) throw new Error(`${where}: ${kind} after samples of ${name}`);
      if (kind === 'HELP') {
        if (f.help !== undefined) throw new Error(`${where}: HELP twice`);
        if (/\\(?![\\n"])/.test(rest) || (format === 'prometheus' && /\\"/.test(rest))) throw new Error(`${where}: bad escape`);
        f.help = rest;
      } else if (kind === 'TYPE') {
        if (f.type !== undefined) throw new Error(`${where}: TYPE twice`);
        if (!TYPES[format].includes(rest)) throw new Error(`${where}: unknown type ${rest}`);
        f.type = rest;
      } else {
        if (format !== 'openmetrics') throw new Error(`${where}: UNIT is OpenMetrics only`);
        if (f.unit !== undefined) throw new Error(`${where}: UNIT twice`);
        if (!name.endsWith(`_${rest}`)) throw new Error(`${where}: family ${name} does not end in its unit ${rest}`);
        f.unit = rest;
      }
      return;
    }
    const nameEnd = line.search(/[{ ]/);
    if (nameEnd <= 0) throw new Error(`${where}: not a sample: ${line}`);
    const name = line.slice(0, nameEnd);
    if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name ${name}`);
    const { labels, end } = readLabels(line, nameEnd, where);
    if (line[end] !== ' ') throw new Error(`${where}: expected one space before the value`);
    const rest = line.slice(end + 1);
    if (rest.includes(' ')) throw new Error(`${where}: timestamps or extra fields: ${rest}`);
    if (!NUMBER.test(rest)) throw new Error(`${where}: bad value ${rest}`);
    const f = current;
    if (!f?.type) throw new Error(`${where}: sample ${name} outside a typed family`);
    if (!sampleNames(f, format).includes(name))
      throw new Error(`${where}: sample ${name} does not belong to ${f.type} ${f.name}`);
    const value = Number(rest);
    if (format === 'openmetrics' && f.type === 'counter' && !(value >= 0)) throw new Error(`${where}: counter ${rest}`);
    if (f.type === 'info' && value !== 1) throw new Error(`${where}: info value ${rest}`);
    const key = `${name}{${Object.entries(labels)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(',')}}`;
    if (series.has(key)) throw new Error(`${where}: series ${key} twice`);
    series.add(key);
    f.samples.push({ name, labels, value, text: rest });
  });
  for (const f of families.values()) if (f.type === undefined) throw new Error(`family ${f.name} without TYPE`);
  return families;
}

/** The one sample of `family` whose labels include all of `labels`; throws unless exactly one. */
export function sampleOf(families: Map<string, Family>, family: string, labels: Record<string, string> = {}): Sample {
  const found = (families.get(family)?.samples ?? []).filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  const [only] = found;
  if (found.length !== 1 || only === undefined) {
    throw new Error(`${family}${JSON.stringify(labels)}: ${found.length} samples`);
  }
  return only;
}
