// Tests for the runner: runScriptStep end to end with real shells, env files, workflow commands, masking, timeout and cancel.
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Masker } from "../../src/runner/index.js";
import type { Executor } from "../../src/runner/index.js";
import {
  createStepFixture,
  isPrintedChildAlive,
  printBackgroundChild,
  runStep,
  type StepFixture,
} from "./step-fixture.js";

let fixture: StepFixture;
before(async () => {
  fixture = await createStepFixture();
});
after(async () => {
  await fixture.dispose();
});

test("default shell runs the script in the working directory and succeeds on exit 0", async () => {
  const { result, texts } = await runStep(fixture, 'echo "in $(pwd)"\necho second >&2');
  assert.equal(result.outcome, "success");
  assert.equal(result.exitCode, 0);
  assert.deepEqual(texts, [`in ${fixture.dirs.workspace}`, "second"]);
});

test("explicit bash uses pipefail; the unspecified default does not", async () => {
  const explicit = await runStep(fixture, "false | true", { shell: "bash" });
  assert.equal(explicit.result.outcome, "failure");
  assert.equal(explicit.result.exitCode, 1);
  assert.ok(explicit.result.annotations.some((a) => a.message === "Process completed with exit code 1."));
  const unspecified = await runStep(fixture, "false | true");
  assert.equal(unspecified.result.outcome, "success");
});

test("sh -e stops at the first failing command", async () => {
  const { result, texts } = await runStep(fixture, "echo before\nfalse\necho after", { shell: "sh" });
  assert.equal(result.outcome, "failure");
  assert.deepEqual(texts, ["before"]);
});

test("python, node and a custom {0} template run the script with their interpreter", async () => {
  const python = await runStep(fixture, "import sys\nprint('py', sys.argv[0].endswith('.py'))", {
    shell: "python",
  });
  assert.deepEqual(python.texts, ["py True"]);
  const node = await runStep(fixture, "console.log('node', __filename.endsWith('.js'))", { shell: "node" });
  assert.deepEqual(node.texts, ["node true"]);
  const custom = await runStep(fixture, "echo custom; exit 4", { shell: "bash --noprofile {0} extra" });
  assert.deepEqual(custom.texts, ["custom"]);
  assert.equal(custom.result.exitCode, 4);
  assert.equal(custom.result.outcome, "failure");
});

test("an invalid or missing shell fails the step with an error line, not a fault", async () => {
  const invalid = await runStep(fixture, "echo x", { shell: "perl -w" });
  assert.equal(invalid.result.outcome, "failure");
  assert.equal(invalid.result.error, undefined);
  assert.match(invalid.result.annotations[0].message, /format string containing '\{0\}'/);
  const missing = await runStep(fixture, "echo x", { shell: "pwsh" });
  assert.match(missing.result.annotations[0].message, /pwsh/);
});

test("env files: outputs, env, state, path, summary; heredocs included", async () => {
  const script = [
    'echo "plain=one" >> "$GITHUB_OUTPUT"',
    'printf "multi<<EOF\\nline 1\\nline 2\\nEOF\\n" >> "$GITHUB_OUTPUT"',
    'echo "MY_VAR=value=with=equals" >> "$GITHUB_ENV"',
    'echo "NODE_OPTIONS=--inspect" >> "$GITHUB_ENV"',
    'echo "saved=for-post" >> "$GITHUB_STATE"',
    'echo "/opt/first" >> "$GITHUB_PATH"',
    'echo "/opt/second" >> "$GITHUB_PATH"',
    'echo "## Summary with topsecret1" >> "$GITHUB_STEP_SUMMARY"',
  ].join("\n");
  const masker = new Masker();
  masker.add("topsecret1");
  const { result } = await runStep(fixture, script, { masker });
  assert.equal(result.outcome, "success");
  assert.deepEqual(result.outputs, { plain: "one", multi: "line 1\nline 2" });
  assert.deepEqual(result.env, { MY_VAR: "value=with=equals" });
  assert.ok(result.annotations.some((a) => a.level === "error" && /NODE_OPTIONS/.test(a.message)));
  assert.deepEqual(result.state, { saved: "for-post" });
  assert.deepEqual(result.path, ["/opt/second", "/opt/first"]);
  assert.equal(result.summary, "## Summary with ***\n");
});

test("a bad heredoc delimiter fails the step naming the file and line; earlier pairs still apply", async () => {
  const { result, lines } = await runStep(
    fixture,
    'printf "ok=1\\nbad<<EOF\\nvalue\\nEOX\\n" >> "$GITHUB_OUTPUT"',
  );
  assert.equal(result.outcome, "failure");
  assert.equal(result.exitCode, 0);
  assert.deepEqual(result.outputs, { ok: "1" });
  assert.ok(
    lines.some((l) => l.text === "GITHUB_OUTPUT:2: Invalid value. Matching delimiter not found 'EOF'"),
    JSON.stringify(lines),
  );
});

