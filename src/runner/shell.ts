// Resolving a step's `shell:` to a command line and script file extension; pure, no process spawning.

/**
 * GitHub's shell table (docs: "jobs.<job_id>.steps[*].shell"; runner: ScriptHandlerHelpers).
 * `node` is a hangar addition: GitHub has no `node` keyword, only the template `node {0}`.
 */
const builtInShells: Record<string, { template: string; extension: string }> = {
  bash: { template: "bash --noprofile --norc -eo pipefail {0}", extension: ".sh" },
  sh: { template: "sh -e {0}", extension: ".sh" },
  python: { template: "python {0}", extension: ".py" },
  node: { template: "node {0}", extension: ".js" },
  pwsh: { template: `pwsh -command ". '{0}'"`, extension: ".ps1" },
  powershell: { template: `powershell -command ". '{0}'"`, extension: ".ps1" },
  cmd: { template: `cmd /D /E:ON /V:OFF /S /C "CALL "{0}""`, extension: ".cmd" },
};

/** Commands that may stand in for a missing one (python 2's name is often absent on modern Linux). */
const commandFallbacks: Record<string, string> = { python: "python3" };

export interface ResolvedShell {
  command: string;
  args: string[];
  extension: string;
  /** The shell's name as GitHub keys its behaviour (`bash`, `pwsh`, or a custom template's first word). */
  shellName: string;
}

export type ShellResolution = ResolvedShell | { error: string };

/** Absolute path of an executable on the step's PATH, or undefined. */
export type WhichFunction = (command: string) => string | undefined;

/** The extension a shell's script file needs; decided before the script path exists. */
export function getScriptExtension(shell: string | undefined): string {
  if (shell === undefined || shell.trim() === "") return ".sh";
  const first = shell.trim().split(" ", 1)[0];
  return builtInShells[baseName(first).toLowerCase()]?.extension ?? "";
}

/**
 * Resolves `shell:` as written in YAML (undefined = unspecified) for a script at `scriptPath`.
 * Unspecified is `bash -e {0}` (without pipefail, unlike an explicit `bash`), falling back to
 * `sh -e {0}` when bash is not on PATH.
 */
export function resolveShell(
  shell: string | undefined,
  scriptPath: string,
  which: WhichFunction,
): ShellResolution {
  if (shell === undefined || shell.trim() === "") {
    const command = which("bash") ?? which("sh");
    if (!command) return { error: "Neither bash nor sh was found on PATH for the default shell" };
    return { command, args: ["-e", scriptPath], extension: getScriptExtension(shell), shellName: "sh" };
  }
  const trimmed = shell.trim();
  const space = trimmed.indexOf(" ");
  const word = space < 0 ? trimmed : trimmed.slice(0, space);
  const builtIn = builtInShells[word.toLowerCase()];
  let template = space < 0 ? "" : trimmed.slice(space + 1).trimStart();
  if (template === "" && builtIn) template = builtIn.template.slice(builtIn.template.indexOf(" ") + 1);
  if (!template.includes("{0}")) {
    return {
      error: `Invalid shell option '${shell}'. Shell must be a valid built-in (bash, sh, python, node, pwsh) or a format string containing '{0}'`,
    };
  }
  const command = resolveCommand(word, which);
  if (!command) return { error: `The shell '${word}' was not found on PATH` };
  // Substituting after splitting keeps a script path with spaces or quotes one argument.
  return {
    command,
    args: splitArguments(template).map((arg) => arg.replaceAll("{0}", scriptPath)),
    extension: getScriptExtension(shell),
    shellName: baseName(word).toLowerCase(),
  };
}

/** Wraps a script the way GitHub does for shells that need it (runner: FixUpScriptContents). */
export function fixUpScript(shellName: string, script: string): string {
  if (shellName === "pwsh" || shellName === "powershell") {
    return `$ErrorActionPreference = 'stop'\n${script}\nif ((Test-Path -LiteralPath variable:\\LASTEXITCODE)) { exit $LASTEXITCODE }`;
  }
  return script;
}

function resolveCommand(word: string, which: WhichFunction): string | undefined {
  if (word.includes("/")) return which(word);
  return which(word) ?? (commandFallbacks[word] ? which(commandFallbacks[word]) : undefined);
}

function baseName(command: string): string {
  return command.slice(command.lastIndexOf("/") + 1);
}

/**
 * Splits an argument string the way .NET's Process does on Unix (the runner passes the formatted
 * template as one string): whitespace separates, double quotes group, `\"` is a literal quote,
 * and backslashes elsewhere are literal. No npm argv parser follows these exact rules.
 */
export function splitArguments(text: string): string[] {
  const args: string[] = [];
  let current = "";
  let hasToken = false;
  let isQuoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "\\") {
      let slashes = 0;
      while (text[i] === "\\") {
        slashes++;
        i++;
      }
      if (text[i] === '"') {
        current += "\\".repeat(Math.floor(slashes / 2));
        if (slashes % 2 === 1) current += '"';
        else isQuoted = !isQuoted;
      } else {
        current += "\\".repeat(slashes);
        i--;
      }
      hasToken = true;
    } else if (ch === '"') {
      isQuoted = !isQuoted;
      hasToken = true;
    } else if (!isQuoted && (ch === " " || ch === "\t")) {
      if (hasToken) args.push(current);
      current = "";
      hasToken = false;
    } else {
      current += ch;
      hasToken = true;
    }
  }
  if (hasToken) args.push(current);
  return args;
}
