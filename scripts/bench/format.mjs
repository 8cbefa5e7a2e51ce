/** Markdown tables and number formats shared by the benchmark sections. */

/** A markdown table; `align` is a string of "l"/"r" per column (default: first left, rest right). */
export function table(headers, rows, align) {
  const a = align ?? "l" + "r".repeat(headers.length - 1);
  const sep = [...a].map((c) => (c === "r" ? "---:" : "---"));
  return [headers, sep, ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

export function int(n) {
  return n === undefined || n === null || Number.isNaN(n) ? "—" : Math.round(n).toLocaleString("en-US");
}

/** Hotslot / Redis, as "0.031×"; for costs (bytes, time) the same division reads "3.1× Redis's". */
export function ratio(hotslot, redis, digits) {
  if (!hotslot || !redis) return "—";
  const r = hotslot / redis;
  const d = digits ?? (r >= 10 ? 0 : r >= 1 ? 1 : r >= 0.1 ? 2 : 3);
  return `${r.toFixed(d)}×`;
}

export function fixed(n, digits = 1) {
  return n === undefined || n === null || Number.isNaN(n) ? "—" : n.toFixed(digits);
}

export function mb(bytes) {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** Microseconds, with a sensible number of digits. */
export function us(microseconds) {
  if (microseconds === undefined || Number.isNaN(microseconds)) return "—";
  return microseconds >= 100 ? int(microseconds) : microseconds >= 10 ? microseconds.toFixed(1) : microseconds.toFixed(2);
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
}

export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
