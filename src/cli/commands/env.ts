// `hangar env add|set|ls|protect` and `hangar group add|ls`: environments' protection rules, reviewer groups and a
// repository's protected branches, directly on the server's store (like `hangar repo add`); actor `local:<os user>`.
import { parseArgs } from "node:util";
import {
  formatReviewer,
  getRepository,
  listEnvironments,
  listReviewerGroups,
  parseReviewer,
  saveEnvironment,
  saveReviewerGroup,
  setProtectedBranches,
  StoreError,
  type EnvironmentRules,
  type Repository,
  type Store,
} from "../../store/index.js";
import { openCommandStore } from "../scoped-value-command.js";
import { ExitCode, UsageError } from "../exit-codes.js";
import { formatTable } from "../format-table.js";
import { localActor } from "../local-actor.js";

export const envUsage = `Usage: hangar env add OWNER/NAME ENV [rules]     create an environment
       hangar env set OWNER/NAME ENV [rules]     change the rules given, keep the others
       hangar env ls OWNER/NAME [--json]
       hangar env protect OWNER/NAME --branches 'release/*,hotfix'
                                                 branches protected besides the default branch

Rules (GitHub's environment protection rules):
  --reviewers a,b,group:ops   required reviewers: users or reviewer groups, up to six; any one approves
  --required N                approvals needed from distinct reviewers (default 1)
  --prevent-self-review       the user who triggered the run may not approve it
  --wait-timer MINUTES        wait before the job may run, 0 to 43200
  --branches 'main,release/*' only these branches or tags may deploy (GitHub's filter patterns)
  --protected-branches        only protected branches may deploy: the default branch and those of 'env protect'
  --all-branches              any branch or tag may deploy (the default)
  --bypass-allowed / --no-bypass
                              whether an admin may bypass the rules (default: allowed; a bypass is recorded)

Options:
  --data-dir DIR       (default: $HANGAR_DATA_DIR or ~/.local/share/hangar)
  --database-url URL   PostgreSQL instead of the embedded SQLite (default: $DATABASE_URL)
`;

export const groupUsage = `Usage: hangar group add NAME --users a,b   create or replace a reviewer group
       hangar group ls [--json]

An environment names a group as a reviewer with --reviewers group:NAME; any of its users may review.

Options:
  --data-dir DIR       (default: $HANGAR_DATA_DIR or ~/.local/share/hangar)
  --database-url URL   PostgreSQL instead of the embedded SQLite (default: $DATABASE_URL)
`;

const locationOptions = {
  json: { type: "boolean" },
  "data-dir": { type: "string" },
  "database-url": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export async function envCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...locationOptions,
      reviewers: { type: "string" },
      required: { type: "string" },
      "prevent-self-review": { type: "boolean" },
      "wait-timer": { type: "string" },
      branches: { type: "string" },
      "protected-branches": { type: "boolean" },
      "all-branches": { type: "boolean" },
      "bypass-allowed": { type: "boolean" },
      "no-bypass": { type: "boolean" },
    },
  });
  if (values.help) {
    process.stdout.write(envUsage);
    return ExitCode.Success;
  }
  const [action, repositoryName, name] = positionals;
  if (!action || !["add", "set", "ls", "protect"].includes(action) || !repositoryName)
    throw new UsageError(`expected 'env add|set|ls|protect OWNER/NAME ...'\n\n${envUsage}`);
  if ((action === "add" || action === "set") && !name)
    throw new UsageError(`env ${action} needs an environment name`);
  const { store } = await openCommandStore(values);
  try {
    const repository = await findRepository(store, repositoryName);
    if (action === "ls") return await listCommand(store, repository, values.json ?? false);
    if (action === "protect") {
      if (values.branches === undefined)
        throw new UsageError("env protect needs --branches (empty to clear)");
      await setProtectedBranches(store, {
        repositoryId: repository.id,
        patterns: splitList(values.branches),
        actor: localActor(),
      });
      process.stdout.write(`${repository.name}: protected branches set\n`);
      return ExitCode.Success;
    }
    const environment = await saveEnvironment(store, {
      repositoryId: repository.id,
      name: name!,
      rules: rulesFrom(values),
      actor: localActor(),
      mode: action === "add" ? "create" : "update",
    }).catch((error: unknown) => {
      if (
        error instanceof StoreError &&
        (error.code === "STORE_INVALID_ARGUMENT" || error.code === "STORE_NOT_FOUND")
      )
        throw new UsageError(error.message);
      throw error;
    });
    process.stdout.write(
      `${action === "add" ? "added" : "changed"} environment ${environment.name} of ${repository.name}\n`,
    );
    return ExitCode.Success;
  } finally {
    await store.close();
  }
}

