// Tests filter patterns against GitHub's "Filter pattern cheat sheet" and the include/ignore list semantics.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { matchesFilter, matchesPattern, validatePattern } from "../../src/workflow/triggers/index.js";

interface CheatSheetRow {
  /** The row's patterns, evaluated in order as one `paths`/`branches` list. */
  patterns: string[];
  matches: string[];
  nonMatches: string[];
}

// Workflow syntax, "Patterns to match branches and tags": every row's example matches, plus non-matches
// that follow from the row's description.
const branchAndTagRows: CheatSheetRow[] = [
  {
    patterns: ["feature/*"],
    matches: ["feature/my-branch", "feature/your-branch"],
    nonMatches: ["feature/beta-a/my-branch", "feature", "features/x"],
  },
  {
    patterns: ["feature/**"],
    matches: ["feature/beta-a/my-branch", "feature/your-branch", "feature/mona/the/octocat"],
    nonMatches: ["feature", "my/feature/x"],
  },
  {
    patterns: ["main", "releases/mona-the-octocat"],
    matches: ["main", "releases/mona-the-octocat"],
    nonMatches: ["main2", "releases/mona", "Main"],
  },
  { patterns: ["*"], matches: ["main", "releases"], nonMatches: ["all/the/branches", "feature/x"] },
  { patterns: ["**"], matches: ["all/the/branches", "every/tag", "main"], nonMatches: [] },
  {
    patterns: ["*feature"],
    matches: ["mona-feature", "feature", "ver-10-feature"],
    nonMatches: ["feature-x", "mona/feature"],
  },
  { patterns: ["v2*"], matches: ["v2", "v2.0", "v2.9"], nonMatches: ["v1.0", "v3", "v2/x"] },
  {
    patterns: ["v[12].[0-9]+.[0-9]+"],
    matches: ["v1.10.1", "v2.0.0"],
    nonMatches: ["v3.0.0", "v1..1", "v1.x.0", "v12.0.0", "v1.0"],
  },
];

// Workflow syntax, "Patterns to match file paths".
const pathRows: CheatSheetRow[] = [
  { patterns: ["*"], matches: ["README.md", "server.rb"], nonMatches: ["docs/README.md"] },
  {
    patterns: ["*.jsx?"],
    matches: ["page.js", "page.jsx"],
    nonMatches: ["page.jsxx", "page.j", "src/page.js"],
  },
  { patterns: ["**"], matches: ["all/the/files.md", "README.md"], nonMatches: [] },
  { patterns: ["*.js"], matches: ["app.js", "index.js"], nonMatches: ["js/index.js", "app.jsx"] },
  {
    patterns: ["**.js"],
    matches: ["index.js", "js/index.js", "src/js/app.js"],
    nonMatches: ["index.jsx", "index.ts"],
  },
  {
    patterns: ["docs/*"],
    matches: ["docs/README.md", "docs/file.txt"],
    nonMatches: ["docs/mona/octocat.txt", "README.md"],
  },
  {
    patterns: ["docs/**"],
    matches: ["docs/README.md", "docs/mona/octocat.txt"],
    nonMatches: ["dir/docs/a.md", "docsx/a.md"],
  },
  {
    patterns: ["docs/**/*.md"],
    matches: ["docs/README.md", "docs/mona/hello-world.md", "docs/a/markdown/file.md"],
    nonMatches: ["docs/file.txt", "src/a.md"],
  },
  {
    patterns: ["**/docs/**"],
    matches: ["docs/hello.md", "dir/docs/my-file.txt", "space/docs/plan/space.doc"],
    nonMatches: ["mydocs/a.md", "dir/docsx/a.txt"],
  },
  {
    patterns: ["**/README.md"],
    matches: ["README.md", "js/README.md"],
    nonMatches: ["README.mdx", "js/MY-README.md"],
  },
  {
    patterns: ["**/*src/**"],
    matches: ["a/src/app.js", "my-src/code/js/app.js"],
    nonMatches: ["a/source/app.js", "src-a/app.js"],
  },
  {
    patterns: ["**/*-post.md"],
    matches: ["my-post.md", "path/their-post.md"],
    nonMatches: ["post.md", "path/their-post.mdx"],
  },
  {
    patterns: ["**/migrate-*.sql"],
    matches: ["migrate-10909.sql", "db/migrate-v1.0.sql", "db/sept/migrate-v1.sql"],
    nonMatches: ["db/migrate.sql", "db/migrate-v1.sql.bak"],
  },
  {
    patterns: ["*.md", "!README.md"],
    matches: ["hello.md"],
    nonMatches: ["README.md", "docs/hello.md"],
  },
  {
    patterns: ["*.md", "!README.md", "README*"],
    matches: ["hello.md", "README.md", "README.doc"],
    nonMatches: ["docs/hello.md"],
  },
];

