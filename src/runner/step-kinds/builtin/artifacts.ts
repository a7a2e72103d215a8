// Built-in actions/upload-artifact and actions/download-artifact (v4 inputs and outputs) on the job's content store.
import path from "node:path";
import type { IfNoFilesFound } from "../../content-store/index.js";
import { emptyStepResult, failedStepResult } from "../../step-result.js";
import type { StepResult } from "../../types.js";
import type { StepRun } from "../step-kind.js";

/** Replaces a secret in an artifact's name or file paths, where `***` is refused (`*` is not a valid character). */
const maskedPathMark = "_masked_";
const ifNoFilesFoundValues: IfNoFilesFound[] = ["warn", "error", "ignore"];

function isTrue(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === "true";
}

export async function runUploadArtifact(run: StepRun): Promise<StepResult> {
  const { inputs, job } = run;
  const ifNoFilesFound = (inputs["if-no-files-found"] || "warn") as IfNoFilesFound;
  if (!ifNoFilesFoundValues.includes(ifNoFilesFound)) {
    return failedStepResult(
      `actions/upload-artifact: if-no-files-found must be warn, error or ignore, got '${ifNoFilesFound}'`,
    );
  }
  if (!inputs["path"])
    return failedStepResult("actions/upload-artifact: Input required and not supplied: path");
  try {
    const result = await job.content.uploadArtifact({
      runId: job.runId,
      // Names and paths are stored metadata: a secret in them is masked, with a mark upload-artifact accepts.
      name: job.masker.mask(inputs["name"] || "artifact", maskedPathMark),
      maskPath: (file) => job.masker.mask(file, maskedPathMark),
      paths: inputs["path"],
      workspace: job.dirs.workspace,
      files: job.files.access(run),
      ifNoFilesFound,
      retentionDays: inputs["retention-days"] ? Number(inputs["retention-days"]) : undefined,
      includeHiddenFiles: isTrue(inputs["include-hidden-files"]),
      overwrite: isTrue(inputs["overwrite"]),
    });
    for (const warning of result.warnings)
      run.onLine({ stream: "system", text: warning, annotation: { level: "warning", message: warning } });
    if (!result.uploaded) return emptyStepResult("success");
    run.onLine({
      stream: "stdout",
      text: `Artifact ${result.name} has been uploaded: ${result.fileCount} files, ${result.size} bytes`,
    });
    return emptyStepResult("success", {
      "artifact-id": String(result.id),
      "artifact-digest": result.digest ?? "",
      "artifact-url": "",
    });
  } catch (error) {
    return failedStepResult(`actions/upload-artifact: ${(error as Error).message}`);
  }
}

export async function runDownloadArtifact(run: StepRun): Promise<StepResult> {
  const { inputs, job } = run;
  const destination = path.resolve(job.dirs.workspace, inputs["path"] || ".");
  try {
    const result = await job.content.downloadArtifact({
      runId: job.runId,
      name: inputs["name"] || undefined,
      pattern: inputs["pattern"] || undefined,
      mergeMultiple: isTrue(inputs["merge-multiple"]),
      destination,
      files: job.files.access(run),
    });
    for (const artifact of result.artifacts) {
      run.onLine({
        stream: "stdout",
        text: `Artifact ${artifact.name} downloaded to ${artifact.path} (${artifact.fileCount} files)`,
      });
    }
    return emptyStepResult("success", { "download-path": destination });
  } catch (error) {
    return failedStepResult(`actions/download-artifact: ${(error as Error).message}`);
  }
}
