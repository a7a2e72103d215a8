// How long a job's own copy of a checkout takes to make (copy-checkout.ts), against `cp -r` of the same tree in the
// same run as the floor. Prints one JSON document: median and p95 in ms per case, and whether reflinks worked.
// Usage: node --import ./scripts/register.mjs bench/workspace-copy.ts [--dir DIR] [--mb 1024] [--files 4000] [--runs 5]
// Point --dir at a reflink-capable filesystem (btrfs, XFS with reflink=1) to measure copy-on-write copies.
import { execFileSync } from "node:child_process";
import { constants } from "node:fs";
import { randomBytes } from "node:crypto";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { copyCheckout } from "../src/runner/executors/copy-checkout.js";
import { summarize } from "./summarize.js";

const { values } = parseArgs({
  options: {
    dir: { type: "string" },
    mb: { type: "string", default: "1024" },
    files: { type: "string", default: "4000" },
    runs: { type: "string", default: "5" },
  },
});
const totalBytes = Number(values.mb) * 1024 * 1024;
const fileCount = Number(values.files);
const runs = Number(values.runs);

const base = await mkdtemp(path.join(values.dir ?? os.tmpdir(), "hangar-bench-copy-"));
const repo = path.join(base, "repo");

async function makeRepository(): Promise<void> {
  const size = Math.floor(totalBytes / fileCount);
  for (let index = 0; index < fileCount; index++) {
    const file = path.join(repo, `dir-${index % 50}`, `file-${index}.bin`);
    await mkdir(path.dirname(file), { recursive: true });
    // Random content: git cannot compress it, so .git holds about the tree's size again, as a real repository would.
    await writeFile(file, randomBytes(size));
  }
  const git = (...args: string[]) => execFileSync("git", ["-C", repo, ...args], { stdio: "pipe" });
  git("init", "-q", "-b", "main");
  git("-c", "user.name=bench", "-c", "user.email=bench@example.com", "add", "-A");
  git("-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", "bench");
  await writeFile(path.join(repo, "untracked.txt"), "untracked\n");
}

async function reflinkWorks(): Promise<boolean> {
  const probe = path.join(base, "probe");
  await writeFile(probe, "x");
  try {
    await copyFile(probe, `${probe}-clone`, constants.COPYFILE_FICLONE_FORCE);
    return true;
  } catch {
    return false;
  }
}

async function time(label: string, body: (target: string) => Promise<void>): Promise<number[]> {
  const samples: number[] = [];
  for (let run = 0; run < runs; run++) {
    const target = path.join(base, `${label}-${run}`);
    const started = performance.now();
    await body(target);
    samples.push(performance.now() - started);
    await rm(target, { recursive: true, force: true });
  }
  return samples;
}

try {
  await makeRepository();
  const report = {
    bytes: totalBytes,
    files: fileCount,
    runs,
    filesystem: execFileSync("stat", ["-f", "-c", "%T", base], { encoding: "utf8" }).trim(),
    reflink: await reflinkWorks(),
    gitDirBytes: Number(
      execFileSync("du", ["-sb", path.join(repo, ".git")], { encoding: "utf8" }).split("\t")[0],
    ),
    copyCheckoutHost: summarize(
      await time("host", async (target) => {
        await mkdir(target);
        await copyCheckout(repo, target, { linkGitObjects: true });
      }),
    ),
    copyCheckoutIsolated: summarize(
      await time("isolated", async (target) => {
        await mkdir(target);
        await copyCheckout(repo, target, { linkGitObjects: false });
      }),
    ),
    cpRecursiveFloor: summarize(
      await time("cp", async (target) => {
        execFileSync("cp", ["-r", repo, target]);
      }),
    ),
  };
  console.log(JSON.stringify(report, null, 2));
} finally {
  await rm(base, { recursive: true, force: true });
}
