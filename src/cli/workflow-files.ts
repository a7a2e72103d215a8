// The workflow files of a local run: REPO_DIR/.github/workflows, one named by `-W`, and reusable workflows a job
// calls; parse errors are printed compiler-style.
import { access, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { formatDiagnostic, loadWorkflow, type SourceFile, type WorkflowModel } from "../workflow/index.js";
import { readCalledWorkflow, type ActionPolicy } from "../runner/index.js";
import { UsageError } from "./exit-codes.js";

/**
 * `-W FILE`: an absolute path; else a path relative to REPO_DIR, a bare name in REPO_DIR/.github/workflows, or (as
 * before REPO_DIR existed) a path relative to the current directory: the first that exists.
 */
export async function resolveWorkflowFile(repoDir: string, given: string): Promise<string> {
  const candidates = path.isAbsolute(given)
    ? [given]
    : [path.resolve(repoDir, given), path.resolve(repoDir, ".github/workflows", given), path.resolve(given)];
  for (const candidate of new Set(candidates)) {
    if (
      await access(candidate).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  throw new UsageError(
    `-W ${given}: no such workflow file (looked for ${[...new Set(candidates)].join(", ")})`,
  );
}

export async function loadWorkflows(
  repoDir: string,
  only: string | undefined,
): Promise<WorkflowModel[] | undefined> {
  const files = only ? [await resolveWorkflowFile(repoDir, only)] : await listWorkflowFiles(repoDir);
  if (files.length === 0)
    throw new UsageError(`no workflow files in ${path.join(repoDir, ".github/workflows")}`);
  const workflows: WorkflowModel[] = [];
  let errors = 0;
  for (const file of files) {
    const shown = path.relative(process.cwd(), file) || file;
    let content: string;
    try {
      content = await readFile(file, "utf8");
    } catch (error) {
      throw new UsageError(`cannot read workflow ${shown}: ${(error as Error).message}`);
    }
    const loaded = await loadWorkflow({ path: shown, content });
    for (const d of loaded.diagnostics) process.stderr.write(formatDiagnostic(d) + "\n");
    errors += loaded.diagnostics.filter((d) => d.severity === "error").length;
    if (loaded.workflow) workflows.push(loaded.workflow);
  }
  if (errors > 0) {
    process.stderr.write(`${errors} error${errors === 1 ? "" : "s"}\n`);
    return undefined;
  }
  return workflows;
}

/** `./.github/workflows/x.yml` from the repository; `owner/repo/path@ref` from the offline action store. */
/** A called workflow for `hangar run`: `./` files from REPO_DIR, remote ones from the action store. */
export function readLocalCalledWorkflow(
  repoDir: string,
  uses: string,
  dataDir: string,
  policy: ActionPolicy,
): Promise<SourceFile> {
  return readCalledWorkflow(uses, {
    readOwn: async (own) => {
      const file = path.join(repoDir, own);
      return { path: path.relative(process.cwd(), file) || file, content: await readFile(file, "utf8") };
    },
    dataDir,
    policy,
  });
}

async function listWorkflowFiles(repoDir: string): Promise<string[]> {
  const dir = path.join(repoDir, ".github", "workflows");
  const entries = await readdir(dir).catch(() => [] as string[]);
  return entries
    .filter((name) => name.endsWith(".yml") || name.endsWith(".yaml"))
    .sort()
    .map((name) => path.join(dir, name));
}
