// Log lines to the system log through libc's syslog(3), facility daemon,
// so a daemonized smcrouted logs like upstream does.

import koffi from 'koffi';
import type { LevelName, LogSink } from '../log.js';

const LOG_PID = 0x01;
const LOG_NDELAY = 0x08;
const LOG_DAEMON = 3 << 3;

const PRIORITY: Record<LevelName, number> = {
  emerg: 0, alert: 1, crit: 2, err: 3, warning: 4, notice: 5, info: 6, debug: 7,
};

let bound: { openlog: (...a: unknown[]) => unknown; syslog: (...a: unknown[]) => unknown } | undefined;
/** openlog() keeps the pointer it is given: the ident must outlive every call. */
let identKeep: Buffer | undefined;

export function syslogSink(ident: string): LogSink {
  if (!bound) {
    const libc = koffi.load('libc.so.6');
    bound = {
      openlog: libc.func('void openlog(void *ident, int option, int facility)'),
      syslog: libc.func('void syslog(int priority, const char *fmt, const char *msg)'),
    };
  }
  identKeep = Buffer.from(`${ident}\0`);
  bound.openlog(identKeep, LOG_PID | LOG_NDELAY, LOG_DAEMON);
  const fns = bound;
  return {
    write(level, line) {
      fns.syslog(LOG_DAEMON | PRIORITY[level], '%s', line);
    },
  };
}
