// The CLI's exit codes, one table (documented in README): a contract for scripts that call hangar.
export const ExitCode = {
  Success: 0,
  JobFailed: 1,
  InvalidWorkflow: 2,
  Usage: 2,
  Internal: 3,
} as const;

/** Wrong flags or arguments: printed without a stack, exit 2. */
export class UsageError extends Error {}