describe("cheat sheet: patterns to match branches and tags", () => {
  for (const row of branchAndTagRows) {
    for (const value of row.matches) {
      it(`${row.patterns.join(", ")} matches ${value}`, () => {
        assert.equal(matchesFilter({ include: row.patterns }, [value], "ref"), true);
      });
    }
    for (const value of row.nonMatches) {
      it(`${row.patterns.join(", ")} does not match ${value}`, () => {
        assert.equal(matchesFilter({ include: row.patterns }, [value], "ref"), false);
      });
    }
  }
});

describe("cheat sheet: patterns to match file paths", () => {
  for (const row of pathRows) {
    for (const value of row.matches) {
      it(`${row.patterns.join(", ")} matches ${value}`, () => {
        assert.equal(matchesFilter({ include: row.patterns }, [value], "path"), true);
      });
    }
    for (const value of row.nonMatches) {
      it(`${row.patterns.join(", ")} does not match ${value}`, () => {
        assert.equal(matchesFilter({ include: row.patterns }, [value], "path"), false);
      });
    }
  }
});

describe("matchesPattern", () => {
  const cases: Array<{ pattern: string; value: string; expected: boolean; why: string }> = [
    { pattern: "Octo*", value: "Octocat", expected: true, why: "cheat sheet: Octo* matches Octocat" },
    { pattern: "[CB]at", value: "Cat", expected: true, why: "cheat sheet: [CB]at matches Cat" },
    { pattern: "[CB]at", value: "Bat", expected: true, why: "cheat sheet: [CB]at matches Bat" },
    { pattern: "[CB]at", value: "Hat", expected: false, why: "H is not listed" },
    { pattern: "[1-2]00", value: "100", expected: true, why: "cheat sheet: [1-2]00 matches 100" },
    { pattern: "[1-2]00", value: "200", expected: true, why: "cheat sheet: [1-2]00 matches 200" },
    { pattern: "[1-2]00", value: "300", expected: false, why: "3 is outside the range" },
    {
      pattern: "[0-9a-z]",
      value: "q",
      expected: true,
      why: "cheat sheet: [0-9a-z] matches a lowercase letter",
    },
    { pattern: "[0-9a-z]", value: "Q", expected: false, why: "uppercase is outside both ranges" },
    { pattern: "[0-9a-z]", value: "", expected: false, why: "brackets match exactly one character" },
    { pattern: "ab?c", value: "ac", expected: true, why: "? is zero of the preceding character" },
    { pattern: "ab?c", value: "abc", expected: true, why: "? is one of the preceding character" },
    { pattern: "ab?c", value: "abbc", expected: false, why: "? allows at most one" },
    { pattern: "ab+c", value: "abbbc", expected: true, why: "+ is one or more of the preceding character" },
    { pattern: "ab+c", value: "ac", expected: false, why: "+ needs at least one" },
    { pattern: "v[0-9]+", value: "v2024", expected: true, why: "+ quantifies a bracket" },
    { pattern: "a\\*b", value: "a*b", expected: true, why: "\\ escapes *" },
    { pattern: "a\\*b", value: "axb", expected: false, why: "an escaped * is literal" },
    { pattern: "c\\+\\+", value: "c++", expected: true, why: "\\ escapes +" },
    { pattern: "c++", value: "c++", expected: false, why: "unescaped + is a quantifier" },
    { pattern: "c++", value: "cc+", expected: true, why: "a + right after a quantifier is literal" },
    { pattern: "\\!file", value: "!file", expected: true, why: "an escaped leading ! is literal" },
    { pattern: "!file", value: "file", expected: false, why: "a leading ! negates" },
    {
      pattern: "!file",
      value: "other",
      expected: true,
      why: "a negated pattern accepts what it does not match",
    },
    { pattern: "a!b", value: "a!b", expected: true, why: "! is special only at the start" },
    { pattern: "?abc", value: "?abc", expected: true, why: "a leading ? has nothing to quantify" },
    { pattern: "a.b", value: "axb", expected: false, why: ". is literal, not a regex wildcard" },
    { pattern: "a(b)", value: "a(b)", expected: true, why: "parentheses are literal" },
    {
      pattern: "release/v[0-9].[0-9]",
      value: "release/v1.2",
      expected: true,
      why: "cheat sheet YAML example",
    },
    {
      pattern: "releases/**-alpha",
      value: "releases/beta/3-alpha",
      expected: true,
      why: "workflow_run example",
    },
    { pattern: "docs/**/*.md", value: "docs/README.md", expected: true, why: "**/ may match no directory" },
    { pattern: "main", value: "refs/heads/main", expected: false, why: "patterns match the whole name" },
  ];
  for (const { pattern, value, expected, why } of cases) {
    it(`${pattern} ${expected ? "matches" : "does not match"} ${value} (${why})`, () => {
      assert.equal(matchesPattern(pattern, value), expected);
    });
  }
});

