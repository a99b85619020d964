import { Agent, request } from 'node:http';
import { measureRate, type RateResult } from './rate.ts';

/** One HTTP request, sent again and again. */
export interface LoadRequest {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

export interface LoadGenerator {
  /** Loads the target for `durationMs`; only 200 answers count. */
  run(durationMs: number): Promise<RateResult>;
  close(): void;
}

/**
 * A closed-loop load generator over node:http: `inFlight` kept-alive connections (kept across runs), each sending its
 * next request as soon as the previous answer is read.
 */
export function createLoadGenerator(target: LoadRequest, inFlight: number): LoadGenerator {
  const agent = new Agent({ keepAlive: true, maxSockets: inFlight });
  const send = () => sendOnce(target, agent);
  return {
    run: (durationMs) => measureRate(send, { concurrency: inFlight, durationMs, latencies: true }),
    close: () => agent.destroy(),
  };
}

/** Sends the request and reads the whole answer; true on 200. */
function sendOnce(target: LoadRequest, agent: Agent): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const outgoing = request(target.url, { method: target.method, headers: target.headers, agent }, (incoming) => {
      incoming.on('data', () => {});
      incoming.on('end', () => resolve(incoming.statusCode === 200));
      incoming.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(target.body);
  });
}
