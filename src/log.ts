// Logging through pino with syslog's level names, so `-l notice` means what
// it means upstream. Lines go to stderr as "ident[pid]: level: message".

import { pino, type Logger as PinoLogger } from 'pino';

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

/** A message, or a function making it: hot paths pass functions so text is built only when logged. */
export type Msg = string | (() => string);

/** Structured context of a record: source, group, iif, cmd, error, ... */
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: Msg, fields?: LogFields): void;
  info(msg: Msg, fields?: LogFields): void;
  notice(msg: Msg, fields?: LogFields): void;
  warning(msg: Msg, fields?: LogFields): void;
  err(msg: Msg, fields?: LogFields): void;
}

const text = (m: Msg): string => (typeof m === 'function' ? m() : m);

/**
 * Resolves a `-l LVL` argument the way upstream does: the first syslog
 * priority name (in syslog.h order) that agrees with the argument over the
 * shorter of the two lengths, case-insensitively; "none" silences logging.
 */
export function parseLogLevel(arg: string): LevelName | 'silent' | undefined {
  const names: [string, LevelName | 'silent'][] = [
    ['alert', 'alert'], ['crit', 'crit'], ['debug', 'debug'], ['emerg', 'emerg'],
    ['err', 'err'], ['error', 'err'], ['info', 'info'], ['none', 'silent'],
    ['notice', 'notice'], ['panic', 'emerg'], ['warn', 'warning'], ['warning', 'warning'],
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

const labels = new Map<number, string>(Object.entries(LEVELS).map(([k, v]) => [v, k]));

export interface LogSink {
  write(level: LevelName, line: string): void;
}

/** Plain text on stderr, one line per message. */
export function stderrSink(ident: string): LogSink {
  return {
    write(level, line) {
      process.stderr.write(`${ident}[${process.pid}]: ${level}: ${line}\n`);
    },
  };
}

export function createLogger(level: LevelName | 'silent', sinks: LogSink[]): Logger {
  const destination = {
    write(json: string): void {
      const rec = JSON.parse(json) as { level: number; msg?: string };
      const name = (labels.get(rec.level) ?? 'info') as LevelName;
      for (const s of sinks) s.write(name, rec.msg ?? '');
    },
  };
  const p: PinoLogger<LevelName> = pino(
    { customLevels: LEVELS, useOnlyCustomLevels: true, level, base: undefined, timestamp: false },
    destination,
  );
  const at = (lvl: LevelName) => (m: Msg): void => {
    if (p.isLevelEnabled(lvl)) p[lvl](text(m));
  };
  return { debug: at('debug'), info: at('info'), notice: at('notice'), warning: at('warning'), err: at('err') };
}

/** A logger that records lines, for tests. */
export function memoryLogger(lines: string[] = []): Logger & { lines: string[] } {
  const rec = (level: string) => (m: Msg) => void lines.push(`${level}: ${text(m)}`);
  return { lines, debug: rec('debug'), info: rec('info'), notice: rec('notice'), warning: rec('warning'), err: rec('err') };
}
