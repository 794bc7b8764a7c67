// Scraping a daemon's metrics endpoint: over TCP from inside a namespace (a node child run with
// `ip netns exec`, so the loopback is the daemon's), or over a unix socket from the test process.
import http from 'node:http';
import type { Lab } from './netns.js';

export interface Scrape {
  status: number;
  type: string;
  body: string;
  /** The Allow header, which a 405 carries. */
  allow?: string;
}

const OPENMETRICS_ACCEPT = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

// Run by `node -e` in the namespace: URL and Accept as arguments, the answer as one JSON line.
const CHILD = `
const [url, accept] = process.argv.slice(1);
const req = require('node:http').get(url, { headers: accept ? { accept } : {} }, (res) => {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (c) => (body += c));
  res.on('end', () => process.stdout.write(JSON.stringify({ status: res.statusCode, type: res.headers['content-type'], body })));
});
req.on('error', (e) => { process.stderr.write(e.message); process.exit(1); });
req.setTimeout(10000, () => req.destroy(new Error('timeout')));
`;

/** GET `url` from inside `ns`; OpenMetrics when asked for, else the scraper sends no Accept. */
export function scrapeIn(lab: Lab, ns: string, url: string, openMetrics: boolean): Scrape {
  const r = lab.exec(ns, process.execPath, ['-e', CHILD, url, openMetrics ? OPENMETRICS_ACCEPT : '']);
  return JSON.parse(r.stdout) as Scrape;
}

/** GET `path` over the unix socket at `socketPath`. */
export function scrapeUnix(socketPath: string, openMetrics: boolean, path = '/metrics'): Promise<Scrape> {
  return requestUnix(socketPath, 'GET', path, openMetrics ? { accept: OPENMETRICS_ACCEPT } : {});
}

/** Any request over the unix socket at `socketPath`. */
export function requestUnix(
  socketPath: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<Scrape> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body, allow: res.headers.allow }),
      );
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/** Sockets listening on TCP (IPv4 and IPv6) in `ns`, as local "hexaddr:hexport" from /proc/net/tcp{,6}. */
export function tcpListeners(lab: Lab, ns: string): string[] {
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = lab.exec(ns, 'cat', [file]).stdout.split('\n').slice(1);
    for (const l of lines) {
      const f = l.trim().split(/\s+/);
      // Field 3 is the state; 0A is LISTEN.
      if (f[3] === '0A' && f[1] !== undefined) out.push(f[1]);
    }
  }
  return out;
}
