// Where `smcrouted --metrics` listens: a loopback HOST:PORT or unix:PATH, parsed from the option text.
// Pure: it reads the string only; binding (and finding the address taken) is the server's job.

import { checkSocketPath } from '../ipc/socket-path.js';
import { fail, ok, type Result } from '../result.js';

export type MetricsAddr =
  { readonly kind: 'tcp'; readonly host: string; readonly port: number } | { readonly kind: 'unix'; readonly path: string };

const IPV4_LOOPBACK = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The address as an operator writes it, for log lines and errors. */
export function formatMetricsAddr(a: MetricsAddr): string {
  return a.kind === 'unix' ? `unix:${a.path}` : a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/**
 * Loopback only: the endpoint has no authentication, so it must not be reachable from the
 * network; a scraper elsewhere goes through a proxy or an SSH tunnel. Names (localhost) are
 * refused too: what they resolve to is /etc/hosts' choice, not the operator's.
 */
export function parseMetricsAddr(text: string): Result<MetricsAddr> {
  const bad = (why: string) => fail(`Invalid --metrics address: ${text} (${why})`);
  if (text.startsWith('unix:')) {
    const path = text.slice('unix:'.length);
    if (!path.startsWith('/')) return bad('unix:PATH takes an absolute path');
    const checked = checkSocketPath(path, 'the path');
    return checked.ok ? ok({ kind: 'unix', path }) : bad(checked.error);
  }
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  if (!m) return bad('HOST:PORT, [::1]:PORT or unix:PATH');
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return bad('port 1-65535');
  const v6 = m[1];
  if (v6 !== undefined) return v6 === '::1' ? ok({ kind: 'tcp', host: '::1', port }) : bad('the only IPv6 host allowed is [::1]');
  const host = m[2] ?? '';
  const q = IPV4_LOOPBACK.exec(host);
  if (!q || q.slice(1).some((b) => Number(b) > 255 || (b.length > 1 && b.startsWith('0')))) {
    return bad('a loopback address only: 127.0.0.0/8 or [::1]');
  }
  return ok({ kind: 'tcp', host, port });
}
