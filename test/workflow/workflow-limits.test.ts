// Workflow and action files are read within workflowLimits: an alias bomb, an oversized file and deep nesting are
// refused by code and limit before anything is expanded; a large workflow that uses anchors as people do still loads.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  formatDiagnostic,
  loadCompositeSteps,
  loadWorkflow,
  workflowLimits,
} from "../../src/workflow/index.js";
import { aliasBomb } from "../support/alias-bomb.js";

const file = ".github/workflows/ci.yml";

/** The diagnostics of loading `content`, compiler-style; a model means none. */
async function problems(content: string): Promise<string[]> {
  const loaded = await loadWorkflow({ path: file, content });
  assert.equal(loaded.workflow === undefined, loaded.diagnostics.length > 0);
  return loaded.diagnostics.map(formatDiagnostic);
}

/**
 * `jobs` jobs sharing runs-on, env, a matrix and steps through anchors on the first, each needing the one before;
 * the steps list aliases a shared checkout step too.
 */
function anchoredWorkflow(jobs: number): string {
  const lines = [
    "name: shards",
    "on: [push, pull_request]",
    "jobs:",
    "  shard0:",
    "    runs-on: &runs-on [self-hosted, linux, x64]",
    "    env: &env",
    "      CI: true",
    "      NODE_OPTIONS: --max-old-space-size=4096",
    "    strategy:",
    "      fail-fast: false",
    "      matrix: &matrix",
    "        node: [18, 20, 22]",
    "        os: [ubuntu, debian]",
    "    steps: &steps",
    "      - &checkout",
    "        uses: actions/checkout@v4",
    "        with:",
    "          fetch-depth: 0",
    "      - run: npm ci",
    "      - run: npm test -- --shard=${{ matrix.node }}/${{ matrix.os }}",
  ];
  for (let index = 1; index < jobs; index++) {
    lines.push(
      `  shard${index}:`,
      `    needs: shard${index - 1}`,
      "    runs-on: *runs-on",
      "    env: *env",
      "    strategy:",
      "      matrix: *matrix",
      "    steps:",
      "      - *checkout",
      "      - run: npm run lint",
      `      - run: echo shard ${index}`,
    );
  }
  return lines.join("\n") + "\n";
}

describe("refused past a limit", () => {
  // Unbounded, the parser's reader expands all 10⁹ scalars on the calling thread (GitHub issue: 60 s and more).
  test("a 9×10 alias bomb, at the alias that takes it past the node limit", async () => {
    const started = performance.now();
    assert.deepEqual(await problems(aliasBomb("  push:")), [
      `${file}:10:23: error WF_TOO_COMPLEX: alias *lol4 expands the file past the limit of 50,000 YAML nodes`,
    ]);
    assert.ok(performance.now() - started < 5_000, "refused before anything was expanded");
  });

  test("a composite action's bomb too", () => {
    const bomb = aliasBomb("  push:").replace(
      /^name: lol\non:\n {2}push:\n/,
      "name: lol\nruns:\n  using: composite\n",
    );
    const result = loadCompositeSteps({ path: "action.yml", content: bomb });
    assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
      "action.yml:10:23: error WF_TOO_COMPLEX: alias *lol4 expands the file past the limit of 50,000 YAML nodes",
    ]);
  });

  test("a file over the size limit, by its UTF-8 bytes", async () => {
    const padding = `# ${"é".repeat(workflowLimits.maxFileBytes / 2)}\n`;
    assert.deepEqual(await problems(`${padding}${anchoredWorkflow(1)}`), [
      `${file}:1:1: error WF_TOO_LARGE: the file is 524,781 bytes, over the limit of 524,288`,
    ]);
  });

  test("plain nodes past the node limit, without any alias", async () => {
    const flow = `[${Array.from({ length: workflowLimits.maxNodes }, () => "1").join(",")}]`;
    assert.deepEqual(await problems(`on: push\nenv:\n  X: ${flow}\n${anchoredWorkflow(1)}`), [
      `${file}:3:99999: error WF_TOO_COMPLEX: the file holds more than the limit of 50,000 YAML nodes`,
    ]);
  });

  test("block nesting deeper than the depth limit", async () => {
    const levels = Array.from(
      { length: workflowLimits.maxDepth },
      (_, level) => `${"  ".repeat(level + 1)}k${level}:`,
    );
    assert.deepEqual(await problems(`on: push\nenv:\n${levels.join("\n")} deep\n`), [
      `${file}:52:101: error WF_TOO_COMPLEX: mappings and sequences nest deeper than the limit of 50 levels`,
    ]);
  });

  // Counted on the lexer's tokens: yaml's parser takes 40 s over these 400 KB of `[` before a walk could see it.
  test("flow nesting deeper than the depth limit, before yaml parses it", async () => {
    const brackets = 200_000;
    const started = performance.now();
    assert.deepEqual(
      await problems(`on: push\nenv:\n  X: ${"[".repeat(brackets)}${"]".repeat(brackets)}\n`),
      [`${file}:3:56: error WF_TOO_COMPLEX: mappings and sequences nest deeper than the limit of 50 levels`],
    );
    assert.ok(performance.now() - started < 5_000, "refused before yaml's parser saw it");
  });

  test("aliases that nest past the depth limit", async () => {
    const anchors = ["  L0: &l0 [x]"];
    for (let level = 1; level <= workflowLimits.maxDepth; level++)
      anchors.push(`  L${level}: &l${level} [*l${level - 1}]`);
    assert.deepEqual(await problems(`on: push\nenv:\n${anchors.join("\n")}\n`), [
      `${file}:51:14: error WF_TOO_COMPLEX: alias *l47 makes mappings and sequences nest deeper than the limit of 50 levels`,
    ]);
  });

  test("an alias inside the node it names", async () => {
    assert.deepEqual(await problems(`on: push\nenv: &env\n  SELF: *env\n`), [
      `${file}:3:9: error WF_TOO_COMPLEX: alias *env is inside the node it names, so it never ends`,
    ]);
  });
});

describe("within the limits", () => {
  test("a 200-job workflow whose jobs share runs-on, env, a matrix and steps through anchors loads whole", async () => {
    const loaded = await loadWorkflow({ path: file, content: anchoredWorkflow(200) });
    assert.deepEqual(loaded.diagnostics, []);
    const jobs = loaded.workflow!.jobs;
    assert.equal(jobs.length, 200);
    const last = jobs[199]!;
    assert.deepEqual(last.needs, ["shard198"]);
    assert.deepEqual(
      last.steps.map((step) => step.uses ?? "run"),
      ["actions/checkout@v4", "run", "run"],
    );
    assert.equal(jobs.filter((job) => job.strategy !== undefined).length, 200);
  });

  test("a matrix of 256 included combinations loads", async () => {
    const include = Array.from({ length: 256 }, (_, index) => `          - { shard: ${index}, os: ubuntu }`);
    const content = `on: push
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        include:
${include.join("\n")}
    steps:
      - run: echo \${{ matrix.shard }}
`;
    assert.deepEqual(await problems(content), []);
  });
});
