// HTTP for tool sources: JSON and text indexes, and archives streamed to disk while their digest is checked.
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream } from "node:stream/web";
import * as tar from "tar";
import { ToolError } from "./tool-error.js";

/** A digest a source published: the algorithm and the value in the encoding the source used. */
export interface ExpectedDigest {
  algorithm: "sha256" | "sha512" | "sha1";
  encoding: "hex" | "base64";
  value: string;
}

/** A tool source served over HTTP below one base URL (a mirror of an official download site). */
export abstract class HttpMirrorSource {
  protected readonly baseUrl: string;

  /** `what`: the kind of mirror, for messages ("the Node mirror https://…"). */
  constructor(
    private readonly what: string,
    baseUrl: string,
    protected readonly platform: string = os.platform(),
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
  }

  get description(): string {
    return `the ${this.what} ${this.baseUrl}`;
  }
}

async function get(url: string, signal: AbortSignal | undefined, accept?: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { signal, headers: accept ? { accept } : {} });
  } catch (error) {
    // fetch says only "fetch failed"; what failed (DNS, refused, reset) is in its cause.
    const cause = (error as Error).cause as Error | undefined;
    const why = cause?.message ? `${(error as Error).message} (${cause.message})` : (error as Error).message;
    throw new ToolError("TOOL_DOWNLOAD_FAILED", `cannot fetch ${url}: ${why}`, { cause: error });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new ToolError("TOOL_DOWNLOAD_FAILED", `cannot fetch ${url}: HTTP ${response.status}`);
  }
  return response;
}

/** A 404 is an answer ("not here"), not a failure: it gives undefined. */
export async function fetchJson<T>(
  url: string,
  signal?: AbortSignal,
  accept?: string,
): Promise<T | undefined> {
  try {
    const response = await get(url, signal, accept ?? "application/json");
    return (await response.json()) as T;
  } catch (error) {
    if (error instanceof ToolError && error.message.endsWith("HTTP 404")) return undefined;
    throw error;
  }
}

/** Asks once and keeps the answer for every later call; a failure is forgotten, so the next call asks again. */
export function keptUntilFailure<T>(
  ask: (signal?: AbortSignal) => Promise<T>,
): (signal?: AbortSignal) => Promise<T> {
  let kept: Promise<T> | undefined;
  return (signal) => {
    if (!kept) {
      kept = ask(signal);
      kept.catch(() => (kept = undefined));
    }
    return kept;
  };
}

/** A listing served in pages: setup-java follows at most this many (its MAX_PAGINATION_PAGES). */
const maxPages = 1000;

/**
 * Every page of a JSON array listing, following RFC 8288 `Link: <url>; rel="next"` headers (the Adoptium API's
 * paging) within the first URL's origin, as setup-java does. One regex reads the header: no dependency parses it.
 */
export async function fetchJsonPages<T>(url: string, signal?: AbortSignal): Promise<T[]> {
  const items: T[] = [];
  const origin = new URL(url).origin;
  let next: string | undefined = url;
  for (let page = 0; next && page < maxPages; page++) {
    const response = await get(next, signal, "application/json");
    const body = (await response.json()) as T[] | null;
    if (!Array.isArray(body) || body.length === 0) break;
    items.push(...body);
    const link = response.headers.get("link")?.match(/<([^>]+)>\s*;\s*rel="?next"?/)?.[1];
    next = link && new URL(link, next).origin === origin ? new URL(link, next).href : undefined;
  }
  return items;
}

export async function fetchText(url: string, signal?: AbortSignal): Promise<string> {
  return (await get(url, signal)).text();
}

/** Streams `url` into `file`; throws TOOL_INTEGRITY_MISMATCH unless the bytes have the expected digest. */
export async function downloadVerified(
  url: string,
  file: string,
  expected: ExpectedDigest,
  signal?: AbortSignal,
): Promise<void> {
  const response = await get(url, signal);
  const hash = createHash(expected.algorithm);
  const digesting = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(response.body as ReadableStream<Uint8Array>),
      digesting,
      createWriteStream(file),
      { signal },
    );
  } catch (error) {
    throw new ToolError("TOOL_DOWNLOAD_FAILED", `cannot download ${url}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const actual = hash.digest(expected.encoding);
  if (actual !== expected.value) {
    throw new ToolError(
      "TOOL_INTEGRITY_MISMATCH",
      `${url} has ${expected.algorithm} ${actual}, but its source published ${expected.value}`,
    );
  }
}

/** Downloads an archive (digest checked) to a scratch file and unpacks it into `dir`, dropping its top folder. */
export async function downloadAndUnpack(
  url: string,
  expected: ExpectedDigest,
  dir: string,
  signal?: AbortSignal,
): Promise<void> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), "hangar-tool-"));
  try {
    const file = path.join(scratch, "archive.tar.gz");
    await downloadVerified(url, file, expected, signal);
    await mkdir(dir, { recursive: true });
    await tar.x({ file, cwd: dir, strip: 1 });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The strongest digest of an npm `dist.integrity` (Subresource Integrity: `sha512-<base64>`, several allowed). */
export function digestFromIntegrity(
  integrity: string | undefined,
  shasum?: string,
): ExpectedDigest | undefined {
  const entries = (integrity ?? "").split(/\s+/).map((each) => each.match(/^(sha512|sha256|sha1)-(\S+)$/));
  for (const algorithm of ["sha512", "sha256", "sha1"] as const) {
    const entry = entries.find((each) => each?.[1] === algorithm);
    if (entry) return { algorithm, encoding: "base64", value: entry[2]! };
  }
  return shasum ? { algorithm: "sha1", encoding: "hex", value: shasum } : undefined;
}
