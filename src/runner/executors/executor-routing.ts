// Which executor runs a job: the runner's default, or the one its `--label-map` gives a label in the job's runs-on.
// Pure: parsing and matching only; the CLI builds the executors.
import { RunnerError } from "../runner-error.js";

export const executorKinds = ["host", "sandbox", "microvm"] as const;
export type ExecutorKind = (typeof executorKinds)[number];

/** `--label-map LABEL=TARGET`: an executor kind, or `docker://IMAGE` (a container job on that image). */
export interface LabelRoute {
  label: string;
  target: { executor: ExecutorKind } | { image: string };
}

export function parseExecutorKind(value: string, field: string): ExecutorKind {
  if ((executorKinds as readonly string[]).includes(value)) return value as ExecutorKind;
  throw new RunnerError(
    "RUNNER_CONFIG_INVALID",
    `${field}: unknown executor '${value}'; expected one of ${executorKinds.join(", ")}`,
  );
}

export function parseLabelRoutes(values: readonly string[]): LabelRoute[] {
  const routes: LabelRoute[] = [];
  for (const value of values) {
    const separator = value.indexOf("=");
    const label = value.slice(0, separator).trim();
    const target = value.slice(separator + 1).trim();
    if (separator <= 0 || !label || !target) {
      throw new RunnerError(
        "RUNNER_CONFIG_INVALID",
        `--label-map '${value}': expected LABEL=EXECUTOR (${executorKinds.join("|")}) or LABEL=docker://IMAGE`,
      );
    }
    if (routes.some((route) => route.label.toLowerCase() === label.toLowerCase())) {
      throw new RunnerError("RUNNER_CONFIG_INVALID", `--label-map: label '${label}' is mapped twice`);
    }
    if (target.startsWith("docker://")) {
      const image = target.slice("docker://".length);
      if (!image)
        throw new RunnerError("RUNNER_CONFIG_INVALID", `--label-map '${value}': the image is empty`);
      routes.push({ label, target: { image } });
    } else {
      routes.push({ label, target: { executor: parseExecutorKind(target, `--label-map '${value}'`) } });
    }
  }
  return routes;
}

/** The route of the first mapped label the job asks for (labels match case-insensitively, as runs-on does). */
export function routeFor(routes: readonly LabelRoute[], runsOn: readonly string[]): LabelRoute | undefined {
  const wanted = new Set(runsOn.map((label) => label.toLowerCase()));
  return routes.find((route) => wanted.has(route.label.toLowerCase()));
}
