// glob(3) pattern syntax for `include`: magic detection, escaping, and matching one path component.
// Pure string logic; walking directories is fs.ts's job.

/**
 * True when the pattern has an unescaped `*`, `?` or a `[` closed by a later
 * `]`; without such a character glob(3) treats the pattern as a plain path.
 */
export function hasGlobMagic(pattern: string): boolean {
  let open = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (c === '*' || c === '?') return true;
    else if (c === '[') open = true;
    else if (c === ']' && open) return true;
  }
  return false;
}

/** Backslash-quotes every character glob(3) would treat specially, so `text` matches only itself. */
export function escapeGlob(text: string): string {
  return text.replace(/[\\*?[\]]/g, '\\$&');
}

/** Removes backslash quoting from a pattern that has no magic. */
export function unescapeGlob(pattern: string): string {
  return pattern.replace(/\\(.)/gs, '$1');
}

/** Orders strings by their UTF-8 bytes, as glob(3) sorts in the C locale. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  blank: ' \\t',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: ' \\t\\n\\v\\f\\r',
  upper: 'A-Z',
  xdigit: '0-9A-Fa-f',
};

function literal(cp: number): string {
  return `\\u{${cp.toString(16)}}`;
}

/** The code point at `i`, which callers have checked is inside `s`. */
function codePointAt(s: string, i: number): number {
  const cp = s.codePointAt(i);
  if (cp === undefined) throw new RangeError(`glob: index ${i} is outside ${JSON.stringify(s)}`);
  return cp;
}

/** UTF-16 units of a code point: 2 above the BMP. */
function units(cp: number): number {
  return cp > 0xffff ? 2 : 1;
}

/**
 * Translates a bracket expression starting at `pattern[start]` (the `[`).
 * Returns the regex class and the index after the closing `]`, or undefined
 * when there is no closing `]` (the `[` is then an ordinary character).
 * `null` for the class means an unknown [:name:] class, which matches nothing.
 */
function bracket(pattern: string, start: number): { cls: string | null; next: number } | undefined {
  let i = start + 1;
  let negate = false;
  if (pattern[i] === '!' || pattern[i] === '^') {
    negate = true;
    i++;
  }
  let body = '';
  let unknownClass = false;
  let first = true;
  while (i < pattern.length) {
    const c = pattern.charAt(i);
    if (c === ']' && !first) {
      if (unknownClass) return { cls: null, next: i + 1 };
      return { cls: `[${negate ? '^' : ''}${body}]`, next: i + 1 };
    }
    first = false;
    if (c === '[' && pattern[i + 1] === ':') {
      const end = pattern.indexOf(':]', i + 2);
      if (end >= 0) {
        const name = pattern.slice(i + 2, end);
        const cls = POSIX_CLASSES[name];
        if (cls === undefined) unknownClass = true;
        else body += cls;
        i = end + 2;
        continue;
      }
    }
    if (c === '\\' && i + 1 < pattern.length) i++;
    const lo = codePointAt(pattern, i);
    i += units(lo);
    if (pattern[i] === '-' && i + 1 < pattern.length && pattern[i + 1] !== ']') {
      let j = i + 1;
      if (pattern[j] === '\\' && j + 1 < pattern.length) j++;
      const hi = codePointAt(pattern, j);
      // A reversed range matches nothing, as in fnmatch(3); a JS regex would throw on it.
      if (lo <= hi) body += `${literal(lo)}-${literal(hi)}`;
      i = j + units(hi);
      continue;
    }
    body += literal(lo);
  }
  return undefined;
}

/** A compiled pattern component: tests one directory entry name. */
export type NameMatcher = (name: string) => boolean;

/**
 * Compiles one path component (no `/`) of a glob pattern. As glob(3) without
 * GLOB_PERIOD, a name starting with `.` only matches a pattern that starts
 * with a literal `.`.
 */
export function compileComponent(component: string): NameMatcher {
  let re = '';
  let unmatchable = false;
  for (let i = 0; i < component.length;) {
    const c = component.charAt(i);
    if (c === '*') {
      re += '.*';
      i++;
      continue;
    }
    if (c === '?') {
      re += '.';
      i++;
      continue;
    }
    if (c === '[') {
      const b = bracket(component, i);
      if (b) {
        if (b.cls === null) unmatchable = true;
        else re += b.cls;
        i = b.next;
        continue;
      }
    }
    if (c === '\\' && i + 1 < component.length) i++;
    const cp = codePointAt(component, i);
    re += literal(cp);
    i += units(cp);
  }
  if (unmatchable) return () => false;
  const rx = new RegExp(`^${re}$`, 'su');
  const dotOk = component.startsWith('.') || component.startsWith('\\.');
  return (name) => (dotOk || !name.startsWith('.')) && rx.test(name);
}
