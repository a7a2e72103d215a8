// The encoded forms of a secret that masking also hides: base64 (standard and URL-safe) at each of the three byte
// alignments, URL encoding (percent and form style) and a JSON string's escaping. The idea follows the GitHub
// runner's SecretMasker value encoders; hand-written because no library derives offset-independent base64 forms.

const base64AlignmentSkip = [0, 2, 3] as const;

/** Every distinct encoded form of `value` other than itself, longest first. */
export function encodedForms(value: string): string[] {
  // The whole encoding, padding included, for a secret encoded on its own (`printf %s "$TOKEN" | base64`).
  const whole = Buffer.from(value, "utf8");
  const forms = new Set<string>([whole.toString("base64"), whole.toString("base64url")]);
  for (const shift of [0, 1, 2] as const) {
    const form = alignedBase64(value, shift);
    forms.add(form);
    forms.add(form.replace(/\+/g, "-").replace(/\//g, "_"));
  }
  const percent = encodeURIComponent(value);
  forms.add(percent);
  forms.add(percent.replace(/%20/g, "+"));
  forms.add(JSON.stringify(value).slice(1, -1));
  forms.delete(value);
  forms.delete("");
  return [...forms].sort((a, b) => b.length - a.length);
}

/**
 * The base64 characters that depend on `value`'s bytes alone when `shift` bytes (0, 1 or 2) of other data come
 * before it in the encoded stream: base64 maps 3 bytes to 4 characters, so the encoding of the same secret differs
 * with its offset. The leading characters that mix in the preceding bytes, and a trailing one that would mix in
 * the following bytes, are left out.
 */
export function alignedBase64(value: string, shift: 0 | 1 | 2): string {
  const bytes = Buffer.concat([Buffer.alloc(shift), Buffer.from(value, "utf8")]);
  const complete = Math.floor((bytes.length * 8) / 6);
  return bytes.toString("base64").slice(base64AlignmentSkip[shift], complete);
}
