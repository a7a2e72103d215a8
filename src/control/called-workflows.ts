// The called workflows (`jobs.<id>.uses`) of a server run: the run's own repository's from its mirror at the run's
// commit, others from the server's action store; each read in the workflow pool first, within the limits, because a
// called workflow is as untrusted as the one that calls it.
import { readWorkflowFiles } from "../integrations/github/index.js";
import { readCalledWorkflow, type ActionSource } from "../runner/index.js";
import type { Repository, Run } from "../store/index.js";
import { formatDiagnostic, type SourceFile } from "../workflow/index.js";
import { mirrorDirOf } from "./intake.js";
import type { WorkflowPool } from "./workflow-pool/index.js";

export type ReadCalledWorkflow = (uses: string) => Promise<SourceFile>;

export function calledWorkflowReader(
  deps: { dataDir: string; checkFile: WorkflowPool["checkFile"]; actionSource?: ActionSource },
  run: Run,
  repository: Repository,
): ReadCalledWorkflow {
  return async (uses) => {
    const source = await readCalledWorkflow(uses, {
      readOwn: async (own) => {
        const files = await readWorkflowFiles(mirrorDirOf(deps.dataDir, repository), run.sha);
        const file = files.find((candidate) => candidate.path === own);
        if (!file) throw new Error(`${own} does not exist at ${run.sha}`);
        return file;
      },
      dataDir: deps.dataDir,
      policy: { requirePinnedSha: false, ...(deps.actionSource ? { source: deps.actionSource } : {}) },
    });
    const problems = (await deps.checkFile(source)).filter((d) => d.severity === "error");
    if (problems.length > 0) throw new Error(problems.map(formatDiagnostic).join("\n"));
    return source;
  };
}
