import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { AnomalydMetrics } from './anomalydMetrics.js';
import { BasicAuth } from './basic-auth.js';
import type { WebConfig } from './web-config.js';

export interface Readiness {
  ready: boolean;
  /** Named checks, e.g. { consumerJoined: true, modelsLoaded: false }. */
  checks: Record<string, boolean>;
  /** Why a failing check fails, where there is more to say than its name. */
  reasons?: Record<string, string>;
}

export interface MetricsServerOptions {
  host: string;
  /** 0 binds a free port; the bound one is returned. */
  port: number;
  metrics: AnomalydMetrics;
  readiness: () => Readiness;
  /** TLS and basic auth (the exporter toolkit's web config); none when absent. */
  web?: WebConfig;
  /** Serve /healthz and /readyz without basic auth (TLS still applies), for probes that cannot send credentials. */
  probesWithoutAuth?: boolean;
}

export interface MetricsServer {
  port: number;
  /** Base URL, e.g. http://127.0.0.1:9464 */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves GET /metrics (Prometheus text format), /healthz (200 while the process runs) and
 * /readyz (200 when every readiness check passes, else 503 with the failing checks).
 */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const auth = new BasicAuth(opts.web?.users ?? {});
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    authorize(req, res, opts, auth)
      .then((ok) => (ok ? handle(req, res, opts) : undefined))
      .catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
        else res.destroy();
      });
  };
  const tls = opts.web?.tls;
  const server: Server = tls
    ? createHttpsServer(
        {
          cert: tls.cert,
          key: tls.key,
          ca: tls.clientCa,
          minVersion: tls.minVersion,
          maxVersion: tls.maxVersion,
          requestCert: tls.clientAuth !== 'NoClientCert',
          // Only this policy makes the handshake itself refuse; the others are checked per request.
          rejectUnauthorized: tls.clientAuth === 'RequireAndVerifyClientCert',
        },
        listener,
      )
    : createServer(listener);
  // Scrapers reuse connections; don't let idle keep-alive sockets hold close() open.
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(new Error(`metrics server cannot listen on ${opts.host}:${opts.port}: ${err.message}`));
    server.once('error', onError);
    server.listen(opts.port, opts.host, () => {
      server.off('error', onError);
      resolve();
    });
  });

  const port = (server.address() as AddressInfo).port;
  const urlHost = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    port,
    url: `${tls ? 'https' : 'http'}://${urlHost}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

const PROBES = new Set(['/healthz', '/readyz']);

/** Client certificate policy and basic auth; answers 401/403 itself and returns false when the request may not proceed. */
async function authorize(req: IncomingMessage, res: ServerResponse, opts: MetricsServerOptions, auth: BasicAuth): Promise<boolean> {
  const clientAuth = opts.web?.tls?.clientAuth;
  if (clientAuth === 'RequireAnyClientCert' || clientAuth === 'VerifyClientCertIfGiven') {
    const socket = req.socket as TLSSocket;
    const given = Object.keys(socket.getPeerCertificate() ?? {}).length > 0;
    if ((clientAuth === 'RequireAnyClientCert' && !given) || (clientAuth === 'VerifyClientCertIfGiven' && given && !socket.authorized)) {
      sendJson(res, 403, { error: given ? 'client certificate not trusted' : 'a client certificate is required' });
      return false;
    }
  }
  if (!auth.enabled) return true;
  if (opts.probesWithoutAuth && PROBES.has(new URL(req.url ?? '/', 'http://localhost').pathname)) return true;
  if (await auth.check(req.headers.authorization)) return true;
  res.setHeader('WWW-Authenticate', 'Basic realm="anomalyd", charset="UTF-8"');
  sendJson(res, 401, { error: 'unauthorized' });
  return false;
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: MetricsServerOptions): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    sendJson(res, 405, { error: `method ${req.method} not allowed` });
    return;
  }
  switch (path) {
    case '/metrics': {
      const body = await opts.metrics.registry.metrics();
      res.writeHead(200, { 'Content-Type': opts.metrics.registry.contentType });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    case '/healthz':
      sendJson(res, 200, { status: 'ok' });
      return;
    case '/readyz': {
      const { ready, checks, reasons } = opts.readiness();
      const failing = Object.keys(checks).filter((name) => !checks[name]);
      const ok = ready && failing.length === 0;
      sendJson(res, ok ? 200 : 503, { ready: ok, checks, failing, ...(reasons && Object.keys(reasons).length > 0 ? { reasons } : {}) });
      return;
    }
    default:
      sendJson(res, 404, { error: `no such endpoint ${path}; try /metrics, /healthz or /readyz` });
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
