// A job that calls a reusable workflow (`jobs.<id>.uses`): inputs, secrets, the called jobs, outputs back to needs.
import {
  formatDiagnostic,
  loadWorkflow,
  toDisplayString,
  validateCallInputs,
  type Contexts,
  type ExpressionValue,
} from "../workflow/index.js";
import { evaluateOrFail, evaluateStringMap, type JobInstanceResult } from "../runner/index.js";
import {
  aggregateConclusion,
  isObject,
  runJobGraph,
  type RunShared,
  type WorkflowCall,
} from "./run-job-graph.js";
import { evaluateWorkflowEnv } from "./workflow-env.js";

/** Docs "Reusing workflows → Nesting reusable workflows": the caller and up to nine levels below it. */
const maxWorkflowDepth = 10;

export async function runCalledWorkflow(call: WorkflowCall, shared: RunShared): Promise<JobInstanceResult> {
  const { graph, job, ref } = call;
  const uses = job.uses!;
  const where = `${graph.workflow.file}:${job.range.start.line}:${job.range.start.column}`;
  const fail = (message: string): JobInstanceResult => ({
    conclusion: "failure",
    outputs: {},
    message: `${where}: ${message}`,
  });
  if (graph.depth + 1 > maxWorkflowDepth) {
    return fail(`'${uses}' would nest reusable workflows deeper than GitHub's ${maxWorkflowDepth} levels`);
  }
  if (!shared.options.readCalledWorkflow) return fail(`cannot read reusable workflow '${uses}' here`);
  let source;
  try {
    source = await shared.options.readCalledWorkflow(uses);
  } catch (error) {
    return fail((error as Error).message);
  }
  const loaded = await loadWorkflow(source);
  if (!loaded.workflow) return fail(loaded.diagnostics.map(formatDiagnostic).join("\n"));
  const called = loaded.workflow;
  const callConfig = called.events.workflow_call;
  if (!callConfig) return fail(`${source.path} cannot be called: it has no 'on: workflow_call'`);

  const given = job.with ? await evaluateOrFail(graph.workflow.file, job.with, call.contexts) : {};
  const validation = validateCallInputs(callConfig.inputs, isObject(given) ? given : {});
  if (validation.errors.length > 0) return fail(validation.errors.join("; "));

  const callerSecrets = (graph.contexts["secrets"] ?? {}) as Record<string, ExpressionValue>;
  const secrets: Record<string, ExpressionValue> = job.inheritSecrets
    ? callerSecrets
    : await evaluateStringMap(job.secrets, call.contexts, (token, contexts) =>
        evaluateOrFail(graph.workflow.file, token, contexts),
      );
  const missing = Object.entries(callConfig.secrets ?? {})
    .filter(([name, config]) => config.required && !(name in secrets))
    .map(([name]) => name);
  if (missing.length > 0)
    return fail(`secret ${missing.join(", ")} is required by ${source.path} but not passed`);

  const contexts: Contexts = {
    github: graph.contexts["github"],
    vars: graph.contexts["vars"],
    inputs: validation.inputs,
    secrets,
  };
  const workflowEnv = await evaluateWorkflowEnv(called, contexts, shared.masker, shared.emit);
  if (workflowEnv === undefined) return fail(`${source.path}: its env could not be evaluated`);

  const outcomes = await runJobGraph(
    {
      workflow: called,
      jobs: called.jobs,
      contexts,
      workflowEnv,
      keyPrefix: `${ref.key} / `,
      depth: graph.depth + 1,
    },
    { ...shared, cancelSignal: AbortSignal.any([shared.cancelSignal, call.signal]) },
  );
  const jobsContext: Record<string, ExpressionValue> = {};
  for (const [id, outcome] of outcomes)
    jobsContext[id] = { result: outcome.result, outputs: outcome.outputs };
  const conclusion = aggregateConclusion(
    [...outcomes.values()].map((o) => o.result).filter((r) => r !== "skipped"),
  );

  const outputs: Record<string, string> = {};
  const declared = called.callOutputs
    ? await evaluateOrFail(called.file, called.callOutputs, { ...contexts, jobs: jobsContext })
    : {};
  if (isObject(declared)) {
    for (const [name, output] of Object.entries(declared)) {
      outputs[name] = isObject(output) ? toDisplayString(output["value"] ?? "") : toDisplayString(output);
    }
  }
  return { conclusion, outputs };
}
