// Faults of the runner itself (cannot spawn, cannot hash files): thrown, never shown as the user's step failure.
import { HangarError } from "./hangar-error.js";

/** Contract: codes never change meaning; messages may improve. */
export const runnerErrorCodes = {
  RUNNER_SPAWN_FAILED: "a process could not be started",
  RUNNER_HASH_FILES_FAILED: "hashFiles could not hash the matched files",
  RUNNER_CONFIG_INVALID: "the runner's executor configuration is invalid",
  RUNNER_ISOLATION_UNAVAILABLE: "the executor cannot give the job the isolation it needs",
  RUNNER_VM_IMAGE_FAILED: "the microVM guest image could not be built or read",
  RUNNER_VM_FAILED: "a microVM did not boot or its guest agent stopped answering",
} as const;

export type RunnerErrorCode = keyof typeof runnerErrorCodes;

export class RunnerError extends HangarError<RunnerErrorCode> {}
