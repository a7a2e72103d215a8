// `hangar run --list` and `--graph`: the job instances a run would start, matrices expanded and called workflows'
// jobs listed under their caller, without running anything.
import {
  evaluateToken,
  expandMatrix,
  loadWorkflow,
  stageJobs,
  type Contexts,
  type MatrixValue,
  type SourceFile,
  type WorkflowModel,
} from "../workflow/index.js";
import { instanceKey } from "../engine/index.js";

/** Only the jobs asked for with `-j` and the jobs they need. */
export function selectedIds(workflow: WorkflowModel, only: string[] | undefined): Set<string> {
  if (!only?.length) return new Set(workflow.jobs.map((j) => j.id));
  const ids = new Set<string>();
  const add = (id: string) => {
    if (ids.has(id)) return;
    ids.add(id);
    workflow.jobs.find((j) => j.id === id)?.needs.forEach(add);
  };
  only.forEach(add);
  return ids;
}

interface ListedJob {
  file: string;
  key: string;
  needs: string[];
  /** Why the row stands for instances not known before the run (a matrix from a needed job's outputs). */
  note?: string;
}

/**
 * One row per job instance. A matrix is evaluated with the run's contexts; one that needs other jobs' outputs is
 * listed once, as expanding at run time. `readCalled` reads a `jobs.<id>.uses` workflow as the run would.
 */
export async function listJobInstances(
  workflow: WorkflowModel,
  jobIds: Set<string>,
  contexts: Contexts,
  readCalled: (uses: string) => Promise<SourceFile>,
  keyPrefix = "",
): Promise<ListedJob[]> {
  const rows: ListedJob[] = [];
  for (const job of workflow.jobs.filter((j) => jobIds.has(j.id))) {
    const combinations = await matrixOf(job.strategy, contexts);
    for (const matrix of combinations ?? [{}]) {
      const key = instanceKey(keyPrefix, job.id, matrix);
      rows.push({
        file: workflow.file,
        key,
        needs: job.needs,
        ...(combinations ? {} : { note: "matrix expands at run time" }),
      });
      if (!job.uses) continue;
      const called = await loadCalled(job.uses, readCalled);
      if (typeof called === "string")
        rows.push({ file: job.uses, key: `${key} / ?`, needs: [], note: called });
      else
        rows.push(
          ...(await listJobInstances(
            called,
            new Set(called.jobs.map((j) => j.id)),
            contexts,
            readCalled,
            `${key} / `,
          )),
        );
    }
  }
  return rows;
}

async function matrixOf(
  strategy: WorkflowModel["jobs"][number]["strategy"],
  contexts: Contexts,
): Promise<Record<string, MatrixValue>[] | undefined> {
  if (!strategy) return [{}];
  try {
    const value = await evaluateToken(strategy, contexts);
    const matrix = value && typeof value === "object" && !Array.isArray(value) ? value["matrix"] : undefined;
    if (!matrix || typeof matrix !== "object" || Array.isArray(matrix)) return [{}];
    const expansion = expandMatrix(matrix as Record<string, MatrixValue>);
    return expansion.error ? undefined : expansion.combinations;
  } catch {
    return undefined;
  }
}

async function loadCalled(
  uses: string,
  readCalled: (uses: string) => Promise<SourceFile>,
): Promise<WorkflowModel | string> {
  try {
    const loaded = await loadWorkflow(await readCalled(uses));
    return loaded.workflow ?? `cannot load ${uses}`;
  } catch (error) {
    return (error as Error).message;
  }
}

export function formatList(rows: ListedJob[]): string {
  const lines = rows.map(
    (row) => `${row.file}\t${row.key}\t${row.needs.join(",") || "-"}${row.note ? `\t(${row.note})` : ""}`,
  );
  return ["WORKFLOW\tJOB\tNEEDS", ...lines].join("\n") + "\n";
}

export function formatGraph(workflow: WorkflowModel, only: string[] | undefined): string {
  const ids = selectedIds(workflow, only);
  const stages = stageJobs(workflow.jobs.filter((j) => ids.has(j.id)));
  const lines = [`${workflow.name} (${workflow.file})`];
  stages.forEach((stage, index) => {
    lines.push(`  stage ${index + 1}: ${stage.join(", ")}`);
    for (const id of stage) {
      const needs = workflow.jobs.find((j) => j.id === id)?.needs ?? [];
      if (needs.length) lines.push(`    ${id} <- ${needs.join(", ")}`);
    }
  });
  return lines.join("\n") + "\n";
}
