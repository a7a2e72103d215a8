// A job that calls a reusable workflow (`jobs.<id>.uses`): inputs, secrets, the called jobs, outputs back to needs.
import type { WorkflowCallConfig } from "@actions/workflow-parser/model/workflow-template";
import {
  formatDiagnostic,
  loadWorkflow,
  toDisplayString,
  validateCallInputs,
  type Contexts,
  type ExpressionValue,
} from "../workflow/index.js";
import {
  evaluateOrFail,
  evaluateStringMap,
  formatActionReference,
  parseActionReference,
  type ActionReference,
  type JobInstanceResult,
} from "../runner/index.js";
import {
  aggregateConclusion,
  isObject,
  jobPermissions,
  runJobGraph,
  type RunShared,
  type WorkflowCall,
} from "./run-job-graph.js";
import { evaluateWorkflowEnv } from "./workflow-env.js";

/** Docs "Reusing workflows → Nesting reusable workflows": the caller and up to nine levels below it. */
const maxWorkflowDepth = 10;

export async function runCalledWorkflow(call: WorkflowCall, shared: RunShared): Promise<JobInstanceResult> {
  const { graph, job, ref } = call;
  const uses = inRepository(job.uses!, graph.repository);
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
  const givenInputs = isObject(given) ? given : {};
  const definitions = await evaluateInputDefaults(source.path, callConfig.inputs, {
    github: graph.contexts["github"],
    vars: graph.contexts["vars"],
    inputs: givenInputs,
  });
  const validation = validateCallInputs(definitions, givenInputs);
  if (validation.errors.length > 0) return fail(validation.errors.join("; "));

  const callerSecrets = (graph.contexts["secrets"] ?? {}) as Record<string, ExpressionValue>;
  // GITHUB_TOKEN reaches a called workflow without being passed (docs "Reusing workflows → Passing secrets").
  const automaticToken: Record<string, ExpressionValue> = callerSecrets["GITHUB_TOKEN"]
    ? { GITHUB_TOKEN: callerSecrets["GITHUB_TOKEN"] }
    : {};
  const secrets: Record<string, ExpressionValue> = job.inheritSecrets
    ? callerSecrets
    : {
        ...automaticToken,
        ...(await evaluateStringMap(job.secrets, call.contexts, (token, contexts) =>
          evaluateOrFail(graph.workflow.file, token, contexts),
        )),
      };
  // Secret names are case-insensitive on GitHub: a server stores them upper-cased, a caller may write `token`.
  const passed = new Set(Object.keys(secrets).map((name) => name.toLowerCase()));
  const missing = Object.entries(callConfig.secrets ?? {})
    .filter(([name, config]) => config.required && !passed.has(name.toLowerCase()))
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
      callerPermissions: [...(graph.callerPermissions ?? []), jobPermissions(graph, job).declared],
      ...(uses.startsWith("./") ? {} : { repository: repositoryOf(uses) }),
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

type CallInputs = NonNullable<WorkflowCallConfig["inputs"]>;

/** Docs "Context availability": `on.workflow_call.inputs.<id>.default` may be an expression over github, inputs and vars. */
async function evaluateInputDefaults(
  file: string,
  definitions: CallInputs | undefined,
  contexts: Contexts,
): Promise<CallInputs | undefined> {
  if (!definitions) return undefined;
  const evaluated: CallInputs = {};
  for (const [name, definition] of Object.entries(definitions)) {
    const fallback = definition.default;
    if (typeof fallback !== "object") {
      evaluated[name] = definition;
      continue;
    }
    const value = await evaluateOrFail(file, fallback, contexts);
    const scalar = typeof value === "boolean" || typeof value === "number" ? value : toDisplayString(value);
    evaluated[name] = { ...definition, default: scalar };
  }
  return evaluated;
}

/**
 * A `./.github/workflows/` call inside a workflow from another repository names a file of that repository at the
 * same ref, not of the run's (as GitHub and act resolve it); local calls in the run's own repository stay local.
 */
function inRepository(uses: string, repository: ActionReference | undefined): string {
  if (!repository || !uses.startsWith("./")) return uses;
  return formatActionReference({ ...repository, path: uses.slice(2) });
}

function repositoryOf(uses: string): ActionReference {
  const { owner, repo, ref } = parseActionReference(uses);
  return { owner, repo, ref };
}
