// Drives the crun binary with a private state dir; hides the cgroup layout of the host (v1, hybrid, v2) from callers.
import type { ChildProcessByStdio } from "node:child_process";
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import type { Readable, Writable } from "node:stream";
import type { ContainerErrorCode } from "../container-error.js";
import { requireTool, runTool, type ToolResult } from "./host-tools.js";

export type CgroupLayout = "v1" | "hybrid" | "v2";

/** Reads where cgroupfs is mounted: crun 1.8 refuses hybrid hosts (v1 controllers plus an empty cgroup2 at unified). */
export async function detectCgroupLayout(): Promise<CgroupLayout> {
  const mountinfo = await readFile("/proc/self/mountinfo", "utf8");
  const fsTypes = new Map<string, string>();
  for (const line of mountinfo.split("\n")) {
    const [before, after] = line.split(" - ");
    if (!after) continue;
    fsTypes.set(before.split(" ")[4], after.split(" ")[0]);
  }
  if (fsTypes.get("/sys/fs/cgroup") === "cgroup2") return "v2";
  return fsTypes.get("/sys/fs/cgroup/unified") === "cgroup2" ? "hybrid" : "v1";
}

/**
 * Masking unified with a tmpfs in a private mount namespace makes crun see plain v1; the namespace lives only as
 * long as this crun call (a created container keeps its own mount namespace).
 */
const maskUnifiedScript = 'mount -t tmpfs hangar-cgroup-mask /sys/fs/cgroup/unified && exec "$0" "$@"';

export class Crun {
  private readonly crunPath = requireTool("crun");
  private readonly unsharePath: string | undefined;

  constructor(
    private readonly stateDir: string,
    layout: CgroupLayout,
  ) {
    if (layout === "hybrid") this.unsharePath = requireTool("unshare");
  }

  /** The full command line for one crun call; global options first. */
  commandLine(args: string[], logFile?: string): { command: string; args: string[] } {
    const crunArgs = ["--root", this.stateDir, "--cgroup-manager=cgroupfs"];
    if (logFile) crunArgs.push(`--log=file:${logFile}`);
    crunArgs.push(...args);
    if (!this.unsharePath) return { command: this.crunPath, args: crunArgs };
    return {
      command: this.unsharePath,
      args: [
        "--mount",
        "--propagation",
        "private",
        "--",
        "/bin/sh",
        "-c",
        maskUnifiedScript,
        this.crunPath,
        ...crunArgs,
      ],
    };
  }

  run(args: string[], code: ContainerErrorCode): Promise<ToolResult> {
    const line = this.commandLine(args);
    return runTool(line.command, line.args, code);
  }

  /** A long-running crun call (exec) whose output is streamed; it leads its own process group. crun exec hands its stdin on. */
  spawn(
    args: string[],
    logFile: string,
    stdin: "pipe" | "ignore",
  ): ChildProcessByStdio<Writable | null, Readable, Readable> {
    const line = this.commandLine(args, logFile);
    return spawn(line.command, line.args, {
      detached: true,
      stdio: [stdin, "pipe", "pipe"],
    }) as ChildProcessByStdio<Writable | null, Readable, Readable>;
  }

  /** Stops and removes a container whatever state it is in; a missing container is fine. */
  async remove(id: string): Promise<void> {
    await this.run(["delete", "--force", id], "CONTAINER_START_FAILED").catch(async (error: unknown) => {
      const state = await this.run(["state", id], "CONTAINER_START_FAILED").catch(() => undefined);
      if (state) throw error;
    });
  }
}
