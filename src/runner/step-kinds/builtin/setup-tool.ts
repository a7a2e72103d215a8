// Built-in actions/setup-node and actions/setup-python: offline, they accept the version already on the machine.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { findExecutable } from "../../find-executable.js";
import { emptyStepResult, failedStepResult } from "../../step-result.js";
import type { StepResult } from "../../types.js";
import type { StepRun } from "../step-kind.js";

const execFileAsync = promisify(execFile);

interface Tool {
  action: string;
  versionInput: string;
  versionFileInput: string;
  /** Executables tried in order on the step's PATH. */
  commands: string[];
  outputName: string;
}

const tools = {
  node: {
    action: "actions/setup-node",
    versionInput: "node-version",
    versionFileInput: "node-version-file",
    commands: ["node"],
    outputName: "node-version",
  },
  python: {
    action: "actions/setup-python",
    versionInput: "python-version",
    versionFileInput: "python-version-file",
    commands: ["python3", "python"],
    outputName: "python-version",
  },
} satisfies Record<string, Tool>;

/**
 * Whether an installed version satisfies what a workflow asks for: `20`, `20.x`, `3.12`, `v20.1.0`, `>=18`,
 * `latest`, `lts/*`. Versions in setup-* inputs are loose specs, so a small matcher covers them.
 */
export function satisfiesVersion(installed: string, wanted: string): boolean {
  const spec = wanted.trim().replace(/^v/, "");
  if (spec === "" || spec === "latest" || spec === "current" || spec === "node" || spec.startsWith("lts"))
    return true;
  const have = installed.replace(/^v/, "").split(".").map(Number);
  const atLeast = spec.match(/^>=\s*([\d.]+)$/);
  if (atLeast) {
    const want = atLeast[1]!.split(".").map(Number);
    for (let i = 0; i < want.length; i++) if ((have[i] ?? 0) !== want[i]) return (have[i] ?? 0) > want[i]!;
    return true;
  }
  const parts = spec.replace(/^[~^]/, "").split(".");
  return parts.every((part, i) => part === "x" || part === "*" || Number(part) === have[i]);
}

async function wantedVersion(run: StepRun, tool: Tool): Promise<string | undefined> {
  const direct = run.inputs[tool.versionInput]?.split("\n")[0]?.trim();
  if (direct) return direct;
  const file = run.inputs[tool.versionFileInput];
  if (!file) return undefined;
  const text = await readFile(path.resolve(run.job.dirs.workspace, file), "utf8");
  return text.split("\n")[0]!.trim();
}

async function setUp(run: StepRun, tool: Tool): Promise<StepResult> {
  let wanted: string | undefined;
  try {
    wanted = await wantedVersion(run, tool);
  } catch (error) {
    return failedStepResult(
      `${tool.action}: cannot read ${run.inputs[tool.versionFileInput]}: ${(error as Error).message}`,
    );
  }
  const executable = tool.commands.map((c) => findExecutable(c, run.env["PATH"] ?? "")).find(Boolean);
  if (!executable)
    return failedStepResult(`${tool.action}: ${tool.commands[0]} is not installed on this machine`);
  const { stdout, stderr } = await execFileAsync(executable, ["--version"]);
  const installed = (stdout || stderr).trim().replace(/^Python\s+/, "");
  if (wanted && !satisfiesVersion(installed, wanted)) {
    return failedStepResult(
      `${tool.action}: version ${wanted} was asked for, but this machine has ${installed} (${executable}); ` +
        "hangar does not download tools: install that version or run the job on a runner that has it",
    );
  }
  run.onLine({ stream: "stdout", text: `Using ${executable} ${installed}${wanted ? ` for ${wanted}` : ""}` });
  return {
    ...emptyStepResult("success", { [tool.outputName]: installed }),
    path: [path.dirname(executable)],
  };
}

export function runSetupNode(run: StepRun): Promise<StepResult> {
  return setUp(run, tools.node);
}

export function runSetupPython(run: StepRun): Promise<StepResult> {
  return setUp(run, tools.python);
}
