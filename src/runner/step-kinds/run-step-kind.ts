// Runs one step by its kind: the dispatcher between the step loop and the step kinds.
import type { StepResult } from "../types.js";
import { runActionStep } from "./action-step.js";
import { runDownloadArtifact, runUploadArtifact } from "./builtin/artifacts.js";
import { runCache, runCacheRestore, runCacheSave } from "./builtin/cache.js";
import { runCheckout } from "./builtin/checkout.js";
import { runSetupGo } from "./builtin/setup-go.js";
import { runSetupJava } from "./builtin/setup-java.js";
import { runSetupNode } from "./builtin/setup-node.js";
import { runSetupPython } from "./builtin/setup-python.js";
import { runDockerStep } from "./docker-action.js";
import { classifyStep, type BuiltinAction } from "./classify-step.js";
import { runScriptKind } from "./script-step.js";
import type { StepRun } from "./step-kind.js";

const builtinRunners: Record<BuiltinAction, (run: StepRun) => Promise<StepResult>> = {
  "actions/checkout": runCheckout,
  "actions/upload-artifact": runUploadArtifact,
  "actions/download-artifact": runDownloadArtifact,
  "actions/cache": runCache,
  "actions/cache/restore": runCacheRestore,
  "actions/cache/save": runCacheSave,
  "actions/setup-node": runSetupNode,
  "actions/setup-python": runSetupPython,
  "actions/setup-go": runSetupGo,
  "actions/setup-java": runSetupJava,
};

export async function runStepKind(run: StepRun): Promise<StepResult> {
  const kind = classifyStep(run.step, run.job.realActions);
  switch (kind.kind) {
    case "script":
      return runScriptKind(run);
    case "docker":
      return runDockerStep(run, kind.image);
    case "builtin":
      return builtinRunners[kind.action](run);
    case "local-action":
      return runActionStep(run, kind.path, true);
    case "remote-action":
      return runActionStep(run, kind.uses, false);
  }
}
