/** Every component of the reference system and every mock is one of these. */
export type FetchHandler = (request: Request) => Promise<Response>;

/** The shape of `globalThis.fetch`, used for every outbound call the harness makes. */
export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface RecordedResponse {
  status: number;
  headers: Record<string, string>;
  body?: string;
}

/** One HTTP exchange as evidence: what was sent, what came back (or why nothing did). */
export interface RecordedExchange {
  request: RecordedRequest;
  response?: RecordedResponse;
  error?: string;
  startedAt: string;
  durationMs: number;
}
