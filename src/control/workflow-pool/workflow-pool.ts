// The server's workflow pool: untrusted workflow files are read and planned in worker threads within workflowLimits,
// so a file past a limit costs a worker (ended and replaced), never the thread that answers HTTP and heartbeats.
import { MessageChannel } from "node:worker_threads";
import { Piscina } from "piscina";
import type { EventPlan, PlanEventInput } from "../../integrations/github/index.js";
import {
  loadWorkflow,
  refForEvent,
  workflowLimits,
  type Diagnostic,
  type SourceFile,
} from "../../workflow/index.js";
import type { FilePlan, FilePlanTask, ScheduleRead, ScheduleTask } from "./workflow-tasks.js";

export interface WorkflowPool {
  /** planEvent's plan with each file read and planned in a worker; a triggered file is read again here for its model. */
  planEvent(input: PlanEventInput): Promise<EventPlan>;
  /** What is wrong with one file (a called workflow), read within the limits; none means the server may read it. */
  checkFile(file: SourceFile): Promise<Diagnostic[]>;
  /** The `on: schedule` entries of one file, with the diagnostics that made it invalid. */
  readSchedules(file: SourceFile): Promise<ScheduleRead>;
  /** Ends the workers; call after everything that plans has stopped. */
  close(): Promise<void>;
}

export interface WorkflowPoolOptions {
  /** Default workflowLimits.timeLimitMs. */
  timeLimitMs?: number;
}

type WithinLimits<T> = { value: T } | { exceeded: Diagnostic };

// Two: a file held up to its time limit leaves a worker for everything else; a legal file takes milliseconds to a
// few seconds, so more workers would buy a control plane little but memory.
const threads = 2;
// Below the server's thread, which must answer HTTP and heartbeats first when both want a core.
const niceIncrement = 5;
// A new worker loads the parser again (about 0.5 s compiled, 1.5 s under tsx): one stays from the first file on, a
// second outlives a burst of events. One also keeps piscina going after an abort: with none, a task queued behind
// ended workers would wait for good.
const warmThreads = 1;
const idleTimeoutMs = 60_000;

export function createWorkflowPool(options: WorkflowPoolOptions = {}): WorkflowPool {
  const timeLimitMs = options.timeLimitMs ?? workflowLimits.timeLimitMs;
  const loadedModels = recentModels();
  // Made with the first file, so a server that plans nothing starts no thread.
  let pool: Piscina | undefined;
  const startedPool = () =>
    (pool ??= new Piscina({
      filename: new URL("./workflow-worker.js", import.meta.url).href,
      minThreads: warmThreads,
      maxThreads: threads,
      idleTimeout: idleTimeoutMs,
      niceIncrement,
      resourceLimits: { maxOldGenerationSizeMb: workflowLimits.memoryLimitMb },
    }));

  async function runWithinLimits<T>(
    name: "planFile" | "readSchedules" | "checkFile",
    task: Omit<FilePlanTask, "started"> | Omit<ScheduleTask, "started">,
  ): Promise<WithinLimits<T>> {
    const { port1, port2 } = new MessageChannel();
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    port1.once("message", () => {
      timer = setTimeout(() => abort.abort(), timeLimitMs);
    });
    try {
      const value = (await startedPool().run(
        { ...task, started: port2 },
        { name, signal: abort.signal, transferList: [port2] },
      )) as T;
      return { value };
    } catch (error) {
      // Piscina ends a worker whose task is aborted while it runs, and starts another for the next task.
      if (abort.signal.aborted)
        return exceeded(
          task.file,
          `reading and planning it took longer than the limit of ${timeLimitMs.toLocaleString("en-US")} ms`,
        );
      if ((error as { code?: string }).code === "ERR_WORKER_OUT_OF_MEMORY")
        return exceeded(
          task.file,
          `reading it needed more than the limit of ${workflowLimits.memoryLimitMb.toLocaleString("en-US")} MB`,
        );
      throw error;
    } finally {
      clearTimeout(timer);
      port1.close();
    }
  }

  return {
    async planEvent(input) {
      const { files, ...event } = input;
      const plan: EventPlan = {
        ...refForEvent(event.event, event.payload, event.fallback),
        triggered: [],
        skipped: [],
        invalid: [],
      };
      const results = await Promise.all(
        files.map((file) => runWithinLimits<FilePlan>("planFile", { ...event, file })),
      );
      for (const [index, file] of files.entries()) {
        const result = results[index]!;
        if ("exceeded" in result) {
          plan.invalid.push({ file: file.path, diagnostics: [result.exceeded] });
        } else if (result.value.kind === "skipped") {
          plan.skipped.push({ file: file.path, reason: result.value.reason });
        } else if (result.value.kind === "invalid") {
          plan.invalid.push({ file: file.path, diagnostics: result.value.diagnostics });
        } else {
          // The worker read it within the limits; this read is as bounded, and the engine needs the model here.
          const loaded = await loadedModels.load(file);
          if (loaded.workflow)
            plan.triggered.push({ file: file.path, workflow: loaded.workflow, inputs: result.value.inputs });
          else plan.invalid.push({ file: file.path, diagnostics: loaded.diagnostics });
        }
      }
      return plan;
    },
    async checkFile(file) {
      const result = await runWithinLimits<Diagnostic[]>("checkFile", { file });
      return "exceeded" in result ? [result.exceeded] : result.value;
    },
    async readSchedules(file) {
      const result = await runWithinLimits<ScheduleRead>("readSchedules", { file });
      return "exceeded" in result ? { schedules: [], diagnostics: [result.exceeded] } : result.value;
    },
    async close() {
      await pool?.destroy();
    },
  };
}

/**
 * The models of the files read last, by path and content: pushes mostly leave the workflows as they were, so a burst
 * of deliveries reads each file once. Models are never changed after loading, so runs may share one.
 */
function recentModels(capacity = 32) {
  const models = new Map<string, ReturnType<typeof loadWorkflow>>();
  return {
    load(file: SourceFile): ReturnType<typeof loadWorkflow> {
      const key = `${file.path}\0${file.content}`;
      let loaded = models.get(key);
      if (loaded) models.delete(key);
      else loaded = loadWorkflow(file);
      // Re-inserted, so the map's order is least recently used first.
      models.set(key, loaded);
      if (models.size > capacity) models.delete(models.keys().next().value!);
      return loaded;
    },
  };
}

function exceeded(file: SourceFile, message: string): WithinLimits<never> {
  const at = { line: 1, column: 1 };
  return {
    exceeded: { code: "WF_TOO_COMPLEX", message, file: file.path, start: at, end: at, severity: "error" },
  };
}
