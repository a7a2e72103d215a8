// An executor for `hangar run --dry-run`: real job directories, but no step process is started.
import type { ExecResult, ExecSpec, Executor, JobDirectories, PrepareJobSpec } from "../types.js";

export class DryRunExecutor implements Executor {
  readonly name = "dry-run";

  /** `inner` provides and removes the job directories, so env files and scripts still get written. */
  constructor(private readonly inner: Executor) {}

  prepare(spec: PrepareJobSpec): Promise<JobDirectories> {
    return this.inner.prepare(spec);
  }

  cleanup(dirs: JobDirectories): Promise<void> {
    return this.inner.cleanup(dirs);
  }

  /** Reports the command it would run and succeeds. */
  async exec(
    spec: ExecSpec,
    onOutput: (chunk: Buffer, stream: "stdout" | "stderr") => void,
  ): Promise<ExecResult> {
    onOutput(Buffer.from(`[dry run] ${[spec.command, ...spec.args].join(" ")}\n`), "stdout");
    return { exitCode: 0, signal: null, timedOut: false, cancelled: spec.signal?.aborted ?? false };
  }
}
