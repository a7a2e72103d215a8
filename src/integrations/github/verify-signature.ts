// Checks GitHub's webhook signature (X-Hub-Signature-256) over the exact bytes received; reads nothing else.
import { createHmac, timingSafeEqual } from "node:crypto";

const signaturePattern = /^sha256=([0-9a-f]{64})$/i;

/**
 * Per GitHub docs "Validating webhook deliveries": the header is `sha256=` followed by the hex HMAC-SHA256 of
 * the raw payload keyed with the webhook secret, compared in constant time. A missing or malformed header is
 * never valid.
 */
export function verifySignature(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  const match = header === undefined ? null : signaturePattern.exec(header.trim());
  if (match === null) return false;
  const given = Buffer.from(match[1]!.toLowerCase(), "hex");
  const expected = createHmac("sha256", secret).update(rawBody).digest();
  // The pattern fixes the length at 32 bytes; the check stays so timingSafeEqual can never throw.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The header value GitHub would send for this body; used by hangar's own test sender and redelivery tools. */
export function signPayload(secret: string, rawBody: Buffer): string {
  return `sha256=${createHmac("sha256", secret).update(rawBody).digest("hex")}`;
}
