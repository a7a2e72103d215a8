// The `hangar` command line: dispatches subcommands and turns errors into the documented exit codes.
import { actionsCommand } from "./commands/actions.js";
import { imageCommand } from "./commands/image.js";
import { auditCommand } from "./commands/audit.js";
import { gcCommand } from "./commands/gc.js";
import { approveCommand } from "./commands/approve.js";
import { deploymentsCommand } from "./commands/deployments.js";
import { envCommand, groupCommand } from "./commands/env.js";
import { repoCommand } from "./commands/repo.js";
import { runnerCommand } from "./commands/runner.js";
import { serveCommand } from "./commands/serve.js";
import { runCommand, runUsage } from "./commands/run.js";
import { secretCommand } from "./commands/secret.js";
import { varCommand } from "./commands/var.js";
import { tokenCommand } from "./commands/token.js";
import { toolsCommand } from "./commands/tools.js";
import { vmCommand } from "./commands/vm.js";
import { ExitCode, UsageError } from "./exit-codes.js";

const usage = `Usage: hangar <command> [options]

Commands:
  run       run a repository's GitHub Actions workflows on this machine
  actions   add actions to the action store ahead of use (hangar actions add|ls)
  image     the local OCI image store for container jobs (hangar image pull|import|ls|rm|gc)
  serve     run the server: GitHub webhooks in, runs, a JSON API
  repo      register a repository with the server (hangar repo add)
  runner    register this machine with a server and run its jobs (hangar runner register|run)
  secret    encrypted secrets of a repository or environment (hangar secret set|ls|rm|rotate-key)
  var       variables of a repository or environment (hangar var set|ls|rm)
  token     API tokens with roles, on the server host (hangar token create|ls|revoke)
  audit     verify, query, export and checkpoint the audit trail (hangar audit verify|query|export|checkpoint)
  env       environments' protection rules (hangar env add|set|ls|protect); reviewer groups: hangar group add|ls
  approve   approve or reject a run's jobs waiting for an environment, through the API (hangar approve RUN)
  deployments  the jobs that ran in an environment (hangar deployments OWNER/NAME [ENV])
  gc        delete expired artifacts, old caches and unreferenced content
  tools     the shared tool cache of setup-node, setup-go and setup-java (hangar tools ls|add|rm|gc)
  vm        build the microVM guest image (hangar vm build)

Run 'hangar <command> --help' for a command's options.
${"\n"}${runUsage}`;

const commands: Record<string, (argv: string[]) => Promise<number>> = {
  run: runCommand,
  actions: actionsCommand,
  image: imageCommand,
  gc: gcCommand,
  env: envCommand,
  group: groupCommand,
  approve: approveCommand,
  deployments: deploymentsCommand,
  audit: auditCommand,
  serve: serveCommand,
  repo: repoCommand,
  runner: runnerCommand,
  secret: secretCommand,
  var: varCommand,
  token: tokenCommand,
  vm: vmCommand,
  tools: toolsCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(usage);
    return name ? ExitCode.Success : ExitCode.Usage;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`hangar: unknown command '${name}'\n\n${usage}`);
    return ExitCode.Usage;
  }
  try {
    return await command(rest);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`hangar ${name}: ${(error as Error).message}\n`);
      return ExitCode.Usage;
    }
    process.stderr.write(`hangar ${name}: internal error: ${(error as Error).stack ?? String(error)}\n`);
    return ExitCode.Internal;
  }
}
