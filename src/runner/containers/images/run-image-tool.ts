// Runs skopeo and umoci, the two programs the image store drives, and turns their failures into ContainerErrors.
import { spawn } from "node:child_process";
import { ContainerError, type ContainerErrorCode } from "../container-error.js";

export interface ToolResult {
  stdout: string;
  stderr: string;
}

/** Debian packages, named in the error a missing program gives. */
const toolPackages: Record<string, string> = { skopeo: "skopeo", umoci: "umoci" };

export class ToolFailure extends Error {
  constructor(
    readonly tool: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${tool} exited with ${exitCode ?? "a signal"}: ${lastMessage(stderr)}`);
  }
}

/** skopeo and umoci log as `time=... level=fatal msg="..."` or `   ⨯ ...`; the message is what a user needs. */
export function lastMessage(stderr: string): string {
  const lines = stderr.trim().split("\n").filter(Boolean);
  const last = lines.at(-1) ?? "";
  const logfmt = /msg="((?:[^"\\]|\\.)*)"/.exec(last);
  if (logfmt) return logfmt[1]!.replace(/\\(.)/g, "$1");
  return last.replace(/^\s*⨯\s*/, "").trim();
}

export function runImageTool(
  tool: "skopeo" | "umoci",
  args: string[],
  options: { signal?: AbortSignal; failureCode: ContainerErrorCode },
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ["ignore", "pipe", "pipe"], signal: options.signal });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") {
        reject(
          new ContainerError(
            "IMAGE_TOOL_MISSING",
            `${tool} is not installed (Debian package '${toolPackages[tool]}'); the image store needs it`,
            { cause: error },
          ),
        );
      } else if (error.name === "AbortError") {
        reject(error);
      } else {
        reject(
          new ContainerError(options.failureCode, `${tool} could not be started: ${error.message}`, {
            cause: error,
          }),
        );
      }
    });
    child.on("close", (code) => {
      if (code === 0) resolve({ stdout, stderr });
      else if (!options.signal?.aborted) reject(new ToolFailure(tool, code, stderr));
    });
  });
}
