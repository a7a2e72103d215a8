// Tests GitHub webhook signature verification against signatures computed independently with node:crypto.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";
import { signPayload, verifySignature } from "../../src/integrations/github/index.js";

const secret = "It's a Secret to Everybody";
const body = Buffer.from("Hello, World!");

test("accepts the example from GitHub's docs", () => {
  // GitHub docs "Validating webhook deliveries", "Testing the webhook payload validation".
  const header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
  assert.equal(verifySignature(secret, body, header), true);
  assert.equal(signPayload(secret, body), header);
});

test("accepts a signature in upper-case hex", () => {
  const hex = createHmac("sha256", "s3cret").update(body).digest("hex").toUpperCase();
  assert.equal(verifySignature("s3cret", body, `sha256=${hex}`), true);
});

test("rejects a signature made with another secret", () => {
  assert.equal(verifySignature(secret, body, signPayload("another secret", body)), false);
});

test("rejects a tampered body", () => {
  const header = signPayload(secret, body);
  assert.equal(verifySignature(secret, Buffer.from("Hello, World?"), header), false);
  assert.equal(verifySignature(secret, Buffer.concat([body, Buffer.from(" ")]), header), false);
});

test("rejects a missing or empty header", () => {
  assert.equal(verifySignature(secret, body, undefined), false);
  assert.equal(verifySignature(secret, body, ""), false);
});

test("rejects signatures of the wrong length or form without throwing", () => {
  const good = signPayload(secret, body);
  for (const header of [
    good.slice(0, -2),
    `${good}00`,
    "sha256=",
    good.replace("sha256=", "sha1="),
    good.replace("sha256=", ""),
    `sha256=${"zz".repeat(32)}`,
  ]) {
    assert.equal(verifySignature(secret, body, header), false, header);
  }
});
