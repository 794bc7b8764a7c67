// The HTTP endpoint of `smcrouted --metrics`: GET/HEAD /metrics answered with the text the daemon
// renders, 404 elsewhere, in the format the scraper asks for. Owns the listener and that choice;
// what the text says is metrics-format.ts's job.

import http from 'node:http';
import { dirname } from 'node:path';
import { chmodSync, statSync, unlinkSync } from 'node:fs';
import type { MetricsAddr } from './metrics-addr.js';

const OPENMETRICS_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** OpenMetrics when the scraper's Accept header names it, Prometheus text otherwise. */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept !== undefined && /(^|,)\s*application\/openmetrics-text\s*(;|,|$)/i.test(accept);
}

export interface MetricsServer {
  /** Stops listening, ends open connections, removes a unix socket file. */
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  /** The exposition, as OpenMetrics or Prometheus text. */
  readonly render: (openMetrics: boolean) => Promise<string>;
  /** A scrape that could not be rendered (answered 500); the daemon serves on. */
  readonly warn: (msg: string) => void;
  /**
   * Frees a unix path for the socket, or throws (ipc/server.ts `claimPath`, the IPC socket's
   * rule). Handed in rather than imported: a static import from this lazy module would make the
   * bundler wrap the IPC server and everything it imports for lazy loading, about 100 KiB more
   * resident in every daemon, with --metrics or without.
   */
  readonly claimPath: (path: string) => Promise<void>;
}

/** Scrapers hold one connection each; more than this at once is someone else. */
const MAX_CONNECTIONS = 16;

function answer(res: http.ServerResponse, status: number, type: string, body: string, head: boolean): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

function handle(req: http.IncomingMessage, res: http.ServerResponse, opts: MetricsServerOptions): void {
  // The body of a request is never read, only drained, so a client cannot make it pile up.
  req.resume();
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head) {
    res.setHeader('Allow', 'GET, HEAD');
    answer(res, 405, 'text/plain; charset=utf-8', 'Only GET and HEAD are served.\n', false);
    return;
  }
  const path = (req.url ?? '').split('?')[0];
  if (path !== '/metrics') {
    answer(res, 404, 'text/plain; charset=utf-8', 'Not found: metrics are at /metrics.\n', head);
    return;
  }
  const om = wantsOpenMetrics(req.headers.accept);
  opts.render(om).then(
    (text) => answer(res, 200, om ? OPENMETRICS_TYPE : PROMETHEUS_TYPE, text, head),
    (err: unknown) => {
      opts.warn(`Metrics scrape failed: ${err instanceof Error ? err.message : String(err)}`);
      answer(res, 500, 'text/plain; charset=utf-8', 'Metrics could not be read; see the daemon log.\n', head);
    },
  );
}

/**
 * Listens on `addr`; rejects with the listen error (EADDRINUSE, EACCES, ...) or the claim error
 * of a unix path, so the daemon can refuse to start. A unix socket left by a daemon killed hard
 * is replaced; a live one, or a file that is not a socket, never is. Its mode is 0666: the
 * endpoint is exactly as open as a loopback port, which any local user can reach.
 */
export async function startMetricsServer(addr: MetricsAddr, opts: MetricsServerOptions): Promise<MetricsServer> {
  if (addr.kind === 'unix') {
    // libuv reports a missing directory as EACCES; asking first gives the operator ENOENT.
    statSync(dirname(addr.path));
    await opts.claimPath(addr.path);
  }
  const server = http.createServer(
    { requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000, maxHeaderSize: 8192 },
    (req, res) => handle(req, res, opts),
  );
  server.maxConnections = MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolve();
    });
    if (addr.kind === 'unix') server.listen(addr.path);
    else server.listen({ host: addr.host, port: addr.port, ipv6Only: addr.host === '::1' });
  });
  // Errors after listening (EMFILE on accept) must not throw out of the event loop.
  server.on('error', (err) => opts.warn(`Metrics listener: ${err.message}`));
  if (addr.kind === 'unix') {
    try {
      chmodSync(addr.path, 0o666);
    } catch (err) {
      server.close();
      throw err;
    }
  }
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        if (addr.kind === 'unix') {
          try {
            unlinkSync(addr.path);
          } catch {
            // After -p the directory may be root's: the next start replaces a dead socket anyway.
          }
        }
      }),
  };
}
