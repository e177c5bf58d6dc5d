// The shared shell of every network emulator: a node:http server on 127.0.0.1 that routes a request, counts it,
// applies the deterministic fault schedule (429, 5xx, latency, dropped connection) and writes a JSON answer.
// Each network supplies its routes and the exact bodies/headers it answers faults and unknown paths with.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';

import { SandboxCounters } from '../counters.ts';
import type { FaultSchedule } from '../faults.ts';
import { FaultInjector, holdSilently } from '../faults.ts';

export interface NetworkRequest {
  method: string;
  path: string;
  url: URL;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** Parsed JSON body (POST), or undefined. Invalid JSON is answered before routing. */
  body: unknown;
  /** The raw body of a PUT (an upload), or undefined. */
  text?: string;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** A body too big or too slow to hold in memory (the hostile instance), streamed as it is read; `body` is unused. */
  stream?: Readable;
  /** A body that is not JSON (a results file), sent as it is; `body` is unused. */
  text?: { body: string; contentType: string };
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT';
  pattern: RegExp;
  /** Counter key, e.g. `GET /2/users/by`. */
  endpoint: string;
  handle(request: NetworkRequest, match: RegExpExecArray): Reply | Promise<Reply>;
}

export interface NetworkServerSpec {
  routes: Route[];
  /** The network's answer to an unknown path. */
  notFound(request: NetworkRequest): Reply;
  /** The network's answer when the fault schedule says 429 or 5xx. */
  fault(kind: '429' | '5xx', request: NetworkRequest): Reply;
  /** The network's answer to a body that is not JSON (POST routes only). */
  badJson?(request: NetworkRequest): Reply;
}

export interface NetworkServerOptions {
  port?: number;
  faults?: FaultSchedule;
  /** Counters to fill (the emulator's handlers count records into the same object). */
  counters?: SandboxCounters;
}

export interface NetworkServer {
  url: string;
  counters: SandboxCounters;
  faults: FaultInjector;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1_000_000;

/** An upload of ids (X's compliance jobs take millions, ~20 bytes each). */
const MAX_UPLOAD_BYTES = 100_000_000;

async function readBody(request: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new Error('body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, reply: Reply): void {
  const { stream } = reply;
  if (stream) {
    response.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...reply.headers });
    // A client that hangs up ends the stream (an endless body must not outlive its reader).
    response.once('close', () => stream.destroy());
    stream.pipe(response);
    return;
  }
  const payload = reply.text?.body ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
  response.writeHead(reply.status, {
    'content-type': reply.text?.contentType ?? 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...reply.headers,
  });
  response.end(payload);
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startNetworkServer(
  spec: NetworkServerSpec,
  options: NetworkServerOptions = {},
): Promise<NetworkServer> {
  const counters = options.counters ?? new SandboxCounters();
  const faults = new FaultInjector(options.faults ?? {});

  async function serve(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(incoming.url ?? '/', 'http://127.0.0.1');
    const method = incoming.method ?? 'GET';
    const request: NetworkRequest = {
      method,
      path: url.pathname,
      url,
      query: url.searchParams,
      headers: incoming.headers,
      body: undefined,
    };
    let route: Route | undefined;
    let match: RegExpExecArray | null = null;
    for (const candidate of spec.routes) {
      if (candidate.method !== method) continue;
      match = candidate.pattern.exec(url.pathname);
      if (match) {
        route = candidate;
        break;
      }
    }
    counters.call(route ? route.endpoint : `${method} (unknown)`);
    const fate = faults.nextCall(url.pathname);
    if (faults.latencyMs > 0) await delay(faults.latencyMs);
    if (fate === 'drop') {
      counters.droppedConnection();
      incoming.socket.destroy();
      return;
    }
    if (fate === 'timeout') {
      counters.droppedConnection();
      holdSilently(incoming.socket, faults.holdMs);
      return;
    }
    if (method === 'PUT') request.text = await readBody(incoming, MAX_UPLOAD_BYTES);
    if (method === 'POST') {
      const text = await readBody(incoming);
      if (text.length > 0) {
        try {
          request.body = JSON.parse(text);
        } catch {
          const reply = spec.badJson?.(request) ?? { status: 400, body: { message: 'Problems parsing JSON' } };
          counters.status(reply.status);
          send(response, reply);
          return;
        }
      }
    }
    let reply: Reply;
    if (fate === '429' || fate === '5xx') reply = spec.fault(fate, request);
    else if (!route || !match) reply = spec.notFound(request);
    else reply = await route.handle(request, match);
    counters.status(reply.status);
    send(response, reply);
  }

  const server = createServer((incoming, response) => {
    serve(incoming, response).catch((error: unknown) => {
      // An emulator bug must show up as a 500 with the reason, never a hung request.
      if (!response.headersSent)
        send(response, { status: 500, body: { error: 'sandbox_internal_error', message: String(error) } });
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counters,
    faults,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A fixed-window request budget (the networks' per-15-min / per-hour / per-day limits). */
export class WindowLimit {
  private windowStart = 0;
  private used = 0;

  readonly limit: number;
  readonly windowMs: number;
  private readonly clock: () => number;

  constructor(limit: number, windowMs: number, clock: () => number = Date.now) {
    this.limit = limit;
    this.windowMs = windowMs;
    this.clock = clock;
  }

  /** Spends `cost` units if there is room. Always returns the state after the attempt. */
  take(cost = 1): { allowed: boolean; remaining: number; used: number; resetMs: number } {
    const now = this.clock();
    if (now >= this.windowStart + this.windowMs) {
      this.windowStart = now;
      this.used = 0;
    }
    const allowed = this.used + cost <= this.limit;
    if (allowed) this.used += cost;
    return {
      allowed,
      remaining: Math.max(0, this.limit - this.used),
      used: this.used,
      resetMs: this.windowStart + this.windowMs,
    };
  }

  /** Tests: pretend the window is already spent down to `remaining`. */
  setRemaining(remaining: number): void {
    this.take(0);
    this.used = Math.max(0, this.limit - remaining);
  }
}

export interface LimitSetting {
  limit: number;
  windowSeconds: number;
}

/** Comma-separated values of a query parameter, repeated parameters joined (`a,b&usernames=c`). */
export function listParam(query: URLSearchParams, name: string): string[] {
  return query
    .getAll(name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

export function bearerToken(headers: IncomingMessage['headers']): string | undefined {
  const value = headers.authorization;
  const match = typeof value === 'string' ? /^(?:Bearer|token)\s+(.+)$/i.exec(value) : null;
  return match?.[1]?.trim();
}
