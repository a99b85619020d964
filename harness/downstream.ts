import { serveOnLoopback } from './network/serve.ts';
import type { FetchHandler } from './network/types.ts';
import { loopbackPort } from './token-lab/loopback.ts';

/** One request a downstream API received: what a token-passthrough check inspects. */
export interface DownstreamRequest {
  method: string;
  url: string;
  authorization?: string;
}

/** A stand-in for the API an MCP server calls on the user's behalf; it records every request it receives. */
export interface DownstreamObserver {
  url: string;
  handler: FetchHandler;
  requests(): DownstreamRequest[];
}

export function createDownstreamObserver(url: string): DownstreamObserver {
  const received: DownstreamRequest[] = [];
  // MCP Security Best Practices, "Token Passthrough": the observer shows which token reached the downstream API.
  const handler: FetchHandler = async (request) => {
    const authorization = request.headers.get('authorization') ?? undefined;
    received.push({
      method: request.method,
      url: request.url,
      ...(authorization === undefined ? {} : { authorization }),
    });
    return Response.json({ ok: true }, { headers: { 'Cache-Control': 'no-store' } });
  };
  return { url, handler, requests: () => received.map((request) => ({ ...request })) };
}

/** Serves the observer on 127.0.0.1 at the port of its URL (its host must be 127.0.0.1 or localhost). */
export async function serveDownstreamObserver(observer: DownstreamObserver): Promise<{ close(): Promise<void> }> {
  const served = await serveOnLoopback(observer.handler, loopbackPort(observer.url, 'downstream.url'));
  return { close: () => served.close() };
}
