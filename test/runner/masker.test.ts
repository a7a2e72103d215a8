// Tests for the runner: Masker: short values, multi-line values, overlapping secrets.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Masker } from "../../src/runner/index.js";

test("every occurrence of a registered value is replaced", () => {
  const masker = new Masker();
  masker.add("hunter22");
  assert.equal(masker.mask("pw=hunter22 again hunter22!"), "pw=*** again ***!");
  assert.equal(masker.count, 1);
});

test("values shorter than 4 characters are not masked and add() warns once per source", () => {
  const masker = new Masker();
  const warning = masker.add("abc", "secret TOKEN");
  assert.match(warning ?? "", /secret TOKEN is shorter than 4 characters/);
  assert.doesNotMatch(warning ?? "", /abc/);
  assert.equal(masker.add("xyz", "secret TOKEN"), undefined);
  assert.equal(masker.add("abcd", "secret OTHER"), undefined);
  assert.equal(masker.mask("abc abcd"), "abc ***");
  assert.equal(masker.count, 1);
});

test("a multi-line value is masked whole and line by line; short lines are skipped", () => {
  const masker = new Masker();
  masker.add("first-line\r\nab\nthird-line\n");
  assert.equal(masker.mask("x first-line y"), "x *** y");
  assert.equal(masker.mask("third-line"), "***");
  assert.equal(masker.mask("ab"), "ab");
  assert.equal(masker.mask("first-line\r\nab\nthird-line"), "***");
});

test("overlapping and nested secrets leave no fragment visible", () => {
  const masker = new Masker();
  masker.add("abcdef");
  masker.add("defghi");
  masker.add("cdef");
  assert.equal(masker.mask("0abcdefghi1"), "0***1");
  assert.equal(masker.mask("cdef abcdef"), "*** ***");
});
