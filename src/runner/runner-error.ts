// Faults of the runner itself (cannot spawn, cannot hash files) and refusals of what a job asked for on the host's side (a path
// outside the job): thrown; built-in actions turn the refusals into their step's failure.
import { HangarError } from "./hangar-error.js";

/** Contract: codes never change meaning; messages may improve. */
export const runnerErrorCodes = {
  RUNNER_SPAWN_FAILED: "a process could not be started",
  RUNNER_HASH_FILES_FAILED: "hashFiles could not hash the matched files",
  RUNNER_CONFIG_INVALID: "the runner's executor configuration is invalid",
  RUNNER_ISOLATION_UNAVAILABLE: "the executor cannot give the job the isolation it needs",
  RUNNER_VM_IMAGE_FAILED: "the microVM guest image could not be built or read",
  RUNNER_VM_FAILED: "a microVM did not boot or its guest agent stopped answering",
  RUNNER_PATH_OUTSIDE_JOB: "a path the runner was to use on a job's behalf leaves what that job may reach",
  RUNNER_FILE_TOO_LARGE: "a file the job wrote for the runner is over its size limit",
  RUNNER_FILE_AGENT_FAILED: "the file agent inside the job failed or broke its protocol",
} as const;

export type RunnerErrorCode = keyof typeof runnerErrorCodes;

export class RunnerError extends HangarError<RunnerErrorCode> {}
