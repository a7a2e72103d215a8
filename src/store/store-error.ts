// The store's faults: a stable code plus message and cause. Illegal input to a query is a fault of its caller.

/** Contract: stable codes; messages may improve, codes never change meaning. */
export type StoreErrorCode =
  | "STORE_UNSUPPORTED_URL"
  | "STORE_SCHEMA_TOO_NEW"
  | "STORE_MIGRATION_FAILED"
  | "STORE_INVALID_ARGUMENT"
  | "STORE_NOT_FOUND"
  | "STORE_ILLEGAL_TRANSITION"
  | "QUEUE_LEASE_LOST";

export class StoreError extends Error {
  override readonly name = "StoreError";
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
