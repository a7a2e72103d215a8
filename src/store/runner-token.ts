// Runner, registration and API tokens: random secrets handed out once and stored only as their SHA-256 hash.
import { createHash, randomBytes } from "node:crypto";

/** 256 bits of randomness with a prefix, so a leaked token is recognisable in logs and secret scanners. */
export function createToken(prefix: "hgr" | "hgt" | "hga"): string {
  return `${prefix}_${randomBytes(32).toString("base64url")}`;
}

/** A fast hash suffices: the tokens are random and long, so there is nothing to brute-force (unlike passwords). */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}
