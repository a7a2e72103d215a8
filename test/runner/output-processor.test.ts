// Tests for the runner: OutputProcessor fed through LineSplitter: add-mask timing, split secrets, command failures, echo.
import assert from "node:assert/strict";
import { test } from "node:test";
import { LineSplitter, Masker, OutputProcessor } from "../../src/runner/index.js";
import type { LogLine } from "../../src/runner/index.js";

function createPipeline(masker = new Masker()) {
  const lines: LogLine[] = [];
  const processor = new OutputProcessor({ masker, onLine: (line) => lines.push(line), workspace: "/ws" });
  const splitter = new LineSplitter((line) => processor.processLine(line, "stdout"));
  return { lines, processor, splitter, masker };
}

test("add-mask and the secret in the same chunk: the secret is masked on the next line", () => {
  const { lines, splitter } = createPipeline();
  splitter.push(Buffer.from("::add-mask::same-chunk-secret\nvalue=same-chunk-secret\n"));
  splitter.end();
  assert.deepEqual(
    lines.map((l) => l.text),
    ["value=***"],
  );
});

test("a secret split across two chunks at every split point never reaches a sink", () => {
  const output = Buffer.from("before\nthe key is pässwörd-42 ok\r\nafter pässwörd-42", "utf8");
  for (let at = 0; at <= output.length; at++) {
    const masker = new Masker();
    masker.add("pässwörd-42");
    const { lines, splitter } = createPipeline(masker);
    splitter.push(output.subarray(0, at));
    splitter.push(output.subarray(at));
    splitter.end();
    assert.deepEqual(
      lines.map((l) => l.text),
      ["before", "the key is *** ok", "after ***"],
      `split at byte ${at}`,
    );
  }
});

test("a failed command marks the processor, names the command and masks its input", () => {
  const masker = new Masker();
  masker.add("hidden-name");
  const { lines, processor } = createPipeline(masker);
  processor.processLine("::set-output::no name hidden-name", "stdout");
  processor.processLine("::echo::sideways", "stdout");
  assert.equal(processor.hasCommandFailure, true);
  assert.deepEqual(
    lines.map((l) => l.text),
    [
      "The `set-output` command is deprecated and will be disabled soon. Please upgrade to using Environment Files. For more information see: https://github.blog/changelog/2022-10-11-github-actions-deprecating-save-state-and-set-output-commands/",
      "Unable to process command '::set-output::no name ***' successfully.",
      "Required field 'name' is missing in ##[set-output] command.",
      "Unable to process command '::echo::sideways' successfully.",
      "Invalid echo command value. Possible values can be: 'on', 'off'. Current value is: 'sideways'.",
    ],
  );
});

test("::echo::on shows later command lines, except add-mask which shows *** instead of the value", () => {
  const { lines, processor } = createPipeline();
  processor.processLine("::echo::on", "stdout");
  processor.processLine("::add-mask::echoed-secret", "stdout");
  processor.processLine("::group::G", "stdout");
  assert.deepEqual(
    lines.map((l) => l.text),
    ["::add-mask::***", "::group::G", "G"],
  );
});
