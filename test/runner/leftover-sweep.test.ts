// A runner killed mid-job (SIGKILL) leaves its job network, container, overlay and sandbox job cgroup behind until a
// sweep reclaims them; a live runner's are never touched; ip_forward gets back the value it had before hangar's
// networks. Real crun, ip, iptables and cgroups; the runner is a child process (leftover-owner.ts).
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcessByStdio } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { after, test } from "node:test";
import { reclaimDeadJobNetworks } from "../../src/runner/index.js";
import { detectCgroupLayout, Crun } from "../../src/runner/containers/runtime/crun.js";
import { readRecords, withNetworkRecordLock } from "../../src/runner/containers/runtime/network-registry.js";
import { JobCgroup, findCgroupParents } from "../../src/runner/executors/sandbox/job-cgroups.js";
import { isOwnerAlive } from "../../src/runner/process-owner.js";
import type { OwnerMade } from "./leftover-owner.js";

if (process.getuid?.() !== 0)
  throw new Error("leftover sweep tests need root (crun, ip netns, iptables, cgroups)");

const root = join(import.meta.dirname, "../..");
const baseDir = mkdtempSync(join(tmpdir(), "hangar-leftover-test-"));
const forwardingFile = "/proc/sys/net/ipv4/ip_forward";
/** Where the first job network keeps the ip_forward value from before; the last puts it back. */
const savedForwardingFile = "/run/hangar/ip_forward";
const owners: ChildProcessByStdio<null, Readable, Readable>[] = [];

after(async () => {
  for (const owner of owners) if (owner.exitCode === null && owner.signalCode === null) owner.kill("SIGKILL");
  await reclaimAll();
  await rm(baseDir, { recursive: true, force: true });
});

/** A runner in the middle of a job, as a child process; resolves once its job network and cgroup are up. */
async function startOwner(): Promise<{
  owner: ChildProcessByStdio<null, Readable, Readable>;
  made: OwnerMade;
}> {
  const dir = mkdtempSync(join(baseDir, "job-"));
  const owner = spawn(
    process.execPath,
    ["--import", join(root, "scripts/register.mjs"), join(root, "test/runner/leftover-owner.ts"), dir],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
  );
  owners.push(owner);
  let stderr = "";
  owner.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const line = await new Promise<string | undefined>((resolve) => {
    createInterface({ input: owner.stdout }).once("line", resolve);
    owner.once("exit", () => resolve(undefined));
  });
  if (line === undefined) throw new Error(`the owner process exited before making its job: ${stderr}`);
  return { owner, made: JSON.parse(line) as OwnerMade };
}

function exitOf(owner: ChildProcessByStdio<null, Readable, Readable>): Promise<number | null> {
  if (owner.exitCode !== null || owner.signalCode !== null) return Promise.resolve(owner.exitCode);
  return new Promise((resolve) => owner.once("exit", (code) => resolve(code)));
}

/** Both sweeps, as a runner's start runs them; returns what they said. */
async function reclaimAll(): Promise<string[]> {
  const said: string[] = [];
  await reclaimDeadJobNetworks((message) => said.push(message));
  await JobCgroup.reclaimDead(await findCgroupParents(), (message) => said.push(message));
  return said;
}

interface Observed {
  bridge: boolean;
  netns: string[];
  natRule: boolean;
  record: boolean;
  containerIds: string[];
  containerRunning: boolean;
  overlays: string[];
  cgroupDirs: string[];
  sleeperRunning: boolean;
}

/** What of the owner's job exists on the host right now. */
async function observe(made: OwnerMade, containerPid: number): Promise<Observed> {
  const { bridge } = made;
  const netnsList = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
  const crun = new Crun(made.crunStateDir, await detectCgroupLayout());
  const listed = await crun.run(["list", "--quiet"], "CONTAINER_START_FAILED").catch(() => ({ stdout: "" }));
  return {
    bridge: succeeds("ip", ["link", "show", "dev", bridge]),
    netns: netnsList
      .split("\n")
      .map((line) => line.split(" ")[0])
      .filter((name) => name.startsWith(`hangar-${made.subnetIndex}-`)),
    natRule: succeeds("iptables", [
      "-t",
      "nat",
      "-C",
      "POSTROUTING",
      "-s",
      `10.213.${made.subnetIndex}.0/24`,
      "!",
      "-o",
      bridge,
      "-j",
      "MASQUERADE",
    ]),
    record: existsSync(recordFile(made)),
    containerIds: listed.stdout.split("\n").filter(Boolean),
    containerRunning: isOwnerAlive({ pid: containerPid }),
    overlays: readFileSync("/proc/self/mounts", "utf8")
      .split("\n")
      .filter((line) => line.includes(`upperdir=${made.containersDir}/`)),
    cgroupDirs: made.cgroupDirs.filter((dir) => existsSync(dir)),
    sleeperRunning: isOwnerAlive({ pid: made.sleeperPid }),
  };
}

function recordFile(made: OwnerMade): string {
  return `/run/hangar/networks/${made.subnetIndex}.json`;
}

