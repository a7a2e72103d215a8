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

test("base64 of a secret is masked at each of the three byte offsets it can start at", () => {
  const secret = "s3cr3t-Value-42!";
  const masker = new Masker();
  masker.add(secret);
  for (const prefix of ["", "x", "xy", "xyz", "user:"]) {
    for (const suffix of ["", "a", "ab", "@host"]) {
      const encoded = Buffer.from(`${prefix}${secret}${suffix}`).toString("base64");
      const masked = masker.mask(`auth ${encoded} end`);
      assert.match(masked, /\*\*\*/, `prefix '${prefix}' suffix '${suffix}'`);
      // What stays visible is at most the characters that mix in the neighbouring bytes.
      const visible = masked.replace("auth ", "").replace(" end", "").replace("***", "");
      const neighbours = Math.ceil(((prefix.length + suffix.length) * 8) / 6) + 4 + 2;
      assert.ok(visible.length <= neighbours, `${visible} (prefix '${prefix}' suffix '${suffix}')`);
      assert.ok(!Buffer.from(visible, "base64").toString("latin1").includes(secret.slice(2, 8)));
    }
  }
});

test("URL-safe base64 and every alignment of a long secret are covered", () => {
  const secret = "a?b>c~d/e+f=g&h";
  const masker = new Masker();
  masker.add(secret);
  for (const prefix of ["", "1", "12"]) {
    const urlSafe = Buffer.from(prefix + secret).toString("base64url");
    assert.doesNotMatch(masker.mask(urlSafe), /YT9iPmN|P2I-Y35k|hP2I|Yj5jfmQv/);
    assert.match(masker.mask(urlSafe), /\*\*\*/);
  }
});

test("URL-encoded (percent and form style) and JSON-escaped forms are masked", () => {
  const secret = 'p@ss word/"quoted"&more';
  const masker = new Masker();
  masker.add(secret);
  assert.equal(masker.mask(`q=${encodeURIComponent(secret)}&x=1`), "q=***&x=1");
  assert.equal(masker.mask(`q=${encodeURIComponent(secret).replace(/%20/g, "+")}`), "q=***");
  assert.equal(masker.mask(JSON.stringify({ token: secret })), '{"token":"***"}');
  assert.equal(masker.count, 1);
});

test("a multi-line secret's encodings are masked too, and its lines one by one", () => {
  const secret = "-----BEGIN KEY-----\nMIIBOgIBAAJBAK\n-----END KEY-----";
  const masker = new Masker();
  masker.add(secret);
  assert.equal(masker.mask(Buffer.from(secret).toString("base64")), "***");
  assert.equal(masker.mask(JSON.stringify(secret)), '"***"');
  for (const line of secret.split("\n")) assert.equal(masker.mask(`> ${line}`), "> ***");
});
