/**
 * Server-Sent Events framing (the HTML living standard's text/event-stream): an event is
 * its `data:` lines and a blank line; a comment line starts with a colon. Pub/Sub events
 * use the Upstash format @upstash/redis's subscribe() parses — `data: message,<channel>,<message>`
 * — one event per push, its fields joined by commas. A message holding a line break becomes
 * several `data:` lines, which an EventSource joins back with "\n" (the Upstash client reads
 * each line as its own event: it cannot carry line breaks).
 */
const encoder = new TextEncoder();

/** One event carrying `data` (text). */
export function sseEvent(data: string): string {
  return data
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}\n`)
    .join("") + "\n";
}

/** A comment line: keeps an idle stream alive (and finds out when its client has gone). */
export function sseComment(text: string): string {
  return `: ${text}\n\n`;
}

export function sseBytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** The response headers of an event stream. */
export const SSE_HEADERS: Record<string, string> = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache",
  "x-accel-buffering": "no",
};
