// Glob matching as Redis's stringmatchlen. Expectations were checked against redis-server 7.0
// with KEYS (which special-cases the lone "*"), and the matcher was fuzzed against it.
import { describe, expect, it } from "vitest";
import { globMatch } from "../../src/engine/glob";

const a2 = (n: number) => "a".repeat(n);

describe("globMatch", () => {
  it("matches literal bytes exactly", () => {
    expect(globMatch("hello", "hello")).toBe(true);
    expect(globMatch("hello", "hellO")).toBe(false);
    expect(globMatch("hello", "hell")).toBe(false);
    expect(globMatch("hell", "hello")).toBe(false);
  });

  it("lets * match any run of bytes, including none", () => {
    expect(globMatch("h*o", "ho")).toBe(true);
    expect(globMatch("h*o", "hello")).toBe(true);
    expect(globMatch("h*o", "hellx")).toBe(false);
    expect(globMatch("*", "anything")).toBe(true);
    expect(globMatch("a*", "a")).toBe(true);
    expect(globMatch("a**", "a")).toBe(true);
    expect(globMatch("*a*b*c*", "xxaxxbxxcxx")).toBe(true);
    expect(globMatch("*a*b*c*", "xxaxxcxxbxx")).toBe(false);
  });

  it("backtracks so a later * can take over", () => {
    expect(globMatch("*ab", "aaab")).toBe(true);
    expect(globMatch("a*b*b", "abbb")).toBe(true);
    expect(globMatch("a*b*b", "ab")).toBe(false);
  });

  it("lets ? match exactly one byte", () => {
    expect(globMatch("h?llo", "hallo")).toBe(true);
    expect(globMatch("h?llo", "hllo")).toBe(false);
    expect(globMatch("a*?", "a")).toBe(false);
    expect(globMatch("a*?", "ab")).toBe(true);
  });

  it("matches an empty string only with the empty pattern, not even with *", () => {
    expect(globMatch("", "")).toBe(true);
    expect(globMatch("*", "")).toBe(false);
    expect(globMatch("**", "")).toBe(false);
    expect(globMatch("", "a")).toBe(false);
  });

  it("matches classes, negated classes and ranges", () => {
    expect(globMatch("h[ae]llo", "hello")).toBe(true);
    expect(globMatch("h[ae]llo", "hillo")).toBe(false);
    expect(globMatch("h[^e]llo", "hallo")).toBe(true);
    expect(globMatch("h[^e]llo", "hello")).toBe(false);
    expect(globMatch("h[a-b]llo", "hbllo")).toBe(true);
    expect(globMatch("h[a-b]llo", "hcllo")).toBe(false);
  });

  it("treats a reversed range as the same range", () => {
    expect(globMatch("[z-a]", "m")).toBe(true);
    expect(globMatch("[z-a]", "A")).toBe(false);
  });

  it("compares range ends as signed chars, so high bytes sort below NUL", () => {
    // [a-\xff] is the range -1…97: it holds "A" and "\xff" but not "b" or "\x80".
    expect(globMatch("[a-\xff]", "A")).toBe(true);
    expect(globMatch("[a-\xff]", "\xff")).toBe(true);
    expect(globMatch("[a-\xff]", "b")).toBe(false);
    expect(globMatch("[a-\xff]", "\x80")).toBe(false);
    expect(globMatch("[\x80-\xff]", "\x80")).toBe(true);
    expect(globMatch("[\xff-\x80]", "\x90")).toBe(true);
    expect(globMatch("[\x01-\x90]", "\xff")).toBe(true);
    expect(globMatch("[\x01-\x90]", "b")).toBe(false);
  });

  it("reads [a-] as the range from a to ], running to the end of the pattern", () => {
    expect(globMatch("[a-]", "]")).toBe(true);
    expect(globMatch("[a-]", "_")).toBe(true);
    expect(globMatch("[a-]", "b")).toBe(false);
    expect(globMatch("[a-]x", "ax")).toBe(false);
  });

  it("runs an unterminated class to the end of the pattern", () => {
    expect(globMatch("[b", "b")).toBe(true);
    expect(globMatch("[bc", "c")).toBe(true);
    expect(globMatch("[b", "[b")).toBe(false);
    expect(globMatch("[", "[")).toBe(false);
    expect(globMatch("[^", "x")).toBe(true);
  });

  it("never matches an empty class, and [^] matches any byte", () => {
    expect(globMatch("[]", "]")).toBe(false);
    expect(globMatch("[]a]", "a")).toBe(false);
    expect(globMatch("[^]", "z")).toBe(true);
    expect(globMatch("[^]x", "zx")).toBe(true);
  });

  it("escapes special bytes with a backslash, inside and outside classes", () => {
    expect(globMatch("a\\*b", "a*b")).toBe(true);
    expect(globMatch("a\\*b", "axb")).toBe(false);
    expect(globMatch("\\?", "?")).toBe(true);
    expect(globMatch("[\\]]", "]")).toBe(true);
    expect(globMatch("[\\-a]", "-")).toBe(true);
    expect(globMatch("[\\^]", "^")).toBe(true);
  });

  it("treats a trailing backslash as a literal backslash", () => {
    expect(globMatch("\\", "\\")).toBe(true);
    expect(globMatch("a\\", "a\\")).toBe(true);
    expect(globMatch("[\\", "\\")).toBe(true);
  });

  it("handles every byte value, NUL included", () => {
    expect(globMatch("a\x00*", "a\x00\xff")).toBe(true);
    expect(globMatch("?\x00", "\xfe\x00")).toBe(true);
    expect(globMatch("[\x00]", "\x00")).toBe(true);
    expect(globMatch("a\x00", "a")).toBe(false);
  });

  it("folds ASCII letters only when asked to ignore case", () => {
    expect(globMatch("HeLLo", "hello", true)).toBe(true);
    expect(globMatch("h[A-C]llo", "hbllo", true)).toBe(true);
    expect(globMatch("h[a-c]llo", "hBllo", true)).toBe(true);
    expect(globMatch("h[A-C]llo", "hbllo")).toBe(false);
    expect(globMatch("\xc0", "\xe0", true)).toBe(false);
  });

  it("gives up, as Redis does, on patterns with more than 1000 inner * runs", () => {
    const a = (n: number) => "a".repeat(n);
    expect(globMatch("*a".repeat(1000), a(1000))).toBe(true);
    expect(globMatch("*a".repeat(1001), a(1001))).toBe(false);
    // A trailing * costs Redis no recursion, so it does not count.
    expect(globMatch("a*".repeat(1001), a(1001))).toBe(true);
    expect(globMatch("a*".repeat(1002), a(1002))).toBe(false);
    // A run of stars is one; escaped stars and stars in a class are not stars.
    expect(globMatch("**a".repeat(1000), a(1000))).toBe(true);
    expect(globMatch("*a".repeat(1000) + "\\*[*]b", a(1000) + "**b")).toBe(true);
    expect(globMatch("*a".repeat(1000) + "\\*[*]*b", a(1000) + "**b")).toBe(false);
  });

  it("stays fast and shallow on long patterns with many stars", () => {
    expect(globMatch("*a".repeat(900) + "b", a2(100_000))).toBe(false);
    expect(globMatch("*a".repeat(900) + "*", a2(100_000))).toBe(true);
  });
});
