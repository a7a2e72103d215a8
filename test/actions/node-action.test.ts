// Tests for JavaScript actions: real node processes running testdata actions, @actions/core unmodified, pre/main/post state, failures and refusing docker actions.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Masker } from "../../src/runner/index.js";
import { evaluateActionInputs } from "../../src/runner/actions/load-action.js";
import { createActionFixture, loadTestAction, runPhase, type ActionFixture } from "./action-fixture.js";

let fixture: ActionFixture;
before(async () => {
  fixture = await createActionFixture();
});
after(async () => {
  await fixture.dispose();
});

test("a plain ESM action gets INPUT_* (spaces to _, upper case), GITHUB_ACTION_*, the workspace as cwd, and sets outputs", async () => {
  const action = { ...(await loadTestAction(fixture, "plain-esm")), repository: "octo-org/greet", ref: "v2" };
  const { inputs } = await evaluateActionInputs(action.template, { who: "Mona" }, async (token) =>
    token.toString() === "${{ github.token }}" ? "tok-123" : token.toString(),
  );
  const { result, texts } = await runPhase(fixture, action, "main", { inputs });
  assert.equal(result.outcome, "success");
  assert.deepEqual(texts, ["Hello, Mona!"]);
  assert.deepEqual(result.outputs, {
    message: "Hello, Mona!",
    token: "tok-123",
    spaced: "spaced",
    action_path: action.dir,
    action_repository: "octo-org/greet",
    action_ref: "v2",
    cwd: fixture.dirs.workspace,
  });
});

test("a local action without repository and ref gets no GITHUB_ACTION_REPOSITORY or GITHUB_ACTION_REF", async () => {
  const action = await loadTestAction(fixture, "plain-esm");
  const { result } = await runPhase(fixture, action, "main", { inputs: { who: "x", greeting: "Hi" } });
  assert.equal(result.outputs.action_repository, "(unset)");
  assert.equal(result.outputs.action_ref, "(unset)");
  assert.equal(result.outputs.message, "Hi, x!");
});

test("an action using @actions/core unmodified: inputs, outputs, state, env, path and setSecret masking", async () => {
  const action = await loadTestAction(fixture, "core-toolkit");
  const masker = new Masker();
  const main = await runPhase(fixture, action, "main", {
    inputs: { who: "octocat", secret: "hunter2-s3cret" },
    masker,
  });
  assert.equal(main.result.outcome, "success", main.allText);
  assert.deepEqual(main.result.outputs, { greeting: "hello octocat" });
  assert.deepEqual(main.result.state, { started_for: "octocat" });
  assert.deepEqual(main.result.env, { TOOLKIT_EXPORTED: "exported value" });
  assert.deepEqual(main.result.path, ["/opt/toolkit/bin"]);
  assert.ok(main.texts.includes("the secret is ***"), main.texts.join("\n"));
  assert.ok(!main.allText.includes("hunter2-s3cret"));

  const post = await runPhase(fixture, action, "post", { state: main.result.state, masker });
  assert.equal(post.result.outcome, "success", post.allText);
  assert.deepEqual(post.result.outputs, { post_saw: "octocat" });
  assert.deepEqual(post.texts, ["post ran for octocat"]);
});

test("a required input the action reads with core.getInput fails the action itself, as on GitHub", async () => {
  const action = await loadTestAction(fixture, "core-toolkit");
  const { inputs, warnings } = await evaluateActionInputs(action.template, {}, async () => "");
  assert.deepEqual(warnings, ["Input required and not supplied: who"]);
  const { result, lines } = await runPhase(fixture, action, "main", { inputs });
  assert.equal(result.outcome, "failure");
  assert.equal(result.exitCode, 1);
  // getInput throws; node prints the uncaught error on stderr.
  assert.ok(
    lines.some((l) => l.stream === "stderr" && l.text === "Error: Input required and not supplied: who"),
  );
});

test("pre, main and post: each phase sees the state saved by the earlier ones as STATE_<name>", async () => {
  const action = await loadTestAction(fixture, "pre-post");
  const pre = await runPhase(fixture, action, "pre");
  assert.equal(pre.result.outcome, "success");
  assert.deepEqual(pre.texts, ["pre"]);
  assert.deepEqual(pre.result.state, { phase_pre: "pre ran" });

  const main = await runPhase(fixture, action, "main", { state: pre.result.state });
  assert.deepEqual(main.texts, ["main sees pre ran"]);
  assert.deepEqual(main.result.state, { phase_main: "main\nran" });

  const post = await runPhase(fixture, action, "post", {
    state: { ...pre.result.state, ...main.result.state },
  });
  assert.equal(post.result.outcome, "success");
  assert.equal(post.result.outputs.state, 'STATE_phase_main="main\\nran" STATE_phase_pre="pre ran"');
});

test("a phase the action does not define succeeds without starting a process", async () => {
  const action = await loadTestAction(fixture, "plain-esm");
  const { result, lines } = await runPhase(fixture, action, "post");
  assert.equal(result.outcome, "success");
  assert.equal(result.exitCode, null);
  assert.deepEqual(lines, []);
});

test("core.setFailed fails the step with its message as an error annotation; outputs written before still count", async () => {
  const action = await loadTestAction(fixture, "set-failed");
  const { result } = await runPhase(fixture, action, "main");
  assert.equal(result.outcome, "failure");
  assert.equal(result.exitCode, 1);
  assert.equal(result.error, undefined);
  assert.deepEqual(result.outputs, { before_failure: "written" });
  assert.deepEqual(
    result.annotations.map((a) => [a.level, a.message]),
    [
      ["error", "the widget is broken"],
      ["error", "Process completed with exit code 1."],
    ],
  );
});

test("a docker action given to the JavaScript runner fails before starting anything (action-step runs it in a container)", async () => {
  const action = {
    ...(await loadTestAction(fixture, "docker-image")),
    repository: "octo-org/container",
    ref: "v1",
  };
  const { result, lines } = await runPhase(fixture, action, "main");
  assert.equal(result.outcome, "failure");
  assert.equal(result.exitCode, null);
  assert.match(
    result.error ?? "",
    /^'octo-org\/container@v1' is a docker action; it does not run as a JavaScript program/,
  );
  assert.equal(lines.length, 1);
  assert.equal(lines[0]?.annotation?.level, "error");
});
