// Applying a step's output lines: workflow commands take effect, secrets are masked, LogLines go out. Does not parse command syntax (workflow-commands.ts) or env files.
import { isAbsolute, relative, sep } from "node:path";
import type { Masker } from "./masker.js";
import type { Annotation, LogLine } from "./types.js";
import type { WorkflowCommand } from "./workflow-commands.js";
import { WorkflowCommandReader } from "./workflow-commands.js";

export interface OutputProcessorOptions {
  masker: Masker;
  onLine: (line: LogLine) => void;
  /** Step debug logging (ACTIONS_STEP_DEBUG): shows `::debug::` lines and echoes commands by default. */
  stepDebug?: boolean;
  /** Annotation file paths under the workspace become relative to it, as on GitHub. */
  workspace: string;
  /** ACTIONS_ALLOW_UNSECURE_COMMANDS=true re-enables set-env and add-path. */
  allowUnsecureCommands?: boolean;
}

/** Messages users see; the wording follows the runner's so searches for them find GitHub's docs. */
const messages = {
  disabled: (name: string) =>
    `The \`${name}\` command is disabled. Please upgrade to using Environment Files or opt into unsecure command execution by setting the \`ACTIONS_ALLOW_UNSECURE_COMMANDS\` environment variable to \`true\`. For more information see: https://github.blog/changelog/2020-10-01-github-actions-deprecating-set-env-and-add-path-commands/`,
  deprecated: (name: string) =>
    `The \`${name}\` command is deprecated and will be disabled soon. Please upgrade to using Environment Files. For more information see: https://github.blog/changelog/2022-10-11-github-actions-deprecating-save-state-and-set-output-commands/`,
  missingName: (name: string) => `Required field 'name' is missing in ##[${name}] command.`,
  emptyMask: "Can't add secret mask for empty string in ##[add-mask] command.",
  nodeOptions: "Can't update NODE_OPTIONS environment variable using ::set-env:: command.",
  matchers: "Problem matchers are not supported by hangar; the command was ignored.",
} as const;

/** Commands whose input line is never echoed: it may hold a secret or is shown another way. */
const omitEcho = new Set(["add-mask", "debug", "error", "warning", "notice"]);

/** Thrown inside a command handler to report "Unable to process command", which fails the step. */
class CommandFailure extends Error {}

/**
 * One per step (the runner's OutputManager plus ActionCommandManager). stdout and stderr share it
 * so add-mask on one stream masks the other and stop-commands spans both.
 */
export class OutputProcessor {
  readonly outputs: Record<string, string> = {};
  readonly state: Record<string, string> = {};
  readonly env: Record<string, string> = {};
  /** add-path entries, latest first. */
  readonly path: string[] = [];
  readonly annotations: Annotation[] = [];
  /** A command could not be processed: GitHub then fails the step even when it exits 0. */
  hasCommandFailure = false;

  private readonly reader = new WorkflowCommandReader();
  private isEchoOn: boolean;

  constructor(private readonly options: OutputProcessorOptions) {
    this.isEchoOn = options.stepDebug ?? false;
  }

  processLine(text: string, stream: "stdout" | "stderr"): void {
    const read = this.reader.read(text);
    switch (read.kind) {
      case "text":
        this.emit({ stream, text });
        return;
      case "stop":
      case "resume":
        this.emit({ stream, text });
        return;
      case "command":
        this.applyCommand(read.command, text, stream);
    }
  }

  /** A line from hangar itself (e.g. "Process completed with exit code 1."). */
  reportSystem(text: string, level?: Annotation["level"]): void {
    if (level) this.annotate({ level, message: text }, "system");
    else this.emit({ stream: "system", text });
  }

  /** Shown only with step debug logging on. */
  reportDebug(text: string): void {
    if (this.options.stepDebug) this.emit({ stream: "system", text, debug: true });
  }

  private applyCommand(command: WorkflowCommand, input: string, stream: "stdout" | "stderr"): void {
    if (this.isEchoOn && !omitEcho.has(command.name)) this.emit({ stream, text: input });
    try {
      this.runCommand(command, stream);
    } catch (error) {
      if (!(error instanceof CommandFailure)) throw error;
      this.hasCommandFailure = true;
      const shown = omitEcho.has(command.name) ? command.name : input;
      this.annotate(
        { level: "error", message: `Unable to process command '${shown}' successfully.` },
        "system",
      );
      this.annotate({ level: "error", message: error.message }, "system");
    }
  }

