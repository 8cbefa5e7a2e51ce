/**
 * HTTP request bodies: reading one within maxRequestBytes, and handing a command request's
 * body from the Worker to a gateway (GATEWAY_HTTP=yes).
 *
 * The Worker reads the body itself before forwarding, rather than passing its stream on: a
 * gateway that answers before reading it (401, a bad header, 413) would otherwise leave
 * workerd pumping a body whose response has gone ("Can't read from request stream after
 * response has been sent"). A body past the bound is not forwarded at all; a header tells
 * the gateway, which answers 413 at the point where reading it would have, so the order of
 * errors (format, auth, then size) stays the gateway's.
 */

export class TooLarge extends Error {}

/** Set by the Worker on a request it forwards to a gateway without its too-large body. */
const BODY_TOO_LARGE_HEADER = "hotslot-body-too-large";

/** The body's bytes, refusing (before reading, when the length is declared) past `limit`. */
export async function readBody(req: Request, limit: number): Promise<Uint8Array> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) throw new TooLarge();
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new TooLarge();
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * `req` ready to forward to a gateway: its body read into memory (at most `limit` bytes), or
 * dropped unread when `wanted` is false (a request the gateway refuses before its body, for
 * lack of a token: an unauthenticated client cannot make the Worker read megabytes).
 */
export async function forGateway(req: Request, limit: number, wanted: boolean): Promise<Request> {
  const headers = new Headers(req.headers);
  headers.delete(BODY_TOO_LARGE_HEADER);
  if (req.body === null) return new Request(req, { headers });
  let body: Uint8Array | null = null;
  try {
    if (wanted) body = await readBody(req, limit);
  } catch (e) {
    if (!(e instanceof TooLarge)) throw e;
    headers.set(BODY_TOO_LARGE_HEADER, "1");
  }
  if (body === null) headers.delete("content-length");
  return new Request(req.url, { method: req.method, headers, body, signal: req.signal });
}

/** In a gateway: whether the Worker forwarded this request without its too-large body. */
export function bodyRefusedByWorker(req: Request): boolean {
  return req.headers.has(BODY_TOO_LARGE_HEADER);
}