function succeeds(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function containerPidOf(made: OwnerMade): Promise<number> {
  const crun = new Crun(made.crunStateDir, await detectCgroupLayout());
  const state = await crun.run(["state", made.containerId], "CONTAINER_START_FAILED");
  return (JSON.parse(state.stdout) as { pid: number }).pid;
}

function assertAllThere(seen: Observed, made: OwnerMade): void {
  assert.deepEqual(
    { ...seen, netns: seen.netns.length, overlays: seen.overlays.length },
    {
      bridge: true,
      netns: 1,
      natRule: true,
      record: true,
      containerIds: [made.containerId],
      containerRunning: true,
      overlays: 1,
      cgroupDirs: made.cgroupDirs,
      sleeperRunning: true,
    },
  );
}

function assertAllGone(seen: Observed): void {
  assert.deepEqual(seen, {
    bridge: false,
    netns: [],
    natRule: false,
    record: false,
    containerIds: [],
    containerRunning: false,
    overlays: [],
    cgroupDirs: [],
    sleeperRunning: false,
  });
}

/**
 * Makes forwarding look off before hangar's first network, as on a fresh host, so that putting it back shows. Only
 * when no other job network is up (other test processes have theirs); then the value they saved must come back.
 */
async function pretendForwardingWasOff(): Promise<{ expected: string; original?: string }> {
  return withNetworkRecordLock(async () => {
    const saved = await readFile(savedForwardingFile, "utf8").catch(() => undefined);
    const current = (await readFile(forwardingFile, "utf8")).trim();
    if ((await readRecords()).length > 0 || saved !== undefined)
      return { expected: (saved ?? current).trim() };
    await writeFile(forwardingFile, "0");
    return { expected: "0", original: current };
  });
}

/** ip_forward is back to what it was before the first network, or, while others run, that value is still saved. */
async function assertForwardingRestored(expected: string): Promise<void> {
  await withNetworkRecordLock(async () => {
    const saved = await readFile(savedForwardingFile, "utf8").catch(() => undefined);
    if ((await readRecords()).length === 0) {
      assert.equal((await readFile(forwardingFile, "utf8")).trim(), expected);
      assert.equal(saved, undefined, `${savedForwardingFile} is left behind`);
    } else assert.equal(saved?.trim(), expected);
  });
}

/** Whoever ends last (this test or another process's network) leaves the host's own value. */
async function putForwardingBack(original: string | undefined): Promise<void> {
  if (original === undefined) return;
  await withNetworkRecordLock(async () => {
    if ((await readRecords()).length === 0) await writeFile(forwardingFile, original);
    else await writeFile(savedForwardingFile, original);
  });
}

test("a sweep reclaims the job network, container, overlay and job cgroup of a runner killed with SIGKILL", async () => {
  const forwarding = await pretendForwardingWasOff();
  try {
    const { owner, made } = await startOwner();
    const containerPid = await containerPidOf(made);
    owner.kill("SIGKILL");
    await exitOf(owner);
    assertAllThere(await observe(made, containerPid), made);
    assert.equal((await readFile(forwardingFile, "utf8")).trim(), "1");
    const { createdAt } = JSON.parse(await readFile(recordFile(made), "utf8")) as { createdAt: string };

    const said = await reclaimAll();
    assertAllGone(await observe(made, containerPid));
    await assertForwardingRestored(forwarding.expected);
    const cgroupName = made.cgroupDirs[0]!.split("/").at(-1)!;
    // Any runner or sandbox starting meanwhile (other test files run at once) sweeps too, and may have got there first:
    // what is gone is asserted above, and whatever this sweep says must be exactly this.
    const expected = [
      `reclaimed the job network ${made.bridge} of runner pid ${owner.pid}, dead (made ${createdAt}): ` +
        "1 container(s), 1 overlay(s), 1 network namespace(s), 3 NAT rule(s)",
      `removed the job cgroup ${cgroupName} of runner pid ${owner.pid}, dead, and the 1 process(es) left in it`,
    ];
    const saidOfOwner = said.filter((line) => line.includes(`runner pid ${owner.pid},`));
    assert.deepEqual(
      saidOfOwner,
      expected.filter((line) => saidOfOwner.includes(line)),
      said.join("\n"),
    );
  } finally {
    await putForwardingBack(forwarding.original);
  }
});

test("a sweep leaves a live runner's job network, container and job cgroup alone; its own teardown removes them", async () => {
  const forwarding = await pretendForwardingWasOff();
  try {
    const { owner, made } = await startOwner();
    const containerPid = await containerPidOf(made);
    const said = await reclaimAll();
    assertAllThere(await observe(made, containerPid), made);
    assert.deepEqual(
      said.filter((line) => line.includes(`pid ${owner.pid},`)),
      [],
    );

    owner.kill("SIGTERM");
    assert.equal(await exitOf(owner), 0);
    assertAllGone(await observe(made, containerPid));
    await assertForwardingRestored(forwarding.expected);
  } finally {
    await putForwardingBack(forwarding.original);
  }
});
