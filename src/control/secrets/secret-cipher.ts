// Seals and opens secret values with AES-256-GCM (node:crypto; no library needed for one AEAD call). The secret's
// scope and name are the additional authenticated data, so a ciphertext copied onto another secret fails to open.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { SealedSecret, SealedValue, ValueScope } from "../../store/index.js";
import { SecretError } from "./secret-error.js";
import type { SecretKey, SecretKeyring } from "./secret-key.js";

const algorithm = "aes-256-gcm";
/** NIST SP 800-38D's recommended 96-bit nonce, random per value: a key seals far fewer than 2^32 values. */
const nonceBytes = 12;

export interface SecretAddress extends ValueScope {
  name: string;
}

export function sealSecret(key: SecretKey, address: SecretAddress, value: string): SealedValue {
  const nonce = randomBytes(nonceBytes);
  const cipher = createCipheriv(algorithm, key.bytes, nonce);
  cipher.setAAD(additionalData(address));
  const ciphertext = Buffer.concat([cipher.update(value, "utf8"), cipher.final()]);
  return {
    keyId: key.id,
    nonce: nonce.toString("base64"),
    ciphertext: ciphertext.toString("base64"),
    authTag: cipher.getAuthTag().toString("base64"),
  };
}

export async function openSecret(keyring: SecretKeyring, secret: SealedSecret): Promise<string> {
  const { sealed } = secret;
  const key = await keyring.keyFor(sealed.keyId);
  if (!key) {
    throw new SecretError(
      "SECRET_KEY_MISMATCH",
      `secret ${describe(secret)} was sealed with key ${sealed.keyId}, but the key in use (${keyring.origin}) is ` +
        `${keyring.primary.id}: start hangar with the key the secrets were sealed with`,
    );
  }
  const decipher = createDecipheriv(algorithm, key.bytes, Buffer.from(sealed.nonce, "base64"));
  decipher.setAAD(additionalData(secret));
  decipher.setAuthTag(Buffer.from(sealed.authTag, "base64"));
  try {
    return Buffer.concat([
      decipher.update(Buffer.from(sealed.ciphertext, "base64")),
      decipher.final(),
    ]).toString("utf8");
  } catch {
    throw new SecretError(
      "SECRET_TAMPERED",
      `secret ${describe(secret)} fails authentication: its stored ciphertext was altered or copied from another secret`,
    );
  }
}

/** Length-prefixed fields, so no two different addresses give the same bytes. */
function additionalData(address: SecretAddress): Buffer {
  const fields = ["hangar-secret-v1", String(address.repositoryId), address.environment ?? "", address.name];
  return Buffer.from(fields.map((field) => `${Buffer.byteLength(field)}:${field}`).join(""), "utf8");
}

function describe(address: SecretAddress): string {
  const where = address.environment ? `environment '${address.environment}' of ` : "";
  return `'${address.name}' (${where}repository ${address.repositoryId})`;
}
