// Tests for the runner: Workflow command parsing: escaping, legacy form, stop-commands.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseWorkflowCommand, WorkflowCommandReader } from "../../src/runner/index.js";

test("properties and data are parsed with GitHub's escaping", () => {
  const command = parseWorkflowCommand(
    "::error file=src/a%2Cb.ts,line=3,title=A%3A b%0Ac%25 ,endLine=4::50%25 done%0D%0Anext %3A %2C",
  );
  assert.deepEqual(command, {
    name: "error",
    properties: { file: "src/a,b.ts", line: "3", title: "A: b\nc% ", endline: "4" },
    data: "50% done\r\nnext %3A %2C",
  });
});

test("%25 is unescaped last, so an escaped escape stays literal", () => {
  assert.equal(parseWorkflowCommand("::warning::%250A")?.data, "%0A");
});

test("leading whitespace is allowed, names are case-insensitive, property names too", () => {
  const command = parseWorkflowCommand("   ::NOTICE Title=T,LINE=2::hi");
  assert.deepEqual(command, { name: "notice", properties: { title: "T", line: "2" }, data: "hi" });
});

test("unknown commands and malformed lines are plain text", () => {
  assert.equal(parseWorkflowCommand("::frobnicate::x"), undefined);
  assert.equal(parseWorkflowCommand("::error no closing"), undefined);
  assert.equal(parseWorkflowCommand("text ::error::x"), undefined);
  assert.equal(parseWorkflowCommand(""), undefined);
});

test("properties without a key or value are ignored; a value keeps later equals signs", () => {
  assert.deepEqual(parseWorkflowCommand("::set-output name=a==b,=x,y=,,::v")?.properties, { name: "a==b" });
});

test("the legacy ##[name k=v;k=v] form is recognised anywhere in the line", () => {
  assert.deepEqual(parseWorkflowCommand("prefix ##[set-output name=x%3By;]value%5D"), {
    name: "set-output",
    properties: { name: "x;y" },
    data: "value]",
  });
});

test("stop-commands suspends processing until the token line, matched case-insensitively", () => {
  const reader = new WorkflowCommandReader();
  assert.deepEqual(reader.read("::stop-commands::Pause-42"), { kind: "stop", token: "Pause-42" });
  assert.deepEqual(reader.read("::error::not an error"), { kind: "text" });
  assert.deepEqual(reader.read("::stop-commands::other"), { kind: "text" });
  assert.deepEqual(reader.read("::pause-42::"), { kind: "resume" });
  assert.equal(reader.read("::error::now an error").kind, "command");
});
