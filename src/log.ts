// Logging with syslog's level names, so `-l notice` means what it means
// upstream. Records carry structured fields; text sinks (stderr as
// "ident[pid]: level: message", syslog) get them through formatMessage, JSON
// sinks get pino's own serialization, one object per line.

import type * as Pino from 'pino';
import { formatMessage, stderrLine, type LogRecord } from './log-format.js';
import { requirePackage } from './package-require.js';

export const LEVELS = {
  debug: 20,
  info: 30,
  notice: 35,
  warning: 40,
  err: 50,
  crit: 60,
  alert: 65,
  emerg: 70,
} as const;

export type LevelName = keyof typeof LEVELS;

/** syslog(3) priorities (LOG_EMERG 0 .. LOG_DEBUG 7): syslog's own, and the `<N>` journald reads on stderr. */
export const PRIORITY: Readonly<Record<LevelName, number>> = {
  emerg: 0,
  alert: 1,
  crit: 2,
  err: 3,
  warning: 4,
  notice: 5,
  info: 6,
  debug: 7,
};

/** A message, or a function making it: hot paths pass functions so text is built only when logged. */
export type Msg = string | (() => string);

/** What a call site knows beyond the message: source, group, iif, cmd, error, file, line, ... */
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: Msg, fields?: LogFields): void;
  info(msg: Msg, fields?: LogFields): void;
  notice(msg: Msg, fields?: LogFields): void;
  warning(msg: Msg, fields?: LogFields): void;
  err(msg: Msg, fields?: LogFields): void;
}

export type LogFormat = 'text' | 'json';

const text = (m: Msg): string => (typeof m === 'function' ? m() : m);

/**
 * Resolves a `-l LVL` argument the way upstream does: the first syslog
 * priority name (in syslog.h order) that agrees with the argument over the
 * shorter of the two lengths, case-insensitively; "none" silences logging.
 */
export function parseLogLevel(arg: string): LevelName | 'silent' | undefined {
  const names: [string, LevelName | 'silent'][] = [
    ['alert', 'alert'],
    ['crit', 'crit'],
    ['debug', 'debug'],
    ['emerg', 'emerg'],
    ['err', 'err'],
    ['error', 'err'],
    ['info', 'info'],
    ['none', 'silent'],
    ['notice', 'notice'],
    ['panic', 'emerg'],
    ['warn', 'warning'],
    ['warning', 'warning'],
  ];
  const a = arg.toLowerCase();
  if (a.length === 0) return undefined;
  for (const [name, level] of names) {
    const n = Math.min(name.length, a.length);
    if (name.slice(0, n) === a.slice(0, n)) return level;
  }
  // Numeric levels, as atoi() would read them: 0 emerg .. 7 debug.
  if (/^\d+$/.test(a)) {
    const byNumber: LevelName[] = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
    return byNumber[Math.min(Number(a), 7)];
  }
  return undefined;
}

const labels = new Map<number, LevelName>();
for (const [name, value] of Object.entries(LEVELS)) {
  if (isLevelName(name)) labels.set(value, name);
}

function isLevelName(name: string): name is LevelName {
  return Object.hasOwn(LEVELS, name);
}

export interface LogSink {
  /** "json" sinks get the record as one JSON object and newline; text sinks (the default) the formatted message. */
  readonly format?: LogFormat;
  write(level: LevelName, line: string): void;
}

const toStderr = (line: string): void => void process.stderr.write(line);

export interface StderrOptions {
  /** Start each line with its `<N>` priority, for journald (see isJournalStream). */
  readonly priorityPrefix?: boolean;
}

/**
 * journald takes a leading `<N>` as the line's priority and strips it. Each
 * line of a message gets one, or journald would file a continuation line at
 * the unit's default level.
 */
export function withPriority(level: LevelName, text: string): string {
  return text.replace(/^(?=.)/gm, `<${PRIORITY[level]}>`);
}

/** Plain text on stderr, one line per message, as upstream's LOG_PERROR. */
export function stderrSink(ident: string, write: (line: string) => void = toStderr, opts: StderrOptions = {}): LogSink {
  return {
    write(level, line) {
      const text = stderrLine(ident, process.pid, level, line);
      write(opts.priorityPrefix ? withPriority(level, text) : text);
    },
  };
}

