// Log lines to the system log through libc's syslog(3), facility daemon,
// so a daemonized smcrouted logs like upstream does.

import { PRIORITY, type LogSink } from '../log.js';
import { openlog, syslog } from './ffi.js';

const LOG_PID = 0x01;
const LOG_NDELAY = 0x08;
const LOG_DAEMON = 3 << 3;

export function syslogSink(ident: string): LogSink {
  openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
  return {
    write(level, line) {
      syslog(LOG_DAEMON | PRIORITY[level], line);
    },
  };
}
