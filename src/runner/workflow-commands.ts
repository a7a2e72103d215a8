// Parsing workflow commands (`::name k=v::data`) out of output lines, including stop-commands; applying them is output-processor.ts's job.

/** Commands the runner recognises (docs: "Workflow commands for GitHub Actions"). Others stay plain text. */
export const workflowCommandNames = [
  "add-mask",
  "group",
  "endgroup",
  "error",
  "warning",
  "notice",
  "debug",
  "echo",
  "set-output",
  "save-state",
  "set-env",
  "add-path",
  "add-matcher",
  "remove-matcher",
] as const;

export type WorkflowCommandName = (typeof workflowCommandNames)[number];

export interface WorkflowCommand {
  name: WorkflowCommandName;
  /** Property names are matched case-insensitively by the runner, so they are stored lower-cased. */
  properties: Record<string, string>;
  data: string;
}

const stopCommandName = "stop-commands";

/** Escapes undone in this order, as the runner's ActionCommand does (`%25` last). */
const dataEscapes: Array<[string, string]> = [
  ["%0D", "\r"],
  ["%0A", "\n"],
  ["%25", "%"],
];
const propertyEscapes: Array<[string, string]> = [
  ["%0D", "\r"],
  ["%0A", "\n"],
  ["%3A", ":"],
  ["%2C", ","],
  ["%25", "%"],
];
/** The legacy `##[name k=v;k=v]data` form has its own escapes. */
const legacyEscapes: Array<[string, string]> = [
  ["%3B", ";"],
  ["%0D", "\r"],
  ["%0A", "\n"],
  ["%5D", "]"],
  ["%25", "%"],
];

function unescape(text: string, escapes: Array<[string, string]>): string {
  return escapes.reduce((acc, [escaped, raw]) => acc.split(escaped).join(raw), text);
}

interface RawCommand {
  name: string;
  properties: Record<string, string>;
  data: string;
}

/** `::name k=v,k=v::data`, after leading whitespace (runner: ActionCommand.TryParseV2). */
function parseCommandV2(line: string): RawCommand | undefined {
  const message = line.trimStart();
  if (!message.startsWith("::")) return undefined;
  const end = message.indexOf("::", 2);
  if (end < 0) return undefined;
  const info = message.slice(2, end);
  const space = info.indexOf(" ");
  const name = space < 0 ? info : info.slice(0, space);
  const properties: Record<string, string> = {};
  if (space > 0) {
    for (const entry of info
      .slice(space + 1)
      .trim()
      .split(",")) {
      addProperty(properties, entry, propertyEscapes);
    }
  }
  return { name, properties, data: unescape(message.slice(end + 2), dataEscapes) };
}

/** `##[name k=v;k=v]data` anywhere in the line (runner: ActionCommand.TryParse). */
function parseCommandLegacy(line: string): RawCommand | undefined {
  const prefix = line.indexOf("##[");
  if (prefix < 0) return undefined;
  const end = line.indexOf("]", prefix);
  if (end < 0) return undefined;
  const info = line.slice(prefix + 3, end);
  const space = info.indexOf(" ");
  const name = space < 0 ? info : info.slice(0, space);
  const properties: Record<string, string> = {};
  if (space > 0) {
    for (const entry of info.slice(space + 1).split(";")) {
      addProperty(properties, entry, legacyEscapes);
    }
  }
  return { name, properties, data: unescape(line.slice(end + 1), legacyEscapes) };
}

function addProperty(
  properties: Record<string, string>,
  entry: string,
  escapes: Array<[string, string]>,
): void {
  // Mirrors String.Split('=', 2, RemoveEmptyEntries): "k=" and "=v" carry no property.
  const eq = entry.indexOf("=");
  if (eq <= 0 || eq === entry.length - 1) return;
  properties[entry.slice(0, eq).toLowerCase()] = unescape(entry.slice(eq + 1), escapes);
}

function parseRegistered(line: string, isRegistered: (lowerName: string) => boolean): RawCommand | undefined {
  for (const parse of [parseCommandV2, parseCommandLegacy]) {
    const raw = parse(line);
    if (raw && isRegistered(raw.name.toLowerCase())) return raw;
  }
  return undefined;
}

const knownNames = new Set<string>(workflowCommandNames);

/**
 * Parses one line as a workflow command; undefined when it is plain output. Hand-written because
 * @actions/core only issues commands; the runner's C# ActionCommand is the only parser to follow.
 */
export function parseWorkflowCommand(line: string): WorkflowCommand | undefined {
  const raw = parseRegistered(line, (name) => knownNames.has(name));
  if (!raw) return undefined;
  return { ...raw, name: raw.name.toLowerCase() as WorkflowCommandName };
}

export type ReadLine =
  | { kind: "text" }
  | { kind: "command"; command: WorkflowCommand }
  /** `::stop-commands::TOKEN`: the runner echoes this line, then treats every line as text until `::TOKEN::`. */
  | { kind: "stop"; token: string }
  | { kind: "resume" };

/**
 * Reads one stream of lines, keeping the stop-commands state (docs: "Stopping and starting workflow
 * commands"). The runner shares this state between stdout and stderr, so use one reader per step.
 */
export class WorkflowCommandReader {
  private stopToken: string | undefined;

  read(line: string): ReadLine {
    if (line === "") return { kind: "text" };
    const stopToken = this.stopToken;
    if (stopToken !== undefined) {
      // Tokens compare case-insensitively; an empty token can never resume.
      const raw = parseRegistered(line, (name) => stopToken !== "" && name === stopToken.toLowerCase());
      if (!raw) return { kind: "text" };
      this.stopToken = undefined;
      return { kind: "resume" };
    }
    const raw = parseRegistered(line, (name) => name === stopCommandName || knownNames.has(name));
    if (!raw) return { kind: "text" };
    if (raw.name.toLowerCase() === stopCommandName) {
      this.stopToken = raw.data;
      return { kind: "stop", token: raw.data };
    }
    return { kind: "command", command: { ...raw, name: raw.name.toLowerCase() as WorkflowCommandName } };
  }
}
