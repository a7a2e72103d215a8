// Tests for the runner: GitHub environment file parsing: key=value, heredocs, CRLF, GITHUB_PATH.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseKeyValueFile, parsePathFile } from "../../src/runner/index.js";

test("NAME=VALUE lines keep every later equals sign; empty lines are skipped", () => {
  assert.deepEqual(parseKeyValueFile("a=1\n\nb=x=y\nc=\n", "GITHUB_OUTPUT"), {
    pairs: [
      ["a", "1"],
      ["b", "x=y"],
      ["c", ""],
    ],
  });
});

test("heredoc values span lines and exclude the newline before the delimiter", () => {
  const text = "multi<<EOF\nline one\n\nline=three\nEOF\nempty<<END\nEND\nafter=1";
  assert.deepEqual(parseKeyValueFile(text, "GITHUB_ENV").pairs, [
    ["multi", "line one\n\nline=three"],
    ["empty", ""],
    ["after", "1"],
  ]);
});

test("whichever of = and << comes first decides the form", () => {
  assert.deepEqual(parseKeyValueFile("a=b<<c\nx<<=\nv\n=\n", "GITHUB_OUTPUT", false).pairs, [
    ["a", "b<<c"],
    ["x", "v"],
  ]);
});

test("a missing delimiter names the file and the heredoc's line; earlier pairs still count", () => {
  const parsed = parseKeyValueFile("ok=1\n\nbad<<EOF\nvalue\nEO\n", "GITHUB_OUTPUT");
  assert.deepEqual(parsed.pairs, [["ok", "1"]]);
  assert.deepEqual(parsed.problem, {
    file: "GITHUB_OUTPUT",
    line: 3,
    message: "Invalid value. Matching delimiter not found 'EOF'",
  });
});

test("CRLF: on Linux \\r belongs to values and delimiters; on Windows CRLF is a newline", () => {
  assert.deepEqual(parseKeyValueFile("a=1\r\n", "GITHUB_ENV", false).pairs, [["a", "1\r"]]);
  const heredoc = "v<<EOF\r\nx\r\ny\r\nEOF\r\n";
  // The delimiter read from "v<<EOF\r" is "EOF\r", which the CRLF closing line matches.
  assert.deepEqual(parseKeyValueFile(heredoc, "GITHUB_ENV", false).pairs, [["v", "x\r\ny\r"]]);
  const plain = parseKeyValueFile("v<<EOF\nx\nEOF\r\n", "GITHUB_ENV", false);
  assert.match(plain.problem?.message ?? "", /delimiter line ends with \\r/);
  assert.deepEqual(parseKeyValueFile(heredoc, "GITHUB_ENV", true).pairs, [["v", "x\r\ny"]]);
});

test("other format errors name their line", () => {
  assert.deepEqual(parseKeyValueFile("a=1\njustaname\n", "GITHUB_STATE").problem, {
    file: "GITHUB_STATE",
    line: 2,
    message: "Invalid format 'justaname'",
  });
  assert.equal(
    parseKeyValueFile("=v", "GITHUB_ENV").problem?.message,
    "Invalid format '=v'. Name must not be empty",
  );
  assert.equal(parseKeyValueFile("<<EOF\nEOF\n", "GITHUB_ENV").problem?.line, 1);
  assert.match(
    parseKeyValueFile("v<<EOF\nlast", "GITHUB_ENV").problem?.message ?? "",
    /EOF marker missing new line/,
  );
});

test("GITHUB_PATH: one entry per line, latest first, duplicates moved to the front", () => {
  assert.deepEqual(parsePathFile("/a\n\n/b\r\n/c\r/a\n"), ["/a", "/c", "/b"]);
});
