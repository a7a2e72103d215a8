// Tests matrix expansion against GitHub's documented examples ("Running variations of jobs"), limits and errors.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { expandMatrix } from "../../src/workflow/matrix.js";
import type { Combination, MatrixValue } from "../../src/workflow/matrix.js";

/** Compares as JSON so that key order, which sets job names and display order, is checked too. */
function assertCombinations(matrix: Record<string, MatrixValue>, expected: Combination[]): void {
  const expansion = expandMatrix(matrix);
  assert.equal(expansion.error, undefined);
  assert.deepEqual(
    expansion.combinations.map((combination) => JSON.stringify(combination)),
    expected.map((combination) => JSON.stringify(combination)),
  );
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index);
}

describe("GitHub's documented matrix examples", () => {
  it("creates jobs in variable order (using a matrix strategy: version x os)", () => {
    assertCombinations({ version: [10, 12, 14], os: ["ubuntu-latest", "windows-latest"] }, [
      { version: 10, os: "ubuntu-latest" },
      { version: 10, os: "windows-latest" },
      { version: 12, os: "ubuntu-latest" },
      { version: 12, os: "windows-latest" },
      { version: 14, os: "ubuntu-latest" },
      { version: 14, os: "windows-latest" },
    ]);
  });

  it("expands with include (fruit/animal example: six jobs)", () => {
    assertCombinations(
      {
        fruit: ["apple", "pear"],
        animal: ["cat", "dog"],
        include: [
          { color: "green" },
          { color: "pink", animal: "cat" },
          { fruit: "apple", shape: "circle" },
          { fruit: "banana" },
          { fruit: "banana", animal: "cat" },
        ],
      },
      [
        { fruit: "apple", animal: "cat", color: "pink", shape: "circle" },
        { fruit: "apple", animal: "dog", color: "green", shape: "circle" },
        { fruit: "pear", animal: "cat", color: "pink" },
        { fruit: "pear", animal: "dog", color: "green" },
        { fruit: "banana" },
        { fruit: "banana", animal: "cat" },
      ],
    );
  });

  it("adds a variable to one combination (os/node example: npm 6 only on windows-latest + 16)", () => {
    assertCombinations(
      {
        os: ["windows-latest", "ubuntu-latest"],
        node: [12, 14, 16],
        include: [{ os: "windows-latest", node: 16, npm: 6 }],
      },
      [
        { os: "windows-latest", node: 12 },
        { os: "windows-latest", node: 14 },
        { os: "windows-latest", node: 16, npm: 6 },
        { os: "ubuntu-latest", node: 12 },
        { os: "ubuntu-latest", node: 14 },
        { os: "ubuntu-latest", node: 16 },
      ],
    );
  });

  it("adds a new combination (os/version example: ten jobs)", () => {
    assertCombinations(
      {
        os: ["macos-latest", "windows-latest", "ubuntu-latest"],
        version: [12, 14, 16],
        include: [{ os: "windows-latest", version: 17 }],
      },
      [
        { os: "macos-latest", version: 12 },
        { os: "macos-latest", version: 14 },
        { os: "macos-latest", version: 16 },
        { os: "windows-latest", version: 12 },
        { os: "windows-latest", version: 14 },
        { os: "windows-latest", version: 16 },
        { os: "ubuntu-latest", version: 12 },
        { os: "ubuntu-latest", version: 14 },
        { os: "ubuntu-latest", version: 16 },
        { os: "windows-latest", version: 17 },
      ],
    );
  });

  it("runs every include entry when there are no vectors (site/datacenter example)", () => {
    assertCombinations(
      {
        include: [
          { site: "production", datacenter: "site-a" },
          { site: "staging", datacenter: "site-b" },
        ],
      },
      [
        { site: "production", datacenter: "site-a" },
        { site: "staging", datacenter: "site-b" },
      ],
    );
  });

  it("tests five perl versions on ubuntu and two on macos (seven jobs)", () => {
    assertCombinations(
      {
        os: ["ubuntu-latest"],
        perl: ["5.16", "5.20", "5.26", "5.30", "latest"],
        include: [
          { os: "macos-latest", perl: "5.26" },
          { os: "macos-latest", perl: "latest" },
        ],
      },
      [
        { os: "ubuntu-latest", perl: "5.16" },
        { os: "ubuntu-latest", perl: "5.20" },
        { os: "ubuntu-latest", perl: "5.26" },
        { os: "ubuntu-latest", perl: "5.30" },
        { os: "ubuntu-latest", perl: "latest" },
        { os: "macos-latest", perl: "5.26" },
        { os: "macos-latest", perl: "latest" },
      ],
    );
  });

  it("excludes partial matches (os/version/environment example: nine jobs)", () => {
    assertCombinations(
      {
        os: ["macos-latest", "windows-latest"],
        version: [12, 14, 16],
        environment: ["staging", "production"],
        exclude: [
          { os: "macos-latest", version: 12, environment: "production" },
          { os: "windows-latest", version: 16 },
        ],
      },
      [
        { os: "macos-latest", version: 12, environment: "staging" },
        { os: "macos-latest", version: 14, environment: "staging" },
        { os: "macos-latest", version: 14, environment: "production" },
        { os: "macos-latest", version: 16, environment: "staging" },
        { os: "macos-latest", version: 16, environment: "production" },
        { os: "windows-latest", version: 12, environment: "staging" },
        { os: "windows-latest", version: 12, environment: "production" },
        { os: "windows-latest", version: 14, environment: "staging" },
        { os: "windows-latest", version: 14, environment: "production" },
      ],
    );
  });
});

