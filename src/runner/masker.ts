// Secret masking: which values are secret and how text is scrubbed before any sink sees it.
import { encodedForms } from "./mask-encodings.js";

/** GitHub leaves values this short unmasked: masking them would garble ordinary output. */
export const minimumMaskLength = 4;

const defaultReplacement = "***";

/**
 * Masks registered values wherever they occur. Overlapping occurrences of different secrets are
 * merged into one range before replacing (like the runner's SecretMasker), so no fragment of a
 * longer or overlapping secret survives; a plain regex alternation would leave the tail of the
 * second of two overlapping secrets visible.
 */
export class Masker {
  private readonly values = new Set<string>();
  private readonly warnedSources = new Set<string>();
  private plainCount = 0;
  /** Longest first, rebuilt lazily after add(). */
  private sorted: string[] | undefined;

  /** Registered values, not counting their encoded forms. */
  get count(): number {
    return this.plainCount;
  }

  /**
   * Registers a secret. A multi-line value is registered whole and line by line, because output
   * reaches the masker one line at a time (as GitHub masks each line of a multi-line secret); its
   * base64, URL-encoded and JSON-escaped forms are registered too (mask-encodings.ts). Returns a
   * warning to log when the value is too short to mask; `source` names the value (never the value
   * itself) and each source is warned about once.
   */
  add(value: string, source = "a value"): string | undefined {
    const whole = value.replace(/\r?\n$/, "");
    const lines = whole.split(/\r?\n|\r/);
    if (whole.length < minimumMaskLength) {
      if (whole.length === 0 || this.warnedSources.has(source)) return undefined;
      this.warnedSources.add(source);
      return `${source} is shorter than ${minimumMaskLength} characters and will not be masked`;
    }
    this.register(whole);
    for (const form of encodedForms(whole)) {
      if (form.length >= minimumMaskLength) this.register(form, true);
    }
    if (lines.length > 1) {
      for (const line of lines) {
        if (line.length >= minimumMaskLength) this.register(line);
      }
    }
    return undefined;
  }

  /** `replacement` for text where `***` is not allowed (artifact names and paths refuse `*`). */
  mask(text: string, replacement = defaultReplacement): string {
    if (this.values.size === 0 || text.length < minimumMaskLength) return text;
    this.sorted ??= [...this.values].sort((a, b) => b.length - a.length);
    const ranges: Array<[number, number]> = [];
    for (const value of this.sorted) {
      for (let at = text.indexOf(value); at !== -1; at = text.indexOf(value, at + 1)) {
        ranges.push([at, at + value.length]);
      }
    }
    if (ranges.length === 0) return text;
    ranges.sort((a, b) => a[0] - b[0]);
    let masked = "";
    let cursor = 0;
    let [start, end] = ranges[0];
    for (const [nextStart, nextEnd] of ranges.slice(1)) {
      if (nextStart <= end) {
        end = Math.max(end, nextEnd);
        continue;
      }
      masked += text.slice(cursor, start) + replacement;
      cursor = end;
      [start, end] = [nextStart, nextEnd];
    }
    return masked + text.slice(cursor, start) + replacement + text.slice(end);
  }

  private register(value: string, isEncoded = false): void {
    if (this.values.has(value)) return;
    this.values.add(value);
    if (!isEncoded) this.plainCount++;
    this.sorted = undefined;
  }
}
