// Loading an action's metadata (action.yml) with GitHub's own parser, and applying its input rules. Runs nothing.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { NoOperationTraceWriter } from "@actions/workflow-parser";
import {
  convertActionTemplate,
  parseAction,
  type ActionTemplate,
} from "@actions/workflow-parser/actions/index";
import type { ScalarToken } from "@actions/workflow-parser/templates/tokens/scalar-token";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import { isMapping } from "@actions/workflow-parser/templates/tokens/type-guards";
import type { TemplateValidationError } from "@actions/workflow-parser/templates/template-validation-error";

export interface LoadedAction {
  /** Absolute directory holding the action's files. */
  dir: string;
  template: ActionTemplate;
  /** The metadata file read (absolute), or the Dockerfile of an action without one. */
  file: string;
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

export async function loadAction(dir: string, displayName: string): Promise<LoadedAction> {
  const absoluteDir = path.resolve(dir);
  for (const name of metadataFileNames) {
    const file = path.join(absoluteDir, name);
    const content = await readOptionalFile(file);
    if (content === undefined) continue;
    const { template, runsEnv } = parseTemplate(file, content, displayName);
    return { dir: absoluteDir, template, file, ...(runsEnv ? { runsEnv } : {}) };
  }
  // An action with only a Dockerfile is a docker action with no inputs (runner: ActionManifestManager).
  const dockerfile = path.join(absoluteDir, "Dockerfile");
  if (await isFile(dockerfile)) {
    return {
      dir: absoluteDir,
      template: { name: displayName, description: "", runs: { using: "docker", image: "Dockerfile" } },
      file: dockerfile,
    };
  }
  throw new ActionLoadError(
    displayName,
    [],
    `Can't find 'action.yml', 'action.yaml' or 'Dockerfile' for action '${displayName}' under '${absoluteDir}'.`,
  );
}

function parseTemplate(
  file: string,
  content: string,
  displayName: string,
): { template: ActionTemplate; runsEnv?: TemplateToken } {
  const parsed = parseAction({ name: file, content }, new NoOperationTraceWriter());
  const fail = () => {
    const problems = parsed.context.errors.getErrors().map((error) => toProblem(file, error));
    return new ActionLoadError(displayName, problems);
  };
  if (!parsed.value || parsed.context.errors.getErrors().length > 0) throw fail();
  const template = convertActionTemplate(parsed.context, parsed.value);
  if (parsed.context.errors.getErrors().length > 0) throw fail();
  return { template, runsEnv: mappingValue(mappingValue(parsed.value, "runs"), "env") };
}

function mappingValue(token: TemplateToken | undefined, key: string): TemplateToken | undefined {
  if (!token || !isMapping(token)) return undefined;
  for (let index = 0; index < token.count; index++) {
    const pair = token.get(index);
    if (pair.key.toString() === key) return pair.value;
  }
  return undefined;
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
