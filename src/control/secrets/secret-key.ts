// The secrets key: from $HANGAR_SECRET_KEY (base64 of 32 bytes) or the data dir's key file, created owner-only on
// first use. Also the rotation's next key, which stays readable beside the current one until a rotation is done.
import { createHash, randomBytes } from "node:crypto";
import { readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { SecretError } from "./secret-error.js";

export const secretKeyEnv = "HANGAR_SECRET_KEY";
export const secretKeyFileName = "secret-key";
/** Written before a rotation re-seals anything, renamed over the key file once it committed. */
export const nextSecretKeyFileName = "secret-key.next";
const keyBytes = 32;

export interface SecretKey {
  /** A fingerprint stored with each sealed value, so a wrong key is named instead of failing as tampering. */
  id: string;
  bytes: Buffer;
}

export interface KeyringSource {
  dataDir: string;
  /** The process environment (only HANGAR_SECRET_KEY is read). */
  env?: Record<string, string | undefined>;
}

/** Every key that can open a stored value, and the one that seals new values. */
export class SecretKeyring {
  private constructor(
    readonly source: KeyringSource,
    private keys: Map<string, SecretKey>,
    private primaryKey: SecretKey,
    /** Where the primary key came from, for messages: the variable's name or the file's path. */
    readonly origin: string,
  ) {}

  /** Loads (creating the key file when there is no key at all) and checks permissions. */
  static async load(source: KeyringSource): Promise<SecretKeyring> {
    const fromEnv = source.env?.[secretKeyEnv];
    if (fromEnv !== undefined && fromEnv !== "") {
      const key = parseKey(fromEnv, `$${secretKeyEnv}`);
      return new SecretKeyring(source, new Map([[key.id, key]]), key, `$${secretKeyEnv}`);
    }
    const file = path.join(source.dataDir, secretKeyFileName);
    const primary = (await readKeyFile(file)) ?? (await createKeyFile(file));
    const keys = new Map([[primary.id, primary]]);
    const next = await readKeyFile(path.join(source.dataDir, nextSecretKeyFileName));
    if (next) keys.set(next.id, next);
    return new SecretKeyring(source, keys, primary, file);
  }

  get primary(): SecretKey {
    return this.primaryKey;
  }

  get isFromFile(): boolean {
    return this.origin !== `$${secretKeyEnv}`;
  }

  /**
   * The key with this id. A server keeps running while `hangar secret rotate-key` replaces the key file, so an
   * unknown id from a file-keyed ring rereads the files once before giving up.
   */
  async keyFor(keyId: string): Promise<SecretKey | undefined> {
    const known = this.keys.get(keyId);
    if (known || !this.isFromFile) return known;
    const reloaded = await SecretKeyring.load(this.source);
    this.keys = new Map([...this.keys, ...reloaded.keys]);
    this.primaryKey = reloaded.primaryKey;
    return this.keys.get(keyId);
  }
}

export function generateSecretKey(): SecretKey {
  return keyFromBytes(randomBytes(keyBytes));
}

export function encodeSecretKey(key: SecretKey): string {
  return `${key.bytes.toString("base64")}\n`;
}

/** Creates `file` owner-only; refuses to overwrite one (a lost key would make every secret unreadable). */
export async function writeKeyFile(file: string, key: SecretKey): Promise<void> {
  await writeFile(file, encodeSecretKey(key), { mode: 0o600, flag: "wx" });
}

/** Makes the next key the current one: an atomic rename, so a crash leaves one of the two readable keys. */
export async function promoteNextKey(dataDir: string): Promise<void> {
  await rename(path.join(dataDir, nextSecretKeyFileName), path.join(dataDir, secretKeyFileName));
}

export async function readKeyFile(file: string): Promise<SecretKey | undefined> {
  let mode: number;
  try {
    mode = (await stat(file)).mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  // Like ssh with a private key: a key others can read is refused, not silently used.
  if ((mode & 0o077) !== 0) {
    throw new SecretError(
      "SECRET_KEY_FILE_PERMISSIONS",
      `secret key file ${file} has mode ${(mode & 0o777).toString(8).padStart(4, "0")}; it must be readable by ` +
        `its owner only: chmod 600 ${file}`,
    );
  }
  return parseKey((await readFile(file, "utf8")).trim(), file);
}

async function createKeyFile(file: string): Promise<SecretKey> {
  const key = generateSecretKey();
  try {
    await writeKeyFile(file, key);
    return key;
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return (await readKeyFile(file))!;
  }
}

function parseKey(text: string, origin: string): SecretKey {
  const bytes = Buffer.from(text, "base64");
  if (bytes.length !== keyBytes || bytes.toString("base64") !== text.replace(/\s+/g, "")) {
    throw new SecretError(
      "SECRET_KEY_INVALID",
      `${origin} must hold a ${keyBytes}-byte key in base64 (44 characters, e.g. from 'openssl rand -base64 32'); ` +
        `it holds ${bytes.length} bytes`,
    );
  }
  return keyFromBytes(bytes);
}

function keyFromBytes(bytes: Buffer): SecretKey {
  return { id: createHash("sha256").update(bytes).digest("hex").slice(0, 16), bytes };
}