/** One JSON object per line, for log shippers. */
export function jsonSink(write: (line: string) => void = toStderr, opts: StderrOptions = {}): LogSink {
  return {
    format: 'json',
    write(level, line) {
      write(opts.priorityPrefix ? withPriority(level, line) : line);
    },
  };
}

/**
 * True when stderr is the journal stream systemd connected this service to:
 * systemd sets JOURNAL_STREAM to that stream's "DEVICE:INODE", and a stderr
 * redirected elsewhere (a file, a pipe to another program) no longer matches,
 * so no `<N>` prefixes end up in a file.
 */
export function isJournalStream(journalStream: string | undefined, stderr: { dev: bigint; ino: bigint } | undefined): boolean {
  const m = /^(\d+):(\d+)$/.exec(journalStream ?? '');
  if (!m || stderr === undefined) return false;
  return BigInt(m[1] ?? '') === stderr.dev && BigInt(m[2] ?? '') === stderr.ino;
}

/** What pino sets on a destination marked with Symbol.for('pino.metadata') before each write. */
interface MetadataDestination {
  lastLevel: number;
  lastMsg?: string;
  lastObj?: LogFields;
  write(json: string): void;
}

/**
 * `base` goes into every JSON record (e.g. name and pid); text lines carry
 * their own prefix. Without a JSON sink pino is never loaded: it and the
 * modules it pulls in cost about 7 MiB of resident memory for nothing.
 */
export function createLogger(level: LevelName | 'silent', sinks: readonly LogSink[], base?: LogFields): Logger {
  const textSinks = sinks.filter((s) => s.format !== 'json');
  const jsonSinks = sinks.filter((s) => s.format === 'json');
  const write = jsonSinks.length > 0 ? pinoWriter(level, textSinks, jsonSinks, base) : textWriter(level, textSinks);
  const at =
    (lvl: LevelName) =>
    (m: Msg, fields?: LogFields): void =>
      write(lvl, m, fields);
  return { debug: at('debug'), info: at('info'), notice: at('notice'), warning: at('warning'), err: at('err') };
}

type Writer = (lvl: LevelName, m: Msg, fields?: LogFields) => void;

function textWriter(level: LevelName | 'silent', sinks: readonly LogSink[]): Writer {
  const min = level === 'silent' ? Infinity : LEVELS[level];
  return (lvl, m, fields) => {
    if (LEVELS[lvl] < min) return;
    const line = formatMessage({ msg: text(m), fields });
    for (const s of sinks) s.write(lvl, line);
  };
}

function pinoWriter(
  level: LevelName | 'silent',
  textSinks: readonly LogSink[],
  jsonSinks: readonly LogSink[],
  base?: LogFields,
): Writer {
  const { pino, stdSerializers, stdTimeFunctions } = requirePackage('pino') as typeof Pino;
  // pino hands a destination that asks for metadata the record it has just
  // serialized, so text is made from the fields themselves, never by
  // parsing pino's JSON back.
  const destination: MetadataDestination = {
    [Symbol.for('pino.metadata')]: true,
    lastLevel: 0,
    write(json) {
      const name = labels.get(destination.lastLevel) ?? 'info';
      if (textSinks.length > 0) {
        const line = formatMessage({ msg: destination.lastMsg ?? '', fields: destination.lastObj });
        for (const s of textSinks) s.write(name, line);
      }
      for (const s of jsonSinks) s.write(name, json);
    },
  };
  const p: Pino.Logger<LevelName> = pino(
    {
      customLevels: LEVELS,
      useOnlyCustomLevels: true,
      level,
      base,
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: stdSerializers.err, error: stdSerializers.err },
    },
    destination,
  );
  return (lvl, m, fields) => {
    if (!p.isLevelEnabled(lvl)) return;
    if (fields) p[lvl](fields, text(m));
    else p[lvl](text(m));
  };
}

/** A logger that records "level: message" lines (and the records), for tests. */
export function memoryLogger(lines: string[] = []): Logger & { lines: string[]; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const rec = (level: LevelName) => (m: Msg, fields?: LogFields) => {
    const r: LogRecord = { level, msg: text(m), fields };
    records.push(r);
    lines.push(`${level}: ${formatMessage(r)}`);
  };
  return {
    lines,
    records,
    debug: rec('debug'),
    info: rec('info'),
    notice: rec('notice'),
    warning: rec('warning'),
    err: rec('err'),
  };
}
