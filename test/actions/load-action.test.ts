// Tests for loading action metadata (file:line:col errors) and GitHub's input rules (defaults, required, unexpected, deprecated).
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { evaluateToken, toDisplayString } from "../../src/workflow/index.js";
import { ActionLoadError, evaluateActionInputs, loadAction } from "../../src/runner/actions/load-action.js";
import { testdataActions } from "./action-fixture.js";

let temp: string;
before(async () => {
  temp = await mkdtemp(path.join(tmpdir(), "hangar-load-action-test-"));
});
after(async () => {
  await rm(temp, { recursive: true, force: true });
});

async function loadError(dir: string, name: string): Promise<ActionLoadError> {
  const error = await loadAction(dir, name).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof ActionLoadError, `expected ActionLoadError, got ${String(error)}`);
  return error;
}

test("loadAction reads action.yml into GitHub's ActionTemplate", async () => {
  const dir = path.join(testdataActions, "pre-post");
  const action = await loadAction(dir, "./pre-post");
  assert.equal(action.dir, dir);
  assert.equal(action.file, path.join(dir, "action.yml"));
  assert.equal(action.template.name, "Pre and post");
  const { runs } = action.template;
  assert.equal(runs.using, "node20");
  assert.ok(runs.using === "node20");
  assert.deepEqual([runs.pre, runs.main, runs.post], ["pre.mjs", "main.mjs", "post.mjs"]);
});

test("loadAction falls back to action.yaml, then to a lone Dockerfile", async () => {
  const yaml = await mkdtemp(path.join(temp, "yaml-"));
  await writeFile(
    path.join(yaml, "action.yaml"),
    "name: y\ndescription: d\nruns:\n  using: node24\n  main: x.js\n",
  );
  assert.equal((await loadAction(yaml, "y")).file, path.join(yaml, "action.yaml"));

  const docker = await mkdtemp(path.join(temp, "docker-"));
  await writeFile(path.join(docker, "Dockerfile"), "FROM alpine\n");
  const loaded = await loadAction(docker, "octo/container@v1");
  assert.equal(loaded.template.runs.using, "docker");
  assert.equal(loaded.file, path.join(docker, "Dockerfile"));
});

test("a directory with no metadata names the action and what was looked for", async () => {
  const empty = await mkdtemp(path.join(temp, "empty-"));
  const error = await loadError(empty, "octo/missing@v1");
  assert.equal(
    error.message,
    `Can't find 'action.yml', 'action.yaml' or 'Dockerfile' for action 'octo/missing@v1' under '${empty}'.`,
  );
});

test("schema errors name the action and each problem as file:line:col", async () => {
  const dir = path.join(testdataActions, "invalid-schema");
  const file = path.join(dir, "action.yml");
  const error = await loadError(dir, "octo/invalid@v1");
  assert.equal(
    error.message,
    [
      "Failed to load action 'octo/invalid@v1':",
      `  ${file}:5:3: Unexpected value 'mian'`,
      `  ${file}:6:3: Unexpected value 'bogus'`,
      `  ${file}:4:3: There's not enough info to determine what you meant. Add one of these properties: args, entrypoint, env, image, main, post, post-entrypoint, pre, pre-entrypoint, steps`,
    ].join("\n"),
  );
  assert.deepEqual(error.problems[0], { file, line: 5, column: 3, message: "Unexpected value 'mian'" });
});

