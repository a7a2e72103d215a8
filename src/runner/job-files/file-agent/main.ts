// The file agent: started by the runner inside a job (bundled into dist/file-agent.mjs), it does the file work of the
// built-in actions with the job's own identity and view, as GitHub's actions do inside the job. It trusts its request.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { chmod, mkdir, open, readdir, readFile, realpath, rm, stat, symlink, unlink } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as glob from "@actions/glob";
import {
  AgentFrameReader,
  agentFrameTypes,
  agentOwnBases,
  dataChunkBytes,
  encodeAgentFrame,
  type AgentBases,
  type AgentEntry,
  type AgentFrame,
  type AgentFrameType,
  type AgentRefusalCode,
  type AgentRequest,
} from "../file-agent-protocol.js";
import { readTreeEntries } from "../read-tree-entries.js";

/** A refusal the runner shows as the step's error; `code` lets it tell a missing file from the rest. */
class AgentRefusal extends Error {
  constructor(
    message: string,
    readonly code: AgentRefusalCode,
  ) {
    super(message);
  }
}

// @actions/glob prints `::debug::` lines on stdout through @actions/core; stdout carries frames, so they go to stderr.
const writeFrameBytes = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array) =>
  process.stderr.write(chunk)) as typeof process.stdout.write;

async function send(type: AgentFrameType, payload?: Buffer | string): Promise<void> {
  if (!writeFrameBytes(encodeAgentFrame(type, payload))) {
    await new Promise<void>((resolve) => process.stdout.once("drain", resolve));
  }
}

const sendJson = (type: AgentFrameType, value: unknown): Promise<void> => send(type, JSON.stringify(value));

async function* readFrames(): AsyncGenerator<AgentFrame> {
  const queue: AgentFrame[] = [];
  const reader = new AgentFrameReader((frame) => queue.push(frame));
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    reader.push(chunk);
    while (queue.length > 0) yield queue.shift()!;
  }
  if (!reader.isAtBoundary) throw new AgentRefusal("the input ended in the middle of a frame", "INVALID");
}

function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

async function realpathOrNot(file: string): Promise<string | undefined> {
  return realpath(file).catch(() => undefined);
}

/** The real path of `file`, refused unless it is inside `inside`'s real path. */
async function realpathInside(file: string, inside: string, what: string): Promise<string> {
  const [real, root] = await Promise.all([realpath(file), realpath(inside)]).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") throw new AgentRefusal(`${what} does not exist`, "ENOENT");
      throw error;
    },
  );
  if (!isInside(root, real)) {
    throw new AgentRefusal(`${what} resolves to ${real}, outside ${root}`, "OUTSIDE");
  }
  return real;
}

/** One file entry and its bytes; `countBytes` may refuse to go on (a size limit). */
async function sendFile(
  entry: AgentEntry,
  source: Readable,
  countBytes: (bytes: number) => void = () => undefined,
): Promise<void> {
  await sendJson(agentFrameTypes.entry, entry);
  for await (const chunk of source as AsyncIterable<Buffer>) {
    countBytes(chunk.length);
    await send(agentFrameTypes.data, chunk);
  }
  await send(agentFrameTypes.end);
}

/** The bases' directories in this view, real paths included, longest first so the closest base wins. */
async function resolveBases(given: AgentBases): Promise<Array<[name: string, dir: string]>> {
  const bases: AgentBases = { ...given, [agentOwnBases.home]: os.homedir(), [agentOwnBases.tmp]: "/tmp" };
  const pairs: Array<[string, string]> = [];
  for (const [name, dir] of Object.entries(bases)) {
    pairs.push([name, path.resolve(dir)]);
    const real = await realpathOrNot(dir);
    if (real && real !== path.resolve(dir)) pairs.push([name, real]);
  }
  return pairs.sort((a, b) => b[1].length - a[1].length);
}

function classify(file: string, bases: Array<[string, string]>): { base?: string; path: string } {
  for (const [name, dir] of bases) {
    const relative = path.relative(dir, file);
    if (relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative)) {
      return { base: name, path: relative.split(path.sep).join("/") };
    }
  }
  return { path: file };
}

/** @actions/glob refuses bad patterns when the globber is made: that is the user's input, named as such. */
async function createGlobber(patterns: string, options: glob.GlobOptions): Promise<glob.Globber> {
  try {
    return await glob.create(patterns, options);
  } catch (error) {
    throw new AgentRefusal(error instanceof Error ? error.message : String(error), "INVALID_PATTERN");
  }
}

