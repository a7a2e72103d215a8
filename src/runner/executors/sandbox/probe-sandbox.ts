// What the sandbox executor can use on this host (bwrap, user namespaces, cgroups, seccomp), for the runner to print at start. Leaves nothing behind (on v2 it enables controllers as the executor would).
import { spawn } from "node:child_process";
import { RunnerError } from "../../runner-error.js";
import type { SandboxTools } from "./sandbox-tools.js";
import { findSandboxTools, writeToChild } from "./sandbox-tools.js";
import { findSystemMounts } from "./bwrap-arguments.js";
import type { CgroupVersion } from "./job-cgroups.js";
import { findCgroupParents } from "./job-cgroups.js";
import { buildSeccompFilter } from "./seccomp-filter.js";

export interface SandboxProbe {
  /** Absolute path of bwrap, or undefined when bubblewrap is not installed. */
  bwrap?: string;
  /** bwrap could create user and pid namespaces as the uid jobs run as. */
  userNamespaces: boolean;
  cgroups?: { version: CgroupVersion; controllers: string[] };
  /** bwrap accepted the seccomp filter (x86_64 only). */
  seccomp: boolean;
  /** One line per thing that does not work, saying how to fix it; empty when everything works. */
  problems: string[];
}

/** The first uid of SandboxExecutorOptions.uidBase's default range; the probe runs as it when root. */
const probeUid = 200_000;

/** Runs bwrap twice (plain, then with the seccomp filter) and looks at the cgroups; never throws. */
export async function probeSandbox(options: { bwrapPath?: string } = {}): Promise<SandboxProbe> {
  const problems: string[] = [];
  let tools: SandboxTools | undefined;
  try {
    tools = findSandboxTools(options.bwrapPath);
  } catch (error) {
    problems.push(error instanceof RunnerError ? error.message : String(error));
  }
  let cgroups: SandboxProbe["cgroups"];
  try {
    const parents = await findCgroupParents();
    cgroups = { version: parents.version, controllers: parents.controllers };
  } catch (error) {
    problems.push(`no resource limits: ${error instanceof Error ? error.message : String(error)}`);
  }
  let userNamespaces = false;
  let seccomp = false;
  if (tools) {
    const plain = await runProbe(tools, undefined);
    userNamespaces = plain === "";
    if (!userNamespaces) {
      problems.push(
        `bwrap cannot create user namespaces (${plain}): check /proc/sys/user/max_user_namespaces and kernel.unprivileged_userns_clone`,
      );
    }
    if (process.arch !== "x64") problems.push(`seccomp: the filter is for x86_64, not ${process.arch}`);
    else if (userNamespaces) {
      const filtered = await runProbe(tools, buildSeccompFilter());
      seccomp = filtered === "";
      if (!seccomp) problems.push(`bwrap refused the seccomp filter: ${filtered}`);
    }
  }
  return { bwrap: tools?.bwrap, userNamespaces, cgroups, seccomp, problems };
}

/** One line for the runner's start banner. */
export function formatSandboxProbe(probe: SandboxProbe): string {
  const cgroups = probe.cgroups
    ? `cgroup v${probe.cgroups.version} (${probe.cgroups.controllers.join(", ")})`
    : "no cgroups";
  const parts = [
    `bwrap ${probe.bwrap ?? "missing"}`,
    `user namespaces ${probe.userNamespaces ? "yes" : "no"}`,
    cgroups,
    `seccomp ${probe.seccomp ? "yes" : "no"}`,
  ];
  return `sandbox: ${parts.join(", ")}${probe.problems.map((problem) => `\n  - ${problem}`).join("")}`;
}

/** Resolves "" when `true` ran inside a sandbox, else bwrap's complaint. */
async function runProbe(tools: SandboxTools, seccompFilter: Buffer | undefined): Promise<string> {
  const system = await findSystemMounts();
  const dropPrivileges = tools.setpriv
    ? [tools.setpriv, `--reuid=${probeUid}`, `--regid=${probeUid}`, "--clear-groups", "--no-new-privs"]
    : [];
  const args = [
    ...dropPrivileges,
    tools.bwrap,
    "--unshare-user",
    "--unshare-pid",
    "--die-with-parent",
    ...system.args,
    "--proc",
    "/proc",
    ...(seccompFilter ? ["--seccomp", "3"] : []),
    "--",
    "true",
  ];
  return new Promise((resolvePromise) => {
    const child = spawn(args[0], args.slice(1), {
      cwd: "/",
      stdio: ["ignore", "ignore", "pipe", ...(seccompFilter ? (["pipe"] as const) : [])],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    if (seccompFilter) writeToChild(child, 3, seccompFilter);
    child.once("error", (error) => resolvePromise(error.message));
    child.once("close", (code) => resolvePromise(code === 0 ? "" : stderr.trim() || `exit code ${code}`));
  });
}
