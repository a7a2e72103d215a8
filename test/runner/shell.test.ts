// Tests for the runner: Shell resolution table, custom templates and .NET-style argument splitting.
import assert from "node:assert/strict";
import { test } from "node:test";
import { getScriptExtension, resolveShell, splitArguments } from "../../src/runner/index.js";

const everything = (command: string) => (command.startsWith("/") ? command : `/usr/bin/${command}`);
const only =
  (...present: string[]) =>
  (command: string) =>
    present.includes(command) ? `/bin/${command}` : undefined;

test("GitHub's built-in shells", () => {
  const script = "/tmp/s/x";
  assert.deepEqual(resolveShell("bash", script, everything), {
    command: "/usr/bin/bash",
    args: ["--noprofile", "--norc", "-eo", "pipefail", script],
    extension: ".sh",
    shellName: "bash",
  });
  assert.deepEqual(resolveShell("sh", script, everything), {
    command: "/usr/bin/sh",
    args: ["-e", script],
    extension: ".sh",
    shellName: "sh",
  });
  assert.deepEqual(resolveShell("python", script, everything), {
    command: "/usr/bin/python",
    args: [script],
    extension: ".py",
    shellName: "python",
  });
  assert.deepEqual(resolveShell("node", script, everything), {
    command: "/usr/bin/node",
    args: [script],
    extension: ".js",
    shellName: "node",
  });
  assert.deepEqual(resolveShell("pwsh", script, everything), {
    command: "/usr/bin/pwsh",
    args: ["-command", `. '${script}'`],
    extension: ".ps1",
    shellName: "pwsh",
  });
});

test("unspecified shell is bash -e {0} (no pipefail), or sh -e {0} without bash", () => {
  assert.deepEqual(resolveShell(undefined, "/t/x.sh", only("bash", "sh")), {
    command: "/bin/bash",
    args: ["-e", "/t/x.sh"],
    extension: ".sh",
    shellName: "sh",
  });
  assert.equal((resolveShell(undefined, "/t/x.sh", only("sh")) as { command: string }).command, "/bin/sh");
});

test("python falls back to python3; a missing pwsh is a clear error", () => {
  assert.equal(
    (resolveShell("python", "/x.py", only("python3")) as { command: string }).command,
    "/bin/python3",
  );
  assert.deepEqual(resolveShell("pwsh", "/x.ps1", only("bash")), {
    error: "The shell 'pwsh' was not found on PATH",
  });
});

test("custom templates: first word is the command, {0} is the script, extension by command", () => {
  const resolved = resolveShell('perl -w "{0}" --flag', "/dir with space/x", everything);
  assert.deepEqual(resolved, {
    command: "/usr/bin/perl",
    args: ["-w", "/dir with space/x", "--flag"],
    extension: "",
    shellName: "perl",
  });
  assert.equal((resolveShell("bash -x {0}", "/x.sh", everything) as { extension: string }).extension, ".sh");
  assert.match(
    (resolveShell("perl -w", "/x", everything) as { error: string }).error,
    /format string containing '\{0\}'/,
  );
  assert.match(
    (resolveShell("zsh", "/x", everything) as { error: string }).error,
    /Invalid shell option 'zsh'/,
  );
});

test("script extensions are known before the script path exists", () => {
  assert.equal(getScriptExtension(undefined), ".sh");
  assert.equal(getScriptExtension("python"), ".py");
  assert.equal(getScriptExtension("/usr/bin/node {0}"), ".js");
  assert.equal(getScriptExtension("pwsh"), ".ps1");
});

test("argument strings split like .NET's Process", () => {
  assert.deepEqual(splitArguments(`a "b c" d\\"e 'f g' \\\\"h i"`), ["a", "b c", 'd"e', "'f", "g'", "\\h i"]);
  assert.deepEqual(splitArguments(`  x  ""  `), ["x", ""]);
});
