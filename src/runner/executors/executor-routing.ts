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

/**
 * Runner labels that name an operating system (GitHub-hosted `windows-2022`, `macos-14`, `ubuntu-latest`, and the
 * self-hosted `windows`, `macOS`, `linux`), by Node's name for the platform that runs them.
 */
const platformLabels: Readonly<Record<string, readonly string[]>> = {
  linux: ["ubuntu", "linux"],
  darwin: ["macos"],
  win32: ["windows"],
};

/** The first label of `runsOn` that names an operating system other than `platform`'s, which no executor here runs. */
export function foreignPlatformLabel(runsOn: readonly string[], platform: string): string | undefined {
  const own = platformLabels[platform] ?? [];
  return runsOn.find((label) => {
    const family = label.toLowerCase().split("-")[0]!;
    return !own.includes(family) && Object.values(platformLabels).some((names) => names.includes(family));
  });
}