test("env files and scripts are fresh per step and removed afterwards", async () => {
  await runStep(fixture, 'echo "a=1" >> "$GITHUB_OUTPUT"');
  const second = await runStep(fixture, 'echo "b=2" >> "$GITHUB_OUTPUT"; cat "$GITHUB_OUTPUT"');
  assert.deepEqual(second.result.outputs, { b: "2" });
  assert.deepEqual(second.texts, ["b=2"]);
  assert.deepEqual(await readdir(fixture.dirs.fileCommands), []);
});

test("annotations, groups and escaping; command lines are not echoed by default", async () => {
  const file = join(fixture.dirs.workspace, "src", "app.ts");
  const script = [
    "echo '::group::Build %25 stuff'",
    `echo '::warning file=${file},line=3,col=5,endColumn=9,title=T%3A1::careful%0Anow'`,
    "echo '::notice::fyi'",
    "echo '::error line=7,endLine=5::bad'",
    "echo '::endgroup::'",
    "echo '::debug::hidden'",
    "echo '::unknown-cmd::stays'",
  ].join("\n");
  const { result, lines } = await runStep(fixture, script);
  assert.equal(result.outcome, "success");
  assert.deepEqual(
    lines.map((l) => ({ text: l.text, group: l.group, level: l.annotation?.level })),
    [
      { text: "Build % stuff", group: "start", level: undefined },
      { text: "careful\nnow", group: undefined, level: "warning" },
      { text: "fyi", group: undefined, level: "notice" },
      { text: "bad", group: undefined, level: "error" },
      { text: "", group: "end", level: undefined },
      { text: "::unknown-cmd::stays", group: undefined, level: undefined },
    ],
  );
  assert.deepEqual(result.annotations[0], {
    level: "warning",
    message: "careful\nnow",
    title: "T:1",
    file: "src/app.ts",
    line: 3,
    col: 5,
    endColumn: 9,
  });
  // endLine before line: the runner drops both.
  assert.deepEqual(result.annotations[2], { level: "error", message: "bad" });
});

test("step debug shows ::debug:: lines and echoes commands", async () => {
  const { lines } = await runStep(fixture, "echo '::debug::visible'\necho '::group::g'", { stepDebug: true });
  assert.ok(lines.some((l) => l.debug && l.text === "visible"));
  assert.ok(lines.some((l) => l.text === "::group::g" && l.group === undefined));
  assert.ok(lines.some((l) => l.text === "g" && l.group === "start"));
});

test("stop-commands: commands between the token lines are plain text", async () => {
  const script = [
    "echo '::stop-commands::tok123'",
    "echo '::error::not processed'",
    "echo '::add-mask::notamask'",
    "echo '::tok123::'",
    "echo '::error::processed'",
    "echo notamask",
  ].join("\n");
  const { result, texts } = await runStep(fixture, script);
  assert.deepEqual(texts, [
    "::stop-commands::tok123",
    "::error::not processed",
    "::add-mask::notamask",
    "::tok123::",
    "notamask",
  ]);
  assert.deepEqual(
    result.annotations.map((a) => a.message),
    ["processed"],
  );
});

test("deprecated set-output and save-state still work, with a deprecation warning", async () => {
  const { result } = await runStep(
    fixture,
    "echo '::set-output name=out::v%0A1'\necho '::save-state name=st::s'",
  );
  assert.equal(result.outcome, "success");
  assert.deepEqual(result.outputs, { out: "v\n1" });
  assert.deepEqual(result.state, { st: "s" });
  assert.equal(
    result.annotations.filter((a) => a.level === "warning" && /deprecated/.test(a.message)).length,
    2,
  );
});

test("set-env and add-path are disabled: an error, the step fails, nothing is applied", async () => {
  const { result, lines } = await runStep(fixture, "echo '::set-env name=X::1'\necho '::add-path::/opt/x'");
  assert.equal(result.outcome, "failure");
  assert.deepEqual(result.env, {});
  assert.deepEqual(result.path, []);
  assert.ok(lines.some((l) => /The `set-env` command is disabled/.test(l.text)));
  assert.ok(lines.some((l) => /The `add-path` command is disabled/.test(l.text)));
});

test("ACTIONS_ALLOW_UNSECURE_COMMANDS=true re-enables set-env and add-path", async () => {
  const env = { PATH: process.env.PATH ?? "", ACTIONS_ALLOW_UNSECURE_COMMANDS: "true" };
  const { result } = await runStep(fixture, "echo '::set-env name=X::1'\necho '::add-path::/opt/x'", { env });
  assert.equal(result.outcome, "success");
  assert.deepEqual(result.env, { X: "1" });
  assert.deepEqual(result.path, ["/opt/x"]);
});

test("a registered secret never reaches onLine, annotations or outputs' log", async () => {
  const masker = new Masker();
  masker.add("s3cr3t-value");
  const { allText, texts } = await runStep(
    fixture,
    "echo 'token: s3cr3t-value'\necho '::error title=s3cr3t-value::s3cr3t-value'",
    {
      masker,
    },
  );
  assert.deepEqual(texts, ["token: ***"]);
  assert.doesNotMatch(allText, /s3cr3t-value/);
});

