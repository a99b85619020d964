/** A response read once into memory, so checks and reports can look at it freely. */
export interface HttpReply {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body when it is JSON (whatever the content type claims), else undefined. */
  json: unknown;
  url: string;
}

export async function readReply(response: Response, url?: string): Promise<HttpReply> {
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: parseJson(text), url: url ?? response.url };
}

export function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The member of a JSON object reply, or undefined. */
export function member(reply: HttpReply, name: string): unknown {
  return isJsonObject(reply.json) ? reply.json[name] : undefined;
}

export function isJsonContentType(headers: Headers): boolean {
  const type = headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  return type === 'application/json' || (type?.endsWith('+json') ?? false);
}

export function describeReply(reply: HttpReply): string {
  const body = reply.text.length > 200 ? `${reply.text.slice(0, 200)}…` : reply.text;
  return `HTTP ${reply.status}${body ? ` ${body}` : ''}`;
}
