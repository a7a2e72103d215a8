// Faults of the runner itself (cannot spawn, cannot hash files): thrown, never shown as the user's step failure.
import { HangarError } from "./hangar-error.js";

/** Contract: codes never change meaning; messages may improve. */
export const runnerErrorCodes = {
  RUNNER_SPAWN_FAILED: "a process could not be started",
  RUNNER_HASH_FILES_FAILED: "hashFiles could not hash the matched files",
} as const;

export type RunnerErrorCode = keyof typeof runnerErrorCodes;

export class RunnerError extends HangarError<RunnerErrorCode> {}
