// Error codes of the runner protocol's artifact and cache routes, and the status each content store error answers.
import {
  ContentStoreError,
  HangarError,
  type ContentStoreErrorCode,
  type ErrorBody,
} from "../../runner/index.js";
import { toErrorBody } from "./runner-protocol-error.js";

/** Contract: codes never change meaning; messages may improve. */
export const contentTransferErrors = {
  CONTENT_TOO_LARGE: { statusCode: 413, message: "the body is over the server's size limit" },
  CONTENT_FILE_PATH_INVALID: {
    statusCode: 400,
    message: "a file path is absolute or climbs out of its root",
  },
  CONTENT_RUN_NOT_FOUND: { statusCode: 404, message: "the job's run does not exist" },
  CONTENT_ARTIFACT_NOT_FOUND: { statusCode: 404, message: "no such artifact in the job's run" },
  CONTENT_CACHE_NOT_FOUND: { statusCode: 404, message: "no such cache entry in the job's repository" },
  CONTENT_BLOB_NOT_LISTED: {
    statusCode: 404,
    message: "the blob is not one of the artifact's or cache's files",
  },
} as const;

export type ContentTransferErrorCode = keyof typeof contentTransferErrors;

export class ContentTransferFault extends HangarError<ContentTransferErrorCode> {
  constructor(code: ContentTransferErrorCode, message?: string) {
    super(code, message ?? contentTransferErrors[code].message);
  }
}

/** Every content store code, so a new one cannot silently become a 500. */
const contentStoreStatuses: Record<ContentStoreErrorCode, number> = {
  STORE_NO_FILES: 400,
  STORE_ARTIFACT_EXISTS: 409,
  STORE_ARTIFACT_NOT_FOUND: 404,
  STORE_INVALID_NAME: 400,
  STORE_INVALID_FILE_PATH: 400,
  STORE_INVALID_RETENTION: 400,
  STORE_INVALID_CACHE_KEY: 400,
  STORE_INVALID_PATTERN: 400,
  STORE_WORKSPACE_MISSING: 400,
  STORE_INVALID_RUN_ID: 400,
  STORE_MANIFEST_INVALID: 500,
  STORE_BLOB_MISSING: 409,
  STORE_BLOB_DIGEST_MISMATCH: 400,
  STORE_BLOB_TOO_LARGE: 413,
};

export function contentErrorBody(error: unknown): ErrorBody {
  if (error instanceof ContentTransferFault) {
    return {
      statusCode: contentTransferErrors[error.code].statusCode,
      code: error.code,
      message: error.message,
    };
  }
  if (error instanceof ContentStoreError) {
    const statusCode = contentStoreStatuses[error.code];
    return { statusCode, code: error.code, message: statusCode >= 500 ? "internal error" : error.message };
  }
  return toErrorBody(error);
}
