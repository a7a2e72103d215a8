// Errors of the artifact and cache store: one table of stable codes, thrown as ContentStoreError.
import { HangarError } from "../hangar-error.js";

/** Contract: codes never change meaning; messages may improve. */
export const contentStoreErrorCodes = {
  STORE_NO_FILES: "no file matched the upload's path input and if-no-files-found is error",
  STORE_ARTIFACT_EXISTS: "an artifact with this name already exists in the run and overwrite is false",
  STORE_ARTIFACT_NOT_FOUND: "no artifact with this name exists in the run",
  STORE_INVALID_NAME: "the artifact name contains a character GitHub rejects, or is empty",
  STORE_INVALID_FILE_PATH: "a matched file's path contains a character GitHub rejects",
  STORE_INVALID_RETENTION: "retention-days is not a whole number of days",
  STORE_INVALID_CACHE_KEY: "a cache key is too long, contains a comma, or there are more than 10 keys",
  STORE_INVALID_PATTERN: "a path pattern was rejected by @actions/glob or could not be searched",
  STORE_WORKSPACE_MISSING: "the workspace to search or restore into is not a directory",
  STORE_INVALID_RUN_ID: "the run id cannot name a directory",
  STORE_MANIFEST_INVALID: "a manifest names a path outside its destination",
  STORE_BLOB_MISSING: "a manifest references content the store no longer holds",
  STORE_BLOB_DIGEST_MISMATCH: "content sent under a digest does not hash to it",
  STORE_BLOB_TOO_LARGE: "one file is larger than the store accepts",
} as const;

export type ContentStoreErrorCode = keyof typeof contentStoreErrorCodes;

export class ContentStoreError extends HangarError<ContentStoreErrorCode> {}