describe("include and exclude details", () => {
  const cases: Array<{ name: string; matrix: Record<string, MatrixValue>; expected: Combination[] }> = [
    {
      name: "include adds back an excluded combination (include is processed after exclude)",
      matrix: { os: ["a", "b"], exclude: [{ os: "b" }], include: [{ os: "b", extra: true }] },
      expected: [{ os: "a" }, { os: "b", extra: true }],
    },
    {
      name: "every combination excluded leaves only include entries",
      matrix: { os: ["a"], exclude: [{ os: "a" }], include: [{ note: "x" }] },
      expected: [{ note: "x" }],
    },
    {
      name: "every combination excluded and no include gives no jobs",
      matrix: { os: ["a"], exclude: [{ os: "a" }] },
      expected: [],
    },
    {
      name: "a later include overwrites a value added by an earlier include",
      matrix: { os: ["a", "b"], include: [{ tool: 1 }, { os: "b", tool: 2 }] },
      expected: [
        { os: "a", tool: 1 },
        { os: "b", tool: 2 },
      ],
    },
    {
      name: "an include never overwrites an original value",
      matrix: { os: ["a"], node: [1], include: [{ os: "a", node: 2 }] },
      expected: [
        { os: "a", node: 1 },
        { os: "a", node: 2 },
      ],
    },
    {
      name: "object vector values are compared deeply by include",
      matrix: {
        target: [
          { os: "linux", arch: "x64" },
          { os: "linux", arch: "arm64" },
        ],
        include: [{ target: { arch: "arm64", os: "linux" }, emulate: true }],
      },
      expected: [
        { target: { os: "linux", arch: "x64" } },
        { target: { os: "linux", arch: "arm64" }, emulate: true },
      ],
    },
    {
      name: "an include with a partial object does not extend (it would overwrite the original)",
      matrix: { target: [{ os: "linux", arch: "x64" }], include: [{ target: { os: "linux" }, extra: 1 }] },
      expected: [{ target: { os: "linux", arch: "x64" } }, { target: { os: "linux" }, extra: 1 }],
    },
    {
      name: "exclude compares object values partially, leaf by leaf",
      matrix: {
        target: [
          { os: "linux", arch: "x64" },
          { os: "windows", arch: "x64" },
        ],
        exclude: [{ target: { os: "windows" } }],
      },
      expected: [{ target: { os: "linux", arch: "x64" } }],
    },
    {
      name: "exclude compares array values exactly",
      matrix: {
        flags: [["-O2"], ["-O2", "-g"]],
        exclude: [{ flags: ["-O2"] }],
      },
      expected: [{ flags: ["-O2", "-g"] }],
    },
    {
      name: "values are compared by type: the number 12 is not the string '12'",
      matrix: { node: [12, "12"], exclude: [{ node: "12" }] },
      expected: [{ node: 12 }],
    },
    {
      name: "null and booleans are values like any other",
      matrix: { flag: [true, false, null], include: [{ flag: null, label: "unset" }] },
      expected: [{ flag: true }, { flag: false }, { flag: null, label: "unset" }],
    },
    {
      name: "variable names are case insensitive in include and exclude",
      matrix: {
        os: ["linux", "windows"],
        include: [
          { OS: "windows", shell: "pwsh" },
          { Shell: "bash", os: "linux" },
        ],
        exclude: [{ Os: "mac" }],
      },
      expected: [
        { os: "linux", Shell: "bash" },
        { os: "windows", shell: "pwsh" },
      ],
    },
    {
      name: "added variables are case insensitive when a later include overwrites them",
      matrix: { os: ["linux"], include: [{ shell: "sh" }, { SHELL: "bash" }] },
      expected: [{ os: "linux", shell: "bash" }],
    },
  ];
  for (const { name, matrix, expected } of cases) {
    it(name, () => {
      assertCombinations(matrix, expected);
    });
  }

  it("returns combinations that share no objects with the input or with each other", () => {
    const target = { os: "linux" };
    const expansion = expandMatrix({ target: [target], node: [1, 2], include: [{ extra: { deep: [1] } }] });
    const [first, second] = expansion.combinations;
    assert.ok(first && second);
    (first["target"] as Record<string, MatrixValue>)["os"] = "changed";
    ((first["extra"] as Record<string, MatrixValue>)["deep"] as MatrixValue[]).push(2);
    assert.deepEqual(target, { os: "linux" });
    assert.deepEqual(second, { target: { os: "linux" }, node: 2, extra: { deep: [1] } });
  });
});

