// The runner protocol's error codes with their HTTP statuses, and the one mapping of any error to the error body.
import { HangarError } from "../../runner/index.js";
import type { ErrorBody } from "../../runner/index.js";
import { StoreError, type StoreErrorCode } from "../../store/index.js";

/** Contract: codes never change meaning; messages may improve. */
export const runnerProtocolErrors = {
  RUNNER_REQUEST_INVALID: { statusCode: 400, message: "the request body does not match the runner protocol" },
  RUNNER_TOKEN_INVALID: { statusCode: 401, message: "missing or unknown runner token" },
  RUNNER_REGISTRATION_INVALID: {
    statusCode: 401,
    message: "the registration token is unknown, expired or already used",
  },
  RUNNER_JOB_FORBIDDEN: { statusCode: 403, message: "this job was not claimed by this runner" },
  RUNNER_JOB_NOT_FOUND: { statusCode: 404, message: "no such job" },
  QUEUE_LEASE_LOST: { statusCode: 409, message: "this runner no longer holds the job's lease" },
} as const;

export type RunnerProtocolErrorCode = keyof typeof runnerProtocolErrors;

export class RunnerProtocolFault extends HangarError<RunnerProtocolErrorCode> {
  constructor(code: RunnerProtocolErrorCode, message?: string) {
    super(code, message ?? runnerProtocolErrors[code].message);
  }
}

const storeErrorStatuses: Partial<Record<StoreErrorCode, number>> = {
  QUEUE_LEASE_LOST: 409,
  STORE_NOT_FOUND: 404,
  STORE_ILLEGAL_TRANSITION: 409,
};

export function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof RunnerProtocolFault) {
    return {
      statusCode: runnerProtocolErrors[error.code].statusCode,
      code: error.code,
      message: error.message,
    };
  }
  if (error instanceof StoreError && storeErrorStatuses[error.code] !== undefined) {
    return { statusCode: storeErrorStatuses[error.code]!, code: error.code, message: error.message };
  }
  const fastifyError = error as {
    validation?: unknown;
    statusCode?: number;
    code?: string;
    message?: string;
  };
  if (fastifyError.validation) {
    return {
      statusCode: 400,
      code: "RUNNER_REQUEST_INVALID",
      message: fastifyError.message ?? "invalid request",
    };
  }
  // Fastify's own 4xx (body too large, bad JSON, unsupported media type) keep their status and FST_ code.
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return {
      statusCode: fastifyError.statusCode,
      code: fastifyError.code ?? "RUNNER_REQUEST_INVALID",
      message: fastifyError.message ?? "invalid request",
    };
  }
  return { statusCode: 500, code: "RUNNER_INTERNAL_ERROR", message: "internal error" };
}