export async function groupCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...locationOptions, users: { type: "string" } },
  });
  if (values.help) {
    process.stdout.write(groupUsage);
    return ExitCode.Success;
  }
  const [action, name] = positionals;
  if (action !== "add" && action !== "ls") throw new UsageError(`expected 'group add|ls'\n\n${groupUsage}`);
  if (action === "add" && (!name || values.users === undefined))
    throw new UsageError("group add needs NAME and --users a,b");
  const { store } = await openCommandStore(values);
  try {
    if (action === "ls") {
      const groups = await listReviewerGroups(store);
      process.stdout.write(
        values.json
          ? `${JSON.stringify({ groups }, null, 2)}\n`
          : formatTable([["GROUP", "USERS"], ...groups.map((g) => [g.name, g.users.join(",")])]),
      );
      return ExitCode.Success;
    }
    const group = await saveReviewerGroup(store, {
      name: name!,
      users: splitList(values.users!),
      actor: localActor(),
    }).catch((error: unknown) => {
      if (error instanceof StoreError && error.code === "STORE_INVALID_ARGUMENT")
        throw new UsageError(error.message);
      throw error;
    });
    process.stdout.write(`group ${group.name}: ${group.users.join(", ")}\n`);
    return ExitCode.Success;
  } finally {
    await store.close();
  }
}

export async function findRepository(store: Store, name: string): Promise<Repository> {
  const repository = await getRepository(store, name);
  if (!repository) throw new UsageError(`repository ${name} is not registered (hangar repo add)`);
  return repository;
}

function rulesFrom(values: {
  reviewers?: string;
  required?: string;
  "prevent-self-review"?: boolean;
  "wait-timer"?: string;
  branches?: string;
  "protected-branches"?: boolean;
  "all-branches"?: boolean;
  "bypass-allowed"?: boolean;
  "no-bypass"?: boolean;
}): Partial<EnvironmentRules> {
  const policies = [values.branches !== undefined, values["protected-branches"], values["all-branches"]];
  if (policies.filter(Boolean).length > 1)
    throw new UsageError("give one of --branches, --protected-branches and --all-branches");
  if (values["bypass-allowed"] && values["no-bypass"])
    throw new UsageError("give --bypass-allowed or --no-bypass");
  const integer = (flag: string, text: string) => {
    if (!/^\d+$/.test(text)) throw new UsageError(`--${flag} must be a whole number, got '${text}'`);
    return Number(text);
  };
  return {
    ...(values.reviewers !== undefined ? { reviewers: splitList(values.reviewers).map(parseReviewer) } : {}),
    ...(values.required !== undefined ? { requiredApprovals: integer("required", values.required) } : {}),
    ...(values["prevent-self-review"] ? { preventSelfReview: true } : {}),
    ...(values["wait-timer"] !== undefined ? { waitTimer: integer("wait-timer", values["wait-timer"]) } : {}),
    ...(values.branches !== undefined
      ? { branchPolicy: "custom", branchPatterns: splitList(values.branches) }
      : {}),
    ...(values["protected-branches"] ? { branchPolicy: "protected", branchPatterns: [] } : {}),
    ...(values["all-branches"] ? { branchPolicy: "all", branchPatterns: [] } : {}),
    ...(values["bypass-allowed"] ? { canAdminsBypass: true } : {}),
    ...(values["no-bypass"] ? { canAdminsBypass: false } : {}),
  };
}

async function listCommand(store: Store, repository: Repository, json: boolean): Promise<number> {
  const environments = await listEnvironments(store, repository.id);
  if (json) {
    const shown = environments.map((e) => ({ ...e, reviewers: e.reviewers.map(formatReviewer) }));
    process.stdout.write(`${JSON.stringify({ environments: shown }, null, 2)}\n`);
    return ExitCode.Success;
  }
  const rows = environments.map((e) => [
    e.name,
    e.reviewers.map(formatReviewer).join(",") || "-",
    String(e.requiredApprovals),
    e.preventSelfReview ? "yes" : "no",
    String(e.waitTimer),
    e.branchPolicy === "custom" ? e.branchPatterns.join(",") : e.branchPolicy,
    e.canAdminsBypass ? "yes" : "no",
  ]);
  process.stdout.write(
    formatTable([
      ["ENVIRONMENT", "REVIEWERS", "REQUIRED", "NO-SELF-REVIEW", "WAIT(MIN)", "BRANCHES", "BYPASS"],
      ...rows,
    ]),
  );
  return ExitCode.Success;
}

function splitList(text: string): string[] {
  return text
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}
