// Tests for the runner: LineSplitter at every split point of multi-byte text and across line endings.
import assert from "node:assert/strict";
import { test } from "node:test";
import { LineSplitter } from "../../src/runner/index.js";

function split(chunks: Buffer[]): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return lines;
}

test("a multi-byte string split at every byte offset yields the same lines", () => {
  const text = "héllo wörld 🚀 ✓\r\nzweite Zeile ñ\nend 日本語";
  const bytes = Buffer.from(text, "utf8");
  const expected = ["héllo wörld 🚀 ✓", "zweite Zeile ñ", "end 日本語"];
  for (let at = 0; at <= bytes.length; at++) {
    assert.deepEqual(split([bytes.subarray(0, at), bytes.subarray(at)]), expected, `split at byte ${at}`);
  }
});

test("a multi-byte string split into single bytes yields the same lines", () => {
  const bytes = Buffer.from("a🚀b\r\nc", "utf8");
  assert.deepEqual(split([...bytes].map((b) => Buffer.from([b]))), ["a🚀b", "c"]);
});

test("\\r\\n split across chunks ends one line, a lone \\r ends a line like .NET's ReadLine", () => {
  assert.deepEqual(split([Buffer.from("one\r"), Buffer.from("\ntwo")]), ["one", "two"]);
  assert.deepEqual(split([Buffer.from("50%\r100%\r\n")]), ["50%", "100%"]);
  assert.deepEqual(split([Buffer.from("a\n\nb\n")]), ["a", "", "b"]);
  assert.deepEqual(split([Buffer.from("a\r\r\nb")]), ["a", "", "b"]);
});

test("a final line without a newline is flushed at end, and no empty line is invented", () => {
  assert.deepEqual(split([Buffer.from("last")]), ["last"]);
  assert.deepEqual(split([Buffer.from("done\n")]), ["done"]);
  assert.deepEqual(split([]), []);
});
