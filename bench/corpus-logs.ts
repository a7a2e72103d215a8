// Splits `hangar run`'s live stderr (NO_COLOR) into each job's step sections, to read a failed step's own output.
import type { JobSummary, StepSummary } from "../src/engine/index.js";

interface Section {
  step: string;
  lines: string[];
}

/** Lines look like `[KEY<padding>] text`; a step's section starts at its `⭐ NAME` line. */
export function readStepLogs(stderr: string, keys: string[]) {
  const byLength = [...keys].sort((a, b) => b.length - a.length);
  const sections = new Map<string, Section[]>();
  for (const line of stderr.split("\n")) {
    if (!line.startsWith("[")) continue;
    const key = byLength.find((k) => line.startsWith(`[${k}`) && /^ *\] /.test(line.slice(k.length + 1)));
    if (key === undefined) continue;
    const text = line.slice(line.indexOf("] ", key.length) + 2);
    const list = sections.get(key) ?? [];
    if (text.startsWith("⭐ ")) list.push({ step: text.slice(2), lines: [] });
    else list.at(-1)?.lines.push(text.replace(/^\s*\| /, ""));
    sections.set(key, list);
  }
  return {
    /** The output of `step` of `job`: the nth section of that name, n counting the job's steps of that name. */
    linesOf(job: JobSummary, step: StepSummary): string[] {
      const nth = job.steps.filter((s) => s.name === step.name).indexOf(step);
      return sections.get(job.key)?.filter((s) => s.step === step.name)[nth]?.lines ?? [];
    },
  };
}