async function collect(request: Extract<AgentRequest, { op: "collect" }>): Promise<void> {
  try {
    process.chdir(request.cwd);
  } catch {
    throw new AgentRefusal(`The workspace ${request.cwd} is not a directory.`, "NO_WORKSPACE");
  }
  const bases = await resolveBases(request.bases);
  const globber = await createGlobber(request.patterns, {
    followSymbolicLinks: request.followSymbolicLinks,
    implicitDescendants: request.implicitDescendants,
    omitBrokenSymbolicLinks: true,
    excludeHiddenFiles: request.excludeHiddenFiles,
  });
  for await (const file of globber.globGenerator()) {
    // stat, not lstat: a link counts as what it points to (upload-artifact search.ts); only regular files are read.
    const stats = await stat(file);
    if (!stats.isFile()) continue;
    const where = classify(file, bases);
    const entry: AgentEntry = { ...where, kind: "file", mode: stats.mode & 0o7777, absolute: file };
    await sendFile(entry, createReadStream(file, { highWaterMark: dataChunkBytes }));
  }
  await sendJson(agentFrameTypes.done, { searchPaths: globber.getSearchPaths() });
}

/** The runner's hashFiles script (actions/runner src/Misc/expressionFunc/hashFiles), confined to the workspace. */
async function hash(request: Extract<AgentRequest, { op: "hash" }>): Promise<void> {
  process.chdir(request.workspace);
  const workspace = process.cwd();
  const realWorkspace = await realpath(workspace);
  const result = createHash("sha256");
  let count = 0;
  const globber = await createGlobber(request.patterns.join("\n"), {
    followSymbolicLinks: request.followSymbolicLinks,
  });
  for await (const file of globber.globGenerator()) {
    if (!file.startsWith(workspace + path.sep)) continue;
    // Where a link leads out of the workspace, the file is not the repository's: skipped as GitHub skips outsiders.
    const real = await realpathOrNot(file);
    if (!real || !isInside(realWorkspace, real)) continue;
    if ((await stat(file)).isDirectory()) continue;
    const digest = createHash("sha256");
    await pipeline(createReadStream(file), digest);
    result.write(digest.digest());
    count++;
  }
  result.end();
  await sendJson(agentFrameTypes.done, { hash: count > 0 ? result.digest("hex") : "" });
}

function safeRelative(relative: string): string {
  const names = relative.split("/");
  if (
    relative === "" ||
    path.isAbsolute(relative) ||
    names.some((name) => name === "" || name === "." || name === "..")
  ) {
    throw new AgentRefusal(`'${relative}' is not a relative path`, "INVALID");
  }
  return names.join(path.sep);
}

/** actions/checkout's clean: the target is emptied, which is safe only for an empty dir or a git work tree. */
async function emptyForCheckout(target: string): Promise<void> {
  await mkdir(target, { recursive: true });
  const existing = await readdir(target);
  if (existing.length > 0 && !existing.includes(".git")) {
    throw new AgentRefusal(`${target} is not empty and not a git repository`, "NOT_EMPTY");
  }
  for (const name of existing) await rm(path.join(target, name), { recursive: true, force: true });
}

async function write(
  request: Extract<AgentRequest, { op: "write" }>,
  frames: AsyncGenerator<AgentFrame>,
): Promise<void> {
  const target = path.resolve(request.target);
  if (request.replace) await emptyForCheckout(target);
  const bases = new Map((await resolveBases(request.bases)).reverse());
  let current: { handle: FileHandle; file: string; mode: number } | undefined;
  let written = 0;
  for await (const frame of frames) {
    if (frame.type === agentFrameTypes.done) break;
    if (frame.type === agentFrameTypes.data && current) {
      await current.handle.write(frame.payload);
      continue;
    }
    if (frame.type === agentFrameTypes.end && current) {
      await current.handle.close();
      await chmod(current.file, current.mode);
      current = undefined;
      written++;
      continue;
    }
    if (frame.type !== agentFrameTypes.entry || current) {
      throw new AgentRefusal(`frame ${frame.type} out of order`, "INVALID");
    }
    const entry = JSON.parse(frame.payload.toString("utf8")) as AgentEntry;
    const root = entry.base === undefined ? target : bases.get(entry.base);
    if (root === undefined) throw new AgentRefusal(`no directory for base '${entry.base}'`, "INVALID");
    const destination = path.join(root, safeRelative(entry.path));
    if (entry.kind === "directory") {
      await mkdir(destination, { recursive: true });
      continue;
    }
    await mkdir(path.dirname(destination), { recursive: true });
    // Replaced, never written through: a link already there stays pointing where it did.
    await unlink(destination).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
    if (entry.kind === "symlink") {
      await symlink(entry.target ?? "", destination);
      continue;
    }
    current = { handle: await open(destination, "wx", 0o600), file: destination, mode: entry.mode & 0o7777 };
  }
  if (current) throw new AgentRefusal("the input ended in the middle of a file", "INVALID");
  await sendJson(agentFrameTypes.done, { files: written });
}