test("only runs is required, as the runner's loose schema has it; its using is checked as the runner does", async () => {
  const cases: [string, string, string][] = [
    ["bare", "runs:\n  using: node20\n  main: index.js\n", ""],
    ["no-runs", "name: x\n", "1:1: Top level 'runs:' section is required for"],
    [
      "bad-using",
      "runs:\n  using: node99\n  main: index.js\n",
      "2:10: 'using: node99' is not supported. 'using' requires 'docker', 'node12', 'node16', 'node20', 'node24' or 'composite'.",
    ],
    [
      "no-main",
      "runs:\n  using: node24\n  image: x\n",
      "2:3: You are using a JavaScript Action but there is not an entry JavaScript file",
    ],
    [
      "no-image",
      "runs:\n  using: docker\n  main: x.js\n",
      "2:3: You are using a Container Action but an image is not provided",
    ],
  ];
  for (const [name, content, expected] of cases) {
    const dir = await mkdtemp(path.join(temp, `${name}-`));
    await writeFile(path.join(dir, "action.yml"), content);
    if (!expected) {
      assert.equal((await loadAction(dir, name)).template.runs.using, "node20");
      continue;
    }
    const error = await loadError(dir, name);
    assert.ok(error.message.includes(`action.yml:${expected}`), `${name}: ${error.message}`);
  }
});

test("YAML errors carry their position without the parser's source excerpt", async () => {
  const dir = path.join(testdataActions, "invalid-yaml");
  const error = await loadError(dir, "./invalid-yaml");
  assert.match(error.message, /^Failed to load action '\.\/invalid-yaml':\n/);
  assert.ok(error.problems.length > 0);
  for (const problem of error.problems) {
    assert.equal(problem.file, path.join(dir, "action.yml"));
    assert.ok(problem.line >= 2, `line ${problem.line}`);
    assert.doesNotMatch(problem.message, /at line \d+|\^/);
  }
});

const template = {
  name: "t",
  description: "d",
  runs: { using: "node20" as const, main: "index.js" },
};

async function loadInputsTemplate() {
  return (await loadAction(path.join(testdataActions, "plain-esm"), "./plain-esm")).template;
}

/** Evaluates a default with the real expression evaluator, as the step kind will. */
const evaluateDefault = async (token: Parameters<typeof evaluateToken>[0]) =>
  toDisplayString(await evaluateToken(token, { github: { token: "ghs_token" } }));

test("missing inputs get their defaults, expressions evaluated; given ones win, matched case-insensitively", async () => {
  const { inputs, warnings } = await evaluateActionInputs(
    await loadInputsTemplate(),
    { WHO: "Mona", greeting: "Howdy" },
    evaluateDefault,
  );
  assert.deepEqual(inputs, { WHO: "Mona", greeting: "Howdy", token: "ghs_token", "my input": "spaced" });
  assert.deepEqual(warnings, []);
});

test("a missing required input without a default only warns, as on GitHub, and is passed as empty", async () => {
  const { inputs, warnings } = await evaluateActionInputs(await loadInputsTemplate(), {}, evaluateDefault);
  assert.equal(inputs.who, "");
  assert.deepEqual(warnings, ["Input required and not supplied: who"]);
});

test("unexpected inputs warn with GitHub's wording and are still passed to the action", async () => {
  const { inputs, warnings } = await evaluateActionInputs(
    await loadInputsTemplate(),
    { who: "a", colour: "blue", size: "xl" },
    evaluateDefault,
  );
  assert.equal(inputs.colour, "blue");
  assert.deepEqual(warnings, [
    "Unexpected input(s) 'colour', 'size', valid inputs are ['who', 'greeting', 'token', 'my input']",
  ]);
  const none = await evaluateActionInputs(template, { x: "1" }, evaluateDefault);
  assert.deepEqual(none.warnings, ["Unexpected input(s) 'x', valid inputs are ['']"]);
});

test("a deprecated input that is given warns with its deprecation message", async () => {
  const dir = await mkdtemp(path.join(temp, "deprecated-"));
  await writeFile(
    path.join(dir, "action.yml"),
    "name: d\ndescription: d\ninputs:\n  old:\n    description: o\n    deprecationMessage: use new instead\nruns:\n  using: node20\n  main: x.js\n",
  );
  const loaded = await loadAction(dir, "d");
  const given = await evaluateActionInputs(loaded.template, { old: "1" }, evaluateDefault);
  assert.deepEqual(given.warnings, ["Input 'old' has been deprecated with message: use new instead"]);
  const omitted = await evaluateActionInputs(loaded.template, {}, evaluateDefault);
  assert.deepEqual(omitted.warnings, []);
});
