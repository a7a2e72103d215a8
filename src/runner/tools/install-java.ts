// Finds or installs the JDK a setup-java step (or `hangar tools add java`) asks for, in actions/setup-java's order:
// `latest` and check-latest ask the sources first; else the tool cache, then each configured source.
import { AdoptiumSource, HostJdkSource } from "./java-sources.js";
import { javaArch, javaKind, parseJavaSpec } from "./java-version.js";
import type { ToolCache } from "./tool-cache.js";
import { ToolError } from "./tool-error.js";
import {
  setUpTool,
  type ToolLog,
  type ToolRequest,
  type ToolSetUp,
  type ToolSource,
  type ToolSources,
} from "./tool-install.js";
import { defaultJavaMirror, type ToolSourceSettings } from "./tool-sources.js";

/** Every distribution setup-java knows (its JavaDistribution); hangar provides those with a name here. */
const distributions: Record<string, { name: string; packages: string[] } | undefined> = {
  temurin: { name: "Temurin-Hotspot", packages: ["jdk", "jre"] },
  zulu: undefined,
  liberica: undefined,
  "liberica-nik": undefined,
  jdkfile: undefined,
  microsoft: undefined,
  semeru: undefined,
  corretto: undefined,
  oracle: undefined,
  dragonwell: undefined,
  sapmachine: undefined,
  graalvm: undefined,
  "graalvm-community": undefined,
  jetbrains: undefined,
  kona: undefined,
  "oracle-openjdk": undefined,
  redhat: undefined,
};

export interface JavaRequest extends ToolRequest {
  /** setup-java's `distribution` input: temurin ... */
  distribution: string;
  /** setup-java's `java-package`: jdk, jre ... */
  packageType: string;
}

/** The name setup-java gives the distribution in its tool cache folder and `distribution` output: Temurin-Hotspot. */
export function javaDistributionName(distribution: string, packageType: string): string {
  if (!(distribution in distributions)) {
    throw new ToolError(
      "TOOL_VERSION_INVALID",
      `No supported distribution was found for input ${distribution} (setup-java knows ${Object.keys(distributions).join(", ")})`,
    );
  }
  const provided = distributions[distribution];
  const here = Object.entries(distributions)
    .filter(([, each]) => each)
    .map(([name, each]) => `${name} (${each!.packages.join(", ")})`)
    .join(", ");
  if (!provided || !provided.packages.includes(packageType)) {
    throw new ToolError(
      "TOOL_VERSION_UNAVAILABLE",
      `Java distribution '${distribution}' with java-package '${packageType}' is not available here; hangar's ` +
        `setup-java provides ${here}`,
    );
  }
  return provided.name;
}

/** The sources `settings` name, in their order (the cache is always asked first). */
export function javaSourcesFor(settings: ToolSourceSettings, packageType: string): ToolSources {
  const remote = settings.order.flatMap((kind): ToolSource[] =>
    kind === "host"
      ? [new HostJdkSource(packageType)]
      : kind === "mirror"
        ? [new AdoptiumSource(settings.javaMirror ?? defaultJavaMirror, packageType)]
        : [],
  );
  return { useCache: settings.order.includes("cache"), remote };
}

export async function setUpJava(
  request: JavaRequest,
  cache: ToolCache,
  sources: ToolSources,
  options: { signal?: AbortSignal; log?: ToolLog } = {},
): Promise<ToolSetUp & { distribution: string }> {
  const distribution = javaDistributionName(request.distribution, request.packageType);
  const spec = parseJavaSpec(request.spec);
  const setUp = await setUpTool(
    javaKind(distribution, request.packageType),
    { arch: javaArch(request.arch), spec: spec.range, checkLatest: request.checkLatest || spec.latest },
    cache,
    sources,
    options,
  );
  return { ...setUp, distribution };
}
