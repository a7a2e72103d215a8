// Loading an action's metadata (action.yml) with GitHub's own parser, and applying its input rules. Runs nothing.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { ActionTemplate } from "@actions/workflow-parser/actions/index";
import type { ScalarToken } from "@actions/workflow-parser/templates/tokens/scalar-token";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import type { TemplateValidationError } from "@actions/workflow-parser/templates/template-validation-error";
import { mappingValue, readActionManifest } from "../../workflow/index.js";

export interface LoadedAction {
  /** Absolute directory holding the action's files where the job runs them (GITHUB_ACTION_PATH). */
  dir: string;
  template: ActionTemplate;
  /** The metadata file read (absolute), or the Dockerfile of an action without one. */
  file: string;
  /** The metadata file's text (a composite's steps are read from it); absent for a bare Dockerfile. */
  content?: string;
  /**
   * A directory with the action's files that only the runner can change, for building a Docker action: the store's
   * copy. Absent for a local action, whose files are the job's and are fetched through the file agent.
   */
  buildContext?: string;
  /** `owner/repo` of an action from a repository: GITHUB_ACTION_REPOSITORY. */
  repository?: string;
  /** The ref it was used at: GITHUB_ACTION_REF. */
  ref?: string;
  /** A Docker action's `runs.env` as written: the template keeps only its literal values, not its expressions. */
  runsEnv?: TemplateToken;
}

export interface ActionLoadProblem {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  message: string;
}

/** An action.yml that is missing or invalid: the user's problem, with every position in the message. */
export class ActionLoadError extends Error {
  constructor(
    readonly action: string,
    readonly problems: ActionLoadProblem[],
    summary?: string,
  ) {
    super(
      summary ??
        [
          `Failed to load action '${action}':`,
          ...problems.map((p) => `  ${p.file}:${p.line}:${p.column}: ${p.message}`),
        ].join("\n"),
    );
    this.name = "ActionLoadError";
  }
}

/** The runner looks for these in this order (docs: "Metadata syntax for GitHub Actions"). */
const metadataFileNames = ["action.yml", "action.yaml"];

/** An action's directory and what the runner found in it: a metadata file's name and text, or only a Dockerfile. */
export interface ActionFiles {
  dir: string;
  /** action.yml, action.yaml or Dockerfile; absent when the directory has none of them. */
  file?: string;
  content?: string;
}

/** Reads an action from a directory only the runner can change (the action store). */
export async function loadAction(dir: string, displayName: string): Promise<LoadedAction> {
  const absoluteDir = path.resolve(dir);
  for (const name of metadataFileNames) {
    const content = await readOptionalFile(path.join(absoluteDir, name));
    if (content !== undefined) return parseAction({ dir: absoluteDir, file: name, content }, displayName);
  }
  const hasDockerfile = await isFile(path.join(absoluteDir, "Dockerfile"));
  return parseAction({ dir: absoluteDir, ...(hasDockerfile ? { file: "Dockerfile" } : {}) }, displayName);
}

/** The action as the runner's ActionManifestManager reads it: metadata first, else a bare Dockerfile. */
export function parseAction(files: ActionFiles, displayName: string): LoadedAction {
  const { dir } = files;
  if (files.file && files.content !== undefined) {
    const file = path.join(dir, files.file);
    const { template, runsEnv } = parseTemplate(file, files.content, displayName);
    return { dir, template, file, content: files.content, ...(runsEnv ? { runsEnv } : {}) };
  }
  // An action with only a Dockerfile is a docker action with no inputs (runner: ActionManifestManager).
  if (files.file === "Dockerfile") {
    return {
      dir,
      template: { name: displayName, description: "", runs: { using: "docker", image: "Dockerfile" } },
      file: path.join(dir, "Dockerfile"),
    };
  }
  throw new ActionLoadError(
    displayName,
    [],
    `Can't find 'action.yml', 'action.yaml' or 'Dockerfile' for action '${displayName}' under '${dir}'.`,
  );
}

function parseTemplate(
  file: string,
  content: string,
  displayName: string,
): { template: ActionTemplate; runsEnv?: TemplateToken } {
  // Within the workflow limits: an action.yml can be a YAML alias bomb as well as a workflow can.
  const parsed = readActionManifest(file, content);
  if (parsed.refused) {
    const { start, message } = parsed.refused;
    throw new ActionLoadError(displayName, [{ file, line: start.line, column: start.column, message }]);
  }
  if (!parsed.template) {
    const problems = parsed.context.errors.getErrors().map((error) => toProblem(file, error));
    throw new ActionLoadError(displayName, problems);
  }
  return { template: parsed.template, runsEnv: mappingValue(mappingValue(parsed.value, "runs"), "env") };
}

function toProblem(file: string, error: TemplateValidationError): ActionLoadProblem {
  // YAML errors repeat the position and a source excerpt after the message; the range already has it.
  const message = error.rawMessage.replace(/ at line \d+, column \d+:[\s\S]*$/, "");
  return {
    file,
    line: error.range?.start.line ?? 1,
    column: error.range?.start.column ?? 1,
    message,
  };
}

export interface ActionInputs {
  /** Every input the process gets as INPUT_<NAME>: the given ones (unexpected included) and defaults. */
  inputs: Record<string, string>;
  /** Shown as warnings, as GitHub's runner does; none of them fails the step. */
  warnings: string[];
}

/**
 * Applies GitHub's input rules (docs: "Metadata syntax: inputs"): a missing input gets its
 * default, evaluated by the caller; unexpected and missing required inputs only warn, and
 * `required` is left for the action itself to enforce, as on GitHub.
 */
export async function evaluateActionInputs(
  template: ActionTemplate,
  given: Record<string, string>,
  evaluateDefault: (token: ScalarToken) => Promise<string>,
): Promise<ActionInputs> {
  const definitions = template.inputs ?? [];
  // Input names are case-insensitive, as in the runner's dictionary of inputs.
  const givenByName = new Map(Object.entries(given).map(([name, value]) => [name.toLowerCase(), value]));
  const inputs: Record<string, string> = { ...given };
  const warnings: string[] = [];

  const unexpected = Object.keys(given).filter(
    (name) => !definitions.some((input) => input.id.toLowerCase() === name.toLowerCase()),
  );
  if (unexpected.length > 0) {
    warnings.push(
      `Unexpected input(s) '${unexpected.join("', '")}', valid inputs are ['${definitions.map((input) => input.id).join("', '")}']`,
    );
  }
  for (const input of definitions) {
    const value = givenByName.get(input.id.toLowerCase());
    if (value !== undefined) {
      if (input.deprecationMessage) {
        warnings.push(`Input '${input.id}' has been deprecated with message: ${input.deprecationMessage}`);
      }
      continue;
    }
    if (input.default !== undefined) {
      inputs[input.id] = await evaluateDefault(input.default);
      continue;
    }
    inputs[input.id] = "";
    if (input.required) warnings.push(`Input required and not supplied: ${input.id}`);
  }
  return { inputs, warnings };
}

async function readOptionalFile(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EISDIR") return undefined;
    throw error;
  }
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}