describe("job limit", () => {
  it("allows exactly 256 jobs", () => {
    const expansion = expandMatrix({ a: range(16), b: range(16) });
    assert.equal(expansion.error, undefined);
    assert.equal(expansion.combinations.length, 256);
  });

  it("rejects 272 jobs from the cross product", () => {
    assert.deepEqual(expandMatrix({ a: range(17), b: range(16) }), {
      combinations: [],
      error: "matrix would produce 272 jobs; GitHub's limit is 256",
    });
  });

  it("counts include entries that become new combinations", () => {
    assert.deepEqual(expandMatrix({ a: range(16), b: range(16), include: [{ a: 99 }] }), {
      combinations: [],
      error: "matrix would produce 257 jobs; GitHub's limit is 256",
    });
  });

  it("counts after exclude", () => {
    const expansion = expandMatrix({ a: range(17), b: range(16), exclude: [{ a: 0 }] });
    assert.equal(expansion.error, undefined);
    assert.equal(expansion.combinations.length, 256);
  });

  it("include entries that extend combinations do not add jobs", () => {
    const expansion = expandMatrix({ a: range(16), b: range(16), include: [{ a: 3, extra: true }] });
    assert.equal(expansion.error, undefined);
    assert.equal(expansion.combinations.length, 256);
  });

  it("honours a smaller limit", () => {
    assert.deepEqual(expandMatrix({ a: range(3) }, 2), {
      combinations: [],
      error: "matrix would produce 3 jobs; the limit is 2",
    });
  });

  it("refuses to enumerate a huge cross product", () => {
    assert.deepEqual(expandMatrix({ a: range(101), b: range(100), c: range(100) }), {
      combinations: [],
      error: "matrix has 1010000 combinations before exclude; hangar expands at most 1000000",
    });
  });
});

describe("matrix errors", () => {
  const cases: Array<{ name: string; matrix: Record<string, MatrixValue>; error: string }> = [
    {
      name: "a vector that is not a list",
      matrix: { os: "ubuntu-latest" },
      error: `matrix vector 'os' must be a list, not the string "ubuntu-latest"`,
    },
    {
      name: "a vector that is a mapping",
      matrix: { os: { a: 1 } },
      error: "matrix vector 'os' must be a list, not a mapping",
    },
    { name: "an empty vector", matrix: { os: [] }, error: "Matrix vector 'os' does not contain any values" },
    { name: "an empty matrix", matrix: {}, error: "Matrix must define at least one vector" },
    {
      name: "an empty include and no vectors",
      matrix: { include: [] },
      error: "Matrix must define at least one vector",
    },
    {
      name: "include that is not a list",
      matrix: { os: ["a"], include: { os: "b" } },
      error: "matrix include must be a list of mappings, not a mapping",
    },
    {
      name: "exclude item that is not a mapping",
      matrix: { os: ["a"], exclude: [{ os: "a" }, "b"] },
      error: `matrix exclude item 2 must be a mapping, not the string "b"`,
    },
    {
      name: "exclude naming a variable that only include adds (actions/runner#2111)",
      matrix: { include: [{ service: "a", build: false }], exclude: [{ build: false }] },
      error: "Matrix exclude key 'build' does not match any key within the matrix",
    },
    {
      name: "an empty exclude entry",
      matrix: { os: ["a"], exclude: [{}] },
      error: "Matrix exclude filter must not be empty",
    },
    {
      name: "two variables that differ only in case",
      matrix: { os: ["a"], OS: ["b"] },
      error: "matrix defines 'os' and 'OS', which name the same variable",
    },
  ];
  for (const { name, matrix, error } of cases) {
    it(name, () => {
      assert.deepEqual(expandMatrix(matrix), { combinations: [], error });
    });
  }
});
