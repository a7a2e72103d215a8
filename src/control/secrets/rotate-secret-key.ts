// `hangar secret rotate-key`: every secret re-sealed under a new key in one transaction. With a key file, the new key
// is written beside it first (secret-key.next, readable by the keyring) and renamed over it after the commit, so a
// crash at any point leaves every secret readable. With $HANGAR_SECRET_KEY, the new key goes to a file the operator
// names, and every hangar process must be restarted with it.
import path from "node:path";
import { resealSecrets, type Store } from "../../store/index.js";
import { openSecret, sealSecret } from "./secret-cipher.js";
import { SecretError } from "./secret-error.js";
import {
  generateSecretKey,
  nextSecretKeyFileName,
  promoteNextKey,
  readKeyFile,
  type SecretKeyring,
  writeKeyFile,
  type SecretKey,
} from "./secret-key.js";

export interface RotateOptions {
  actor: string;
  /** Required when the key comes from $HANGAR_SECRET_KEY: where to write the new key (created 0600). */
  newKeyFile?: string;
}

export interface RotateResult {
  keyId: string;
  secrets: number;
  /** Where the new key is now. */
  keyLocation: string;
}

export async function rotateSecretKey(
  store: Store,
  keyring: SecretKeyring,
  options: RotateOptions,
): Promise<RotateResult> {
  const { dataDir } = keyring.source;
  let next: SecretKey;
  let keyLocation: string;
  if (keyring.isFromFile) {
    keyLocation = keyring.origin;
    const nextFile = path.join(dataDir, nextSecretKeyFileName);
    // A rotation that crashed after writing its key may have committed with it: finish with that key.
    next = (await readKeyFile(nextFile)) ?? generateSecretKey();
    if (!(await keyring.keyFor(next.id))) await writeKeyFile(nextFile, next);
  } else {
    if (!options.newKeyFile) {
      throw new SecretError(
        "SECRET_KEY_INVALID",
        "the key comes from $HANGAR_SECRET_KEY: give --new-key-file FILE to receive the new key",
      );
    }
    next = generateSecretKey();
    keyLocation = path.resolve(options.newKeyFile);
    await writeKeyFile(keyLocation, next);
  }
  const count = await resealSecrets(store, {
    keyId: next.id,
    actor: options.actor,
    reseal: async (secret) => sealSecret(next, secret, await openSecret(keyring, secret)),
  });
  if (keyring.isFromFile) await promoteNextKey(dataDir);
  return { keyId: next.id, secrets: count, keyLocation };
}
