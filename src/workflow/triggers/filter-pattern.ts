// Filter patterns for on.<event>.branches/tags/paths (GitHub's "Filter pattern cheat sheet"); owns no event logic.
//
// Hand-written compiler to RegExp: glob libraries (minimatch, picomatch) read `?` as "any one character" and
// `+` as an extglob prefix, whereas GitHub reads both as quantifiers of the preceding character.

export interface CompiledPattern {
  /** True when the pattern started with `!`: a match removes the value instead of adding it. */
  isNegated: boolean;
  regex: RegExp;
}

export type PatternCompilation = { ok: true; pattern: CompiledPattern } | { ok: false; error: string };

export interface FilterLists {
  include?: string[];
  ignore?: string[];
}

interface Token {
  source: string;
  /** A single-character atom that a following `?` or `+` may quantify. */
  isQuantifiable: boolean;
}

// Cheat sheet: "Ranges can only include a-z, A-Z, and 0-9".
const rangeClasses: ReadonlyArray<readonly [string, string]> = [
  ["a", "z"],
  ["A", "Z"],
  ["0", "9"],
];

export function compilePattern(raw: string): PatternCompilation {
  // Cheat sheet: `!` "at the start of a pattern makes it negate previous positive patterns. It has no special
  // meaning if not the first character."
  const isNegated = raw.startsWith("!");
  const body = isNegated ? raw.slice(1) : raw;
  const offset = isNegated ? 1 : 0;
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < body.length) {
    const char = body[pos]!;
    if (char === "*") {
      if (body[pos + 1] === "*") {
        // `**/` also matches no directory at all: the cheat sheet has `**/README.md` matching `README.md`.
        if (body[pos + 2] === "/") {
          tokens.push({ source: "(?:.*/)?", isQuantifiable: false });
          pos += 3;
        } else {
          tokens.push({ source: ".*", isQuantifiable: false });
          pos += 2;
        }
      } else {
        tokens.push({ source: "[^/]*", isQuantifiable: false });
        pos += 1;
      }
    } else if (char === "?" || char === "+") {
      const previous = tokens[tokens.length - 1];
      if (previous?.isQuantifiable) {
        previous.source = `(?:${previous.source})${char}`;
        previous.isQuantifiable = false;
      } else {
        // Nothing single to quantify (start of pattern, after a wildcard or another quantifier): literal.
        tokens.push({ source: escapeRegex(char), isQuantifiable: true });
      }
      pos += 1;
    } else if (char === "[") {
      const set = compileBracket(body, pos, offset);
      if (!set.ok) return { ok: false, error: `invalid pattern '${raw}': ${set.error}` };
      tokens.push({ source: set.source, isQuantifiable: true });
      pos = set.end;
    } else if (char === "\\") {
      const escaped = body[pos + 1];
      if (escaped === undefined) return { ok: false, error: `invalid pattern '${raw}': it ends with '\\'` };
      tokens.push({ source: escapeRegex(escaped), isQuantifiable: true });
      pos += 2;
    } else {
      tokens.push({ source: escapeRegex(char), isQuantifiable: true });
      pos += 1;
    }
  }
  const regex = new RegExp(`^${tokens.map((token) => token.source).join("")}$`, "s");
  return { ok: true, pattern: { isNegated, regex } };
}

/** The reason GitHub would reject this pattern, or undefined when it is valid. */
export function validatePattern(pattern: string): string | undefined {
  const result = compilePattern(pattern);
  return result.ok ? undefined : result.error;
}

/**
 * Whether one pattern accepts `value`. A leading `!` negates the pattern (it accepts what the rest does not
 * match). An invalid pattern accepts nothing; use `validatePattern` to report it.
 */
export function matchesPattern(pattern: string, value: string): boolean {
  const result = compilePattern(pattern);
  if (!result.ok) return false;
  return result.pattern.regex.test(value) !== result.pattern.isNegated;
}

/**
 * GitHub's include/ignore list semantics for branches/tags/paths; `values` is e.g. one branch name or many
 * changed paths. Patterns are evaluated in order and the last matching one decides, so `!` re-excludes and a
 * later positive pattern re-includes. With `include` at least one value must end up included; with `ignore`
 * the filter fails only when every value ends up ignored. For paths, an empty change list fails any filter
 * ("If there are no files changed, the workflow will not run"); for refs, an empty list is simply not
 * included and not ignored.
 */
export function matchesFilter(filter: FilterLists, values: string[], kind: "ref" | "path"): boolean {
  const { include, ignore } = filter;
  if (include === undefined && ignore === undefined) return true;
  if (values.length === 0 && kind === "path") return false;
  if (include !== undefined) {
    const patterns = compileValid(include);
    if (!values.some((value) => isSelectedBy(patterns, value))) return false;
  }
  if (ignore !== undefined && values.length > 0) {
    const patterns = compileValid(ignore);
    if (values.every((value) => isSelectedBy(patterns, value))) return false;
  }
  return true;
}

/** Whether the last pattern in `patterns` that matches `value` is a positive one. */
function isSelectedBy(patterns: CompiledPattern[], value: string): boolean {
  let isSelected = false;
  for (const pattern of patterns) {
    if (pattern.regex.test(value)) isSelected = !pattern.isNegated;
  }
  return isSelected;
}

function compileValid(patterns: string[]): CompiledPattern[] {
  return patterns.flatMap((raw) => {
    const result = compilePattern(raw);
    return result.ok ? [result.pattern] : [];
  });
}

type BracketCompilation = { ok: true; source: string; end: number } | { ok: false; error: string };

function compileBracket(body: string, start: number, offset: number): BracketCompilation {
  let pos = start + 1;
  let members = "";
  while (pos < body.length && body[pos] !== "]") {
    let char = body[pos]!;
    if (char === "\\" && pos + 1 < body.length) {
      pos += 1;
      char = body[pos]!;
    }
    const isRange = body[pos + 1] === "-" && pos + 2 < body.length && body[pos + 2] !== "]";
    if (isRange) {
      const last = body[pos + 2]!;
      if (!isAllowedRange(char, last)) {
        return { ok: false, error: `range '${char}-${last}' must lie within a-z, A-Z or 0-9` };
      }
      members += `${escapeClassChar(char)}-${escapeClassChar(last)}`;
      pos += 3;
    } else {
      members += escapeClassChar(char);
      pos += 1;
    }
  }
  if (pos >= body.length)
    return { ok: false, error: `'[' at column ${start + offset + 1} has no closing ']'` };
  if (members === "") return { ok: false, error: `'[]' at column ${start + offset + 1} lists no characters` };
  return { ok: true, source: `[${members}]`, end: pos + 1 };
}

function isAllowedRange(first: string, last: string): boolean {
  return rangeClasses.some(([low, high]) => first >= low && last <= high && first <= last);
}

function escapeRegex(char: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(char) ? `\\${char}` : char;
}

function escapeClassChar(char: string): string {
  return /[\\\]^-]/.test(char) ? `\\${char}` : char;
}