describe("validatePattern", () => {
  const invalid: Array<{ pattern: string; message: string }> = [
    { pattern: "a[]", message: "invalid pattern 'a[]': '[]' at column 2 lists no characters" },
    { pattern: "a[bc", message: "invalid pattern 'a[bc': '[' at column 2 has no closing ']'" },
    { pattern: "![bc", message: "invalid pattern '![bc': '[' at column 2 has no closing ']'" },
    { pattern: "[a-Z]", message: "invalid pattern '[a-Z]': range 'a-Z' must lie within a-z, A-Z or 0-9" },
    { pattern: "[9-0]", message: "invalid pattern '[9-0]': range '9-0' must lie within a-z, A-Z or 0-9" },
    { pattern: "[!-~]", message: "invalid pattern '[!-~]': range '!-~' must lie within a-z, A-Z or 0-9" },
    { pattern: "abc\\", message: "invalid pattern 'abc\\': it ends with '\\'" },
  ];
  for (const { pattern, message } of invalid) {
    it(`rejects ${pattern}`, () => {
      assert.equal(validatePattern(pattern), message);
      assert.equal(matchesPattern(pattern, pattern), false);
    });
  }
  for (const pattern of ["**", "v[12].[0-9]+.[0-9]+", "!docs/**", "[A-Za-z0-9_]", "[-a]", "c\\+\\+"]) {
    it(`accepts ${pattern}`, () => {
      assert.equal(validatePattern(pattern), undefined);
    });
  }
});

describe("matchesFilter", () => {
  const cases: Array<{
    name: string;
    filter: { include?: string[]; ignore?: string[] };
    values: string[];
    kind: "ref" | "path";
    expected: boolean;
  }> = [
    { name: "no filter passes", filter: {}, values: ["x"], kind: "ref", expected: true },
    { name: "no filter passes with no paths", filter: {}, values: [], kind: "path", expected: true },
    {
      name: "a later pattern overrides an earlier one (re-include)",
      filter: { include: ["**", "!docs/**", "docs/important.md"] },
      values: ["docs/important.md"],
      kind: "path",
      expected: true,
    },
    {
      name: "a later negation excludes",
      filter: { include: ["**", "!docs/**", "docs/important.md"] },
      values: ["docs/other.md"],
      kind: "path",
      expected: false,
    },
    {
      name: "paths: one included file among others is enough",
      filter: { include: ["src/**"] },
      values: ["README.md", "src/a.ts"],
      kind: "path",
      expected: true,
    },
    {
      name: "paths: no file included fails",
      filter: { include: ["src/**"] },
      values: ["README.md", "docs/a.md"],
      kind: "path",
      expected: false,
    },
    {
      name: "paths-ignore: passes when some file is not ignored",
      filter: { ignore: ["docs/**"] },
      values: ["docs/a.md", "src/a.ts"],
      kind: "path",
      expected: true,
    },
    {
      name: "paths-ignore: fails when every file is ignored",
      filter: { ignore: ["docs/**", "*.md"] },
      values: ["docs/a.md", "README.md"],
      kind: "path",
      expected: false,
    },
    {
      name: "paths-ignore: a later negation un-ignores",
      filter: { ignore: ["docs/**", "!docs/api/**"] },
      values: ["docs/api/x.md"],
      kind: "path",
      expected: true,
    },
    {
      name: "paths: an empty change list fails (no files changed)",
      filter: { include: ["**"] },
      values: [],
      kind: "path",
      expected: false,
    },
    {
      name: "paths-ignore: an empty change list fails (no files changed)",
      filter: { ignore: ["docs/**"] },
      values: [],
      kind: "path",
      expected: false,
    },
    {
      name: "branches: a negation after a positive excludes",
      filter: { include: ["releases/**", "!releases/**-alpha"] },
      values: ["releases/10-alpha"],
      kind: "ref",
      expected: false,
    },
    {
      name: "branches: workflow_run example releases/beta/mona runs",
      filter: { include: ["releases/**", "!releases/**-alpha"] },
      values: ["releases/beta/mona"],
      kind: "ref",
      expected: true,
    },
    {
      name: "branches-ignore: ignored branch fails",
      filter: { ignore: ["mona/octocat", "releases/**-alpha"] },
      values: ["releases/beta/3-alpha"],
      kind: "ref",
      expected: false,
    },
    {
      name: "branches-ignore: other branch passes",
      filter: { ignore: ["mona/octocat", "releases/**-alpha"] },
      values: ["main"],
      kind: "ref",
      expected: true,
    },
    {
      name: "a negation alone includes nothing",
      filter: { include: ["!main"] },
      values: ["dev"],
      kind: "ref",
      expected: false,
    },
    {
      name: "refs: an empty list is not included",
      filter: { include: ["**"] },
      values: [],
      kind: "ref",
      expected: false,
    },
    {
      name: "refs: an empty list is not ignored",
      filter: { ignore: ["**"] },
      values: [],
      kind: "ref",
      expected: true,
    },
    {
      name: "an invalid pattern matches nothing while the valid ones still apply",
      filter: { include: ["a[", "main"] },
      values: ["main"],
      kind: "ref",
      expected: true,
    },
  ];
  for (const { name, filter, values, kind, expected } of cases) {
    it(name, () => {
      assert.equal(matchesFilter(filter, values, kind), expected);
    });
  }
});
