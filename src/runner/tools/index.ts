// The tool cache's public surface: the shared cache, each tool's sources and resolution (Node, Python, Go,
// Java), their settings and errors.
export {
  ToolCache,
  isExplicitVersion,
  versionFolder,
  type InstalledTool,
  type ToolCacheGcReport,
} from "./tool-cache.js";
export { ToolError, toolErrorCodes, type ToolErrorCode } from "./tool-error.js";
export {
  defaultNodeMirror,
  defaultPythonMirror,
  parseToolSourceOrder,
  readToolSourceSettings,
  toolSourceKinds,
  type ToolSourceKind,
  type ToolSourceSettings,
} from "./tool-sources.js";
export { nodeSourcesFor, setUpNode, type NodeSources } from "./install-node.js";
export { readNodeVersionFile, pickVersion, resolveLtsAlias, type LtsLine } from "./node-version.js";
export { DistMirrorSource, NpmRegistrySource, type NodeSource } from "./node-sources.js";
export {
  pythonSourcesFor,
  setUpPython,
  type PythonRequest,
  type PythonSetUp,
  type PythonSources,
} from "./install-python.js";
export {
  parsePythonSpec,
  pickPythonVersion,
  pythonVersionToSemver,
  readPythonVersionFile,
  versionLines,
  type PythonSpec,
} from "./python-version.js";
export {
  HostPythonSource,
  StandaloneMirrorSource,
  defaultHostPythonPlaces,
  hostLinkMarker,
  type HostPythonPlaces,
  type PythonBuild,
  type PythonSource,
} from "./python-sources.js";
export {
  setUpTool,
  type ToolKind,
  type ToolRequest,
  type ToolSetUp,
  type ToolSource,
  type ToolSources,
} from "./tool-install.js";
export { goSourcesFor, setUpGo } from "./install-go.js";
export { GoDistMirrorSource, HostGoSource } from "./go-sources.js";
export { goKind, goVersionOfOutput, readGoVersionFile, resolveStableAlias, goSemver } from "./go-version.js";
export { javaDistributionName, javaSourcesFor, setUpJava, type JavaRequest } from "./install-java.js";
export { AdoptiumSource, HostJdkSource } from "./java-sources.js";
export {
  javaArch,
  javaKind,
  javaSatisfies,
  javaVersionOfOutput,
  javaVersionOfRelease,
  parseJavaSpec,
  readJavaVersionFile,
} from "./java-version.js";

/** The shared tool cache's place in a data directory. */
export function toolCacheDir(dataDir: string): string {
  return `${dataDir.replace(/\/+$/, "")}/tools`;
}
