// Finding and running the host programs the container runtime drives (crun, ip, unshare, mount, busybox).
import { execFile } from "node:child_process";
import { closeSync, openSync, readSync, realpathSync } from "node:fs";
import { findExecutable } from "../../find-executable.js";
import { ContainerError, type ContainerErrorCode } from "../container-error.js";

/** Root's tools live in sbin, which a non-login PATH may lack. */
const toolPath = `${process.env.PATH ?? ""}:/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin`;

/** Debian package that provides each tool, for the error message. */
const toolPackages: Record<string, string> = {
  crun: "crun",
  ip: "iproute2",
  unshare: "util-linux",
  mount: "mount",
  umount: "mount",
  busybox: "busybox-static",
  iptables: "iptables",
};

export function requireTool(name: string): string {
  const path = findExecutable(name, toolPath);
  if (!path) {
    throw new ContainerError(
      "CONTAINER_RUNTIME_UNAVAILABLE",
      `'${name}' was not found on PATH; install the Debian package ${toolPackages[name] ?? name}`,
    );
  }
  return path;
}

export function findTool(name: string): string | undefined {
  return findExecutable(name, toolPath);
}

/** The host's busybox, which must be static: it runs inside images that may have no libc at all. */
export function requireStaticBusybox(): string {
  const path = realpathSync(requireTool("busybox"));
  if (hasInterpreter(path)) {
    throw new ContainerError(
      "CONTAINER_RUNTIME_UNAVAILABLE",
      `${path} is dynamically linked; install the Debian package busybox-static`,
    );
  }
  return path;
}

const elfProgramHeaderInterpreter = 3;

/** Whether an ELF64 little-endian binary names a dynamic loader (PT_INTERP), i.e. is not static. */
function hasInterpreter(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const header = Buffer.alloc(64);
    readSync(fd, header, 0, 64, 0);
    const programHeaderOffset = Number(header.readBigUInt64LE(32));
    const entrySize = header.readUInt16LE(54);
    const count = header.readUInt16LE(56);
    const table = Buffer.alloc(entrySize * count);
    readSync(fd, table, 0, table.length, programHeaderOffset);
    for (let i = 0; i < count; i++) {
      if (table.readUInt32LE(i * entrySize) === elfProgramHeaderInterpreter) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

export interface ToolResult {
  stdout: string;
  stderr: string;
}

/** Runs a tool to completion; a non-zero exit becomes a ContainerError with the tool's stderr. */
export function runTool(
  command: string,
  args: string[],
  code: ContainerErrorCode,
  options: { timeoutMs?: number } = {},
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024, killSignal: "SIGKILL" },
      (error, stdout, stderr) => {
        if (error) {
          const detail = stderr.trim() || error.message;
          reject(
            new ContainerError(code, `${command} ${args.join(" ")} failed: ${detail}`, { cause: error }),
          );
          return;
        }
        resolve({ stdout, stderr });
      },
    );
  });
}