test("add-mask applies to the next line, on either stream; the add-mask line is not shown", async () => {
  const { allText, texts, lines } = await runStep(
    fixture,
    "echo '::add-mask::dyn-secret-1'; echo 'dyn-secret-1 here'; echo 'dyn-secret-1 err' >&2",
  );
  assert.deepEqual(texts, ["*** here", "*** err"]);
  assert.doesNotMatch(allText, /dyn-secret-1/);
  assert.ok(lines.every((l) => !l.text.includes("add-mask")));
});

test("a multi-line secret is masked on each line", async () => {
  const masker = new Masker();
  masker.add("line-one-xx\nline-two-yy");
  const { texts } = await runStep(fixture, "printf 'line-one-xx\\nline-two-yy\\n'", { masker });
  assert.deepEqual(texts, ["***", "***"]);
});

test("a secret split across two output chunks written with a pause is still masked", async () => {
  const masker = new Masker();
  masker.add("split-secret");
  let stdoutChunks = 0;
  // Wraps the real executor only to count the chunks it delivers.
  const counting: Executor = {
    name: "counting",
    prepare: (spec) => fixture.executor.prepare(spec),
    cleanup: (dirs) => fixture.executor.cleanup(dirs),
    exec: (spec, onOutput) =>
      fixture.executor.exec(spec, (chunk, stream) => {
        if (stream === "stdout") stdoutChunks++;
        onOutput(chunk, stream);
      }),
  };
  const { texts, allText } = await runStep(fixture, "printf 'x split-'; sleep 0.3; printf 'secret y\\n'", {
    masker,
    executor: counting,
  });
  assert.ok(stdoutChunks >= 2, "the secret must arrive in two chunks for this test to mean anything");
  assert.deepEqual(texts, ["x *** y"]);
  assert.doesNotMatch(allText, /split-secret/);
});

test("a short add-mask value is not masked and produces one warning that does not show it", async () => {
  const { result, texts } = await runStep(fixture, "echo '::add-mask::abc'\necho abc");
  assert.deepEqual(texts, ["abc"]);
  const warnings = result.annotations.filter((a) => a.level === "warning");
  assert.equal(warnings.length, 1);
  assert.match(warnings[0].message, /shorter than 4 characters/);
  assert.doesNotMatch(warnings[0].message, /abc/);
});

test("timeout kills the step's whole process group and marks the step timed out", async () => {
  const { result, texts } = await runStep(fixture, `sleep 1000 &\n${printBackgroundChild}\nwait`, {
    timeoutMs: 1500,
  });
  assert.equal(result.outcome, "failure");
  assert.equal(result.timedOut, true);
  assert.equal(isPrintedChildAlive(texts.join("\n")), false, `background sleep survived: ${texts.join(" ")}`);
});

test("aborting the signal cancels the step", async () => {
  const controller = new AbortController();
  const { result } = await runStep(fixture, "echo started\nsleep 1000", {
    signal: controller.signal,
    onLine: (line) => {
      if (line.text === "started") controller.abort();
    },
  });
  assert.equal(result.outcome, "cancelled");
  assert.equal(result.timedOut, false);
});

test("a missing working directory fails the step with a clear error", async () => {
  const { result } = await runStep(fixture, "echo x", {
    workingDirectory: join(fixture.dirs.workspace, "nope"),
  });
  assert.equal(result.outcome, "failure");
  assert.match(result.annotations[0].message, /working directory '.*nope'/);
});

test("an env file or the file-commands dir replaced by a link is refused: the step fails, nothing is read or written through it", async () => {
  const job = await createStepFixture();
  const outside = await mkdtemp(join(tmpdir(), "hangar-outside-"));
  try {
    await writeFile(join(outside, "secret-key"), "canary=host-secret\n");
    const linked = await runStep(job, `ln -sf "${outside}/secret-key" "$GITHUB_OUTPUT"`);
    assert.equal(linked.result.outcome, "failure");
    assert.match(linked.allText, /set_output_.*a symbolic link stands in its place/);
    assert.doesNotMatch(linked.allText, /host-secret/);
    assert.deepEqual(linked.result.outputs, {});

    const swapped = await runStep(
      job,
      `mv "${job.dirs.fileCommands}" "$RUNNER_TEMP/moved"; ln -s "${outside}" "${job.dirs.fileCommands}"`,
      {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", RUNNER_TEMP: job.dirs.temp },
      },
    );
    assert.equal(swapped.result.outcome, "failure", "its own env files are behind the link now");
    const next = await runStep(job, "echo never-runs");
    assert.equal(next.result.outcome, "failure");
    assert.match(next.allText, /refused to use/);
    assert.deepEqual(
      await readdir(outside),
      ["secret-key"],
      "no script or env file was created through the link",
    );
  } finally {
    await job.dispose();
    await rm(outside, { recursive: true, force: true });
  }
});
