// Signed audit checkpoints: an Ed25519 signature over the chain head, kept outside the database so that someone who
// rewrites the events table and recomputes every later hash is still caught by a checkpoint taken before.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  sign,
  verify,
} from "node:crypto";
import { link, mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Store } from "../store.js";
import { canonicalJson } from "./event-hash.js";
import { readChainHead, type ChainHead } from "./verify-chain.js";

/** Contract: a checkpoint file's content (JSON). The signature covers every other field in canonical JSON. */
export interface AuditCheckpoint extends ChainHead {
  version: 1;
  /** When it was signed, ISO-8601 UTC. */
  at: string;
  /** The first 16 hex digits of the SHA-256 of the public key (SPKI DER). */
  key_id: string;
  /** Base64 Ed25519 signature. */
  signature: string;
}

/** Where the key pair and the checkpoints live under the data directory. */
export function auditDir(dataDir: string): string {
  return path.join(dataDir, "audit");
}

const PRIVATE_KEY_FILE = "checkpoint-key.pem";
export const PUBLIC_KEY_FILE = "checkpoint-key.pub.pem";

/**
 * The signing key pair, created with mode 0600 on first use. Written to a temporary file and hard-linked into place,
 * which fails if the key exists, so two processes creating it at once both end up with the same complete key.
 */
async function loadSigningKey(dataDir: string): Promise<{ privateKeyPem: string; publicKeyPem: string }> {
  const dir = auditDir(dataDir);
  const privateFile = path.join(dir, PRIVATE_KEY_FILE);
  const existing = await readFile(privateFile, "utf8").catch((error: { code?: string }) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  if (existing) return { privateKeyPem: existing, publicKeyPem: publicPem(existing) };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync("ed25519");
  const privateKeyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const temporary = `${privateFile}.${process.pid}.${randomUUID()}`;
  await writeFile(temporary, privateKeyPem, { mode: 0o600 });
  try {
    await link(temporary, privateFile);
  } catch (error) {
    if ((error as { code?: string }).code !== "EEXIST") throw error;
    return loadSigningKey(dataDir);
  } finally {
    await unlink(temporary);
  }
  const publicKeyPem = publicPem(privateKeyPem);
  await writeFile(path.join(dir, PUBLIC_KEY_FILE), publicKeyPem, { mode: 0o644 });
  return { privateKeyPem, publicKeyPem };
}

function publicPem(privateKeyPem: string): string {
  return createPublicKey(createPrivateKey(privateKeyPem)).export({ type: "spki", format: "pem" }).toString();
}

/** The public key that verifies this data directory's checkpoints (PEM), creating the pair if there is none. */
export async function readCheckpointPublicKey(dataDir: string): Promise<string> {
  return (await loadSigningKey(dataDir)).publicKeyPem;
}

function keyId(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: "spki", format: "der" });
  return createHash("sha256").update(der).digest("hex").slice(0, 16);
}

function signedBytes(checkpoint: Omit<AuditCheckpoint, "signature">): Buffer {
  const { version, count, event_id, hash, at, key_id } = checkpoint;
  return Buffer.from(canonicalJson({ version, count, event_id, hash, at, key_id }), "utf8");
}

/** Signs the current chain head and writes it to `<dataDir>/audit/checkpoints/`; returns it and the file. */
export async function writeAuditCheckpoint(
  store: Store,
  dataDir: string,
): Promise<{ checkpoint: AuditCheckpoint; file: string }> {
  const { privateKeyPem, publicKeyPem } = await loadSigningKey(dataDir);
  const head = await readChainHead(store);
  const unsigned = {
    version: 1 as const,
    ...head,
    at: new Date().toISOString(),
    key_id: keyId(publicKeyPem),
  };
  const signature = sign(null, signedBytes(unsigned), createPrivateKey(privateKeyPem)).toString("base64");
  const checkpoint: AuditCheckpoint = { ...unsigned, signature };
  const dir = path.join(auditDir(dataDir), "checkpoints");
  await mkdir(dir, { recursive: true });
  const file = path.join(
    dir,
    `checkpoint-${String(head.count).padStart(12, "0")}-${unsigned.at.replace(/[:.]/g, "")}.json`,
  );
  await writeFile(file, `${JSON.stringify(checkpoint, null, 2)}\n`);
  return { checkpoint, file };
}

/** Parses a checkpoint file's text and checks its signature; throws an Error naming what is wrong. */
export function readSignedCheckpoint(text: string, publicKeyPem: string): AuditCheckpoint {
  let checkpoint: AuditCheckpoint;
  try {
    checkpoint = JSON.parse(text) as AuditCheckpoint;
  } catch (error) {
    throw new Error(`the checkpoint is not JSON: ${(error as Error).message}`, { cause: error });
  }
  for (const field of ["count", "hash", "at", "key_id", "signature"] as const)
    if (checkpoint[field] === undefined) throw new Error(`the checkpoint has no '${field}'`);
  if (checkpoint.version !== 1)
    throw new Error(`unsupported checkpoint version ${String(checkpoint.version)}`);
  if (checkpoint.key_id !== keyId(publicKeyPem))
    throw new Error(`the checkpoint was signed by key ${checkpoint.key_id}, not by the given public key`);
  const isValid = verify(
    null,
    signedBytes(checkpoint),
    createPublicKey(publicKeyPem),
    Buffer.from(checkpoint.signature, "base64"),
  );
  if (!isValid) throw new Error("the checkpoint's signature is invalid: it was changed after signing");
  return checkpoint;
}
