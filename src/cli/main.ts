// The `hangar` command line: dispatches subcommands and turns errors into the documented exit codes.
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
`;

type Command = (argv: string[]) => Promise<number>;

/** Each command loads only its own modules: a CLI call starts in a fraction of the time all of them take. */
const commands: Record<string, () => Promise<Command>> = {
  run: async () => (await import("./commands/run.js")).runCommand,
  actions: async () => (await import("./commands/actions.js")).actionsCommand,
  image: async () => (await import("./commands/image.js")).imageCommand,
  gc: async () => (await import("./commands/gc.js")).gcCommand,
  env: async () => (await import("./commands/env.js")).envCommand,
  group: async () => (await import("./commands/env.js")).groupCommand,
  approve: async () => (await import("./commands/approve.js")).approveCommand,
  deployments: async () => (await import("./commands/deployments.js")).deploymentsCommand,
  audit: async () => (await import("./commands/audit.js")).auditCommand,
  serve: async () => (await import("./commands/serve.js")).serveCommand,
  repo: async () => (await import("./commands/repo.js")).repoCommand,
  runner: async () => (await import("./commands/runner.js")).runnerCommand,
  secret: async () => (await import("./commands/secret.js")).secretCommand,
  var: async () => (await import("./commands/var.js")).varCommand,
  token: async () => (await import("./commands/token.js")).tokenCommand,
  vm: async () => (await import("./commands/vm.js")).vmCommand,
  tools: async () => (await import("./commands/tools.js")).toolsCommand,
};

/** The general usage, then `hangar run`'s, the command most people start with. */
async function fullUsage(): Promise<string> {
  return `${usage}\n${(await import("./commands/run.js")).runUsage}`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(await fullUsage());
    return name ? ExitCode.Success : ExitCode.Usage;
  }
  const loadCommand = commands[name];
  if (!loadCommand) {
    process.stderr.write(`hangar: unknown command '${name}'\n\n${await fullUsage()}`);
    return ExitCode.Usage;
  }
  try {
    return await (
      await loadCommand()
    )(rest);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`hangar ${name}: ${(error as Error).message}\n`);
      return ExitCode.Usage;
    }
    process.stderr.write(`hangar ${name}: internal error: ${(error as Error).stack ?? String(error)}\n`);
    return ExitCode.Internal;
  }
}
