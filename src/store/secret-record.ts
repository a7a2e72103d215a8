// The shapes of stored secrets and variables. The store holds sealed secrets only: sealing and opening them (and
// every key) belong to the server's secrets module.

/** Where a secret or variable applies: a repository, or one of its environments by name. */
export interface ValueScope {
  repositoryId: number;
  /** Absent or null: the repository scope. */
  environment?: string | null;
}

/** AES-256-GCM output, base64 fields, and the id of the key that sealed it. */
export interface SealedValue {
  keyId: string;
  nonce: string;
  ciphertext: string;
  authTag: string;
}

/** What anyone may see of a secret: never its value. */
export interface SecretEntry {
  name: string;
  environment: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface SealedSecret extends SecretEntry {
  repositoryId: number;
  sealed: SealedValue;
}

export interface VariableEntry {
  name: string;
  environment: string | null;
  value: string;
  createdAt: string;
  updatedAt: string;
}

/** The stored form of a scope's environment: '' is the repository scope (see migration 8). */
export function environmentColumn(scope: ValueScope): string {
  return scope.environment ?? "";
}

export function environmentOf(column: string): string | null {
  return column === "" ? null : column;
}

/** The event resource id of a secret or variable: repository id, environment (if any), name. */
export function scopedResourceId(scope: ValueScope, name: string): string {
  return [scope.repositoryId, ...(scope.environment ? [scope.environment] : []), name].join("/");
}