  private runCommand(command: WorkflowCommand, stream: "stdout" | "stderr"): void {
    const { name, properties, data } = command;
    switch (name) {
      case "add-mask":
        if (data.trim() === "") {
          this.annotate({ level: "warning", message: messages.emptyMask }, "system");
          return;
        }
        if (this.isEchoOn) this.emit({ stream, text: "::add-mask::***" });
        this.warnIfShort(this.options.masker.add(data, "A value passed to ::add-mask::"));
        return;
      case "group":
        this.emit({ stream, text: data, group: "start" });
        return;
      case "endgroup":
        this.emit({ stream, text: "", group: "end" });
        return;
      case "error":
      case "warning":
      case "notice":
        this.annotate(this.buildAnnotation(name, properties, data), stream);
        return;
      case "debug":
        if (this.options.stepDebug) this.emit({ stream, text: data, debug: true });
        return;
      case "echo":
        this.setEcho(data);
        return;
      case "set-output":
      case "save-state":
        this.annotate({ level: "warning", message: messages.deprecated(name) }, "system");
        (name === "set-output" ? this.outputs : this.state)[requireName(properties, name)] = data;
        return;
      case "set-env":
        if (!this.options.allowUnsecureCommands) throw new CommandFailure(messages.disabled(name));
        if (requireName(properties, name).toUpperCase() === "NODE_OPTIONS") {
          this.annotate({ level: "error", message: messages.nodeOptions }, "system");
          return;
        }
        this.env[requireName(properties, name)] = data;
        return;
      case "add-path":
        if (!this.options.allowUnsecureCommands) throw new CommandFailure(messages.disabled(name));
        if (data === "") throw new CommandFailure("Parameter 'path' cannot be null or empty.");
        if (this.path.includes(data)) this.path.splice(this.path.indexOf(data), 1);
        this.path.unshift(data);
        return;
      case "add-matcher":
      case "remove-matcher":
        this.annotate({ level: "warning", message: messages.matchers }, "system");
        return;
    }
  }

  private setEcho(data: string): void {
    const value = data.trim().toLowerCase();
    if (value !== "on" && value !== "off") {
      throw new CommandFailure(
        `Invalid echo command value. Possible values can be: 'on', 'off'. Current value is: '${data}'.`,
      );
    }
    this.isEchoOn = value === "on";
  }

  /** Properties per docs "Setting an error message"; inconsistent positions are dropped as the runner's ValidateLinesAndColumns does. */
  private buildAnnotation(
    level: Annotation["level"],
    properties: Record<string, string>,
    message: string,
  ): Annotation {
    const annotation: Annotation = { level, message };
    if (properties.title !== undefined) annotation.title = properties.title;
    if (properties.file) annotation.file = this.relativeToWorkspace(properties.file);
    let line = parseInteger(properties.line);
    let endLine = parseInteger(properties.endline);
    let col = parseInteger(properties.col);
    let endColumn = parseInteger(properties.endcolumn);
    const hasColumn = col !== undefined || endColumn !== undefined;
    line ??= endLine;
    col ??= endColumn;
    if (line === undefined || (endLine !== undefined && endLine !== line)) {
      if (hasColumn) col = endColumn = undefined;
    }
    if (line !== undefined && endLine !== undefined && endLine < line) line = endLine = undefined;
    if (col !== undefined && endColumn !== undefined && endColumn < col) col = endColumn = undefined;
    const positions = { line, endLine, col, endColumn };
    for (const [key, value] of Object.entries(positions)) {
      if (value !== undefined) annotation[key as keyof typeof positions] = value;
    }
    return annotation;
  }

  private relativeToWorkspace(file: string): string {
    if (!isAbsolute(file)) return file;
    const rel = relative(this.options.workspace, file);
    if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return file;
    return rel.split(sep).join("/");
  }

  private warnIfShort(warning: string | undefined): void {
    if (warning) this.annotate({ level: "warning", message: warning }, "system");
  }

  private annotate(annotation: Annotation, stream: LogLine["stream"]): void {
    const masked = this.maskAnnotation(annotation);
    this.annotations.push(masked);
    this.options.onLine({ stream, text: masked.message, annotation: masked });
  }

  private maskAnnotation(annotation: Annotation): Annotation {
    const { masker } = this.options;
    const masked: Annotation = { ...annotation, message: masker.mask(annotation.message) };
    if (annotation.title !== undefined) masked.title = masker.mask(annotation.title);
    if (annotation.file !== undefined) masked.file = masker.mask(annotation.file);
    return masked;
  }

  private emit(line: LogLine): void {
    this.options.onLine({ ...line, text: this.options.masker.mask(line.text) });
  }
}

function requireName(properties: Record<string, string>, command: string): string {
  const name = properties.name;
  if (!name) throw new CommandFailure(messages.missingName(command));
  return name;
}

function parseInteger(text: string | undefined): number | undefined {
  if (text === undefined || !/^\s*[+-]?\d+\s*$/.test(text)) return undefined;
  return Number.parseInt(text, 10);
}