async function readSmallFile(file: string, maxBytes: number, what: string): Promise<Buffer> {
  const stats = await stat(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") throw new AgentRefusal(`${what} does not exist`, "ENOENT");
    throw error;
  });
  if (!stats.isFile()) throw new AgentRefusal(`${what} is not a file`, "INVALID");
  if (stats.size > maxBytes) throw new AgentRefusal(`${what} is over ${maxBytes} bytes`, "TOO_LARGE");
  return readFile(file);
}

async function read(request: Extract<AgentRequest, { op: "read" }>): Promise<void> {
  const file = path.resolve(request.path);
  const real = request.inside
    ? await realpathInside(file, request.inside, file)
    : await realpath(file).catch(() => file);
  const content = await readSmallFile(real, request.maxBytes, file);
  await sendJson(agentFrameTypes.done, { path: real, content: content.toString("base64") });
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (stats) => stats.isFile(),
    () => false,
  );
}

/** The runner's order (ActionManifestManager): action.yml, action.yaml, then a bare Dockerfile. */
async function findAction(request: Extract<AgentRequest, { op: "find-action" }>): Promise<void> {
  const dir = await realpathInside(path.resolve(request.dir), request.inside, request.dir);
  for (const name of ["action.yml", "action.yaml"]) {
    const file = path.join(dir, name);
    if (!(await isFile(file))) continue;
    const real = await realpathInside(file, request.inside, `${request.dir}/${name}`);
    const content = await readSmallFile(real, request.maxBytes, file);
    await sendJson(agentFrameTypes.done, { dir, file: name, content: content.toString("base64") });
    return;
  }
  const hasDockerfile = await isFile(path.join(dir, "Dockerfile"));
  await sendJson(agentFrameTypes.done, hasDockerfile ? { dir, file: "Dockerfile" } : { dir });
}

async function readTree(request: Extract<AgentRequest, { op: "read-tree" }>): Promise<void> {
  const root = await realpathInside(path.resolve(request.dir), request.inside, request.dir);
  let total = 0;
  const countBytes = (bytes: number): void => {
    total += bytes;
    if (total > request.maxBytes) {
      throw new AgentRefusal(`${request.dir} holds over ${request.maxBytes} bytes`, "TOO_LARGE");
    }
  };
  for await (const { entry, open: openFile } of readTreeEntries(root)) {
    if (openFile) await sendFile(entry, openFile(), countBytes);
    else await sendJson(agentFrameTypes.entry, entry);
  }
  await sendJson(agentFrameTypes.done, {});
}

async function main(): Promise<void> {
  const frames = readFrames();
  const first = await frames.next();
  if (first.done || first.value.type !== agentFrameTypes.request) {
    throw new AgentRefusal("the first frame must be a request", "INVALID");
  }
  const request = JSON.parse(first.value.payload.toString("utf8")) as AgentRequest;
  switch (request.op) {
    case "collect":
      return collect(request);
    case "hash":
      return hash(request);
    case "write":
      return write(request, frames);
    case "read":
      return read(request);
    case "find-action":
      return findAction(request);
    case "read-tree":
      return readTree(request);
  }
}

/** Exits once every frame is flushed: stdout on a pipe is asynchronous, and exit() would drop what is queued. */
async function exitAfterFlush(code: number): Promise<never> {
  await new Promise<void>((resolve) => process.stdout.end(resolve));
  process.exit(code);
}

main().then(
  () => exitAfterFlush(0),
  async (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    const code = error instanceof AgentRefusal ? error.code : (error as NodeJS.ErrnoException).code;
    await sendJson(agentFrameTypes.fail, { message, code });
    await exitAfterFlush(1);
  },
);
