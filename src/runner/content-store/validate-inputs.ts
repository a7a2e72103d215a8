// Input rules of upload-artifact and actions/cache (artifact names, file paths, retention, cache keys), as tables.
import { ContentStoreError } from "./content-store-error.js";

/** @actions/artifact path-and-artifact-name-validation: rejected so downloads work on every filesystem. */
const invalidFilePathCharacters: ReadonlyMap<string, string> = new Map([
  ['"', 'double quote "'],
  [":", "colon :"],
  ["<", "less than <"],
  [">", "greater than >"],
  ["|", "vertical bar |"],
  ["*", "asterisk *"],
  ["?", "question mark ?"],
  ["\r", "carriage return \\r"],
  ["\n", "line feed \\n"],
]);

const invalidArtifactNameCharacters: ReadonlyMap<string, string> = new Map([
  ...invalidFilePathCharacters,
  ["\\", "backslash \\"],
  ["/", "forward slash /"],
]);

/** GitHub's limits: docs "Artifact retention" (1..90 days) and actions/cache (keys). */
export const retentionLimits = { defaultDays: 90, minDays: 1, maxDays: 90 } as const;
export const cacheKeyLimits = { maxLength: 512, maxKeys: 10 } as const;

function findInvalidCharacter(value: string, table: ReadonlyMap<string, string>): string | undefined {
  for (const [character, description] of table) if (value.includes(character)) return description;
  return undefined;
}

export function validateArtifactName(name: string): void {
  if (!name) throw new ContentStoreError("STORE_INVALID_NAME", "The artifact name is empty.");
  const found = findInvalidCharacter(name, invalidArtifactNameCharacters);
  if (found) {
    throw new ContentStoreError(
      "STORE_INVALID_NAME",
      `The artifact name is not valid: ${name}. Contains the following character: ${found}. ` +
        `Invalid characters include: ${[...invalidArtifactNameCharacters.values()].join(", ")}.`,
    );
  }
}

export function validateArtifactFilePath(filePath: string): void {
  const found = findInvalidCharacter(filePath, invalidFilePathCharacters);
  if (found) {
    throw new ContentStoreError(
      "STORE_INVALID_FILE_PATH",
      `The path for one of the files in the artifact is not valid: ${filePath}. Contains the following character: ${found}. ` +
        `Invalid characters include: ${[...invalidFilePathCharacters.values()].join(", ")}.`,
    );
  }
}

/** Run ids name a directory; hangar's are UUIDs, and anything that could climb out is refused. */
export function validateRunId(runId: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(runId)) {
    throw new ContentStoreError("STORE_INVALID_RUN_ID", `The run id '${runId}' cannot name a directory.`);
  }
}

/** Returns the days to keep and a warning when the request was clamped to the maximum. */
export function resolveRetentionDays(requested: number | undefined): { days: number; warning?: string } {
  if (requested === undefined || requested === 0) return { days: retentionLimits.defaultDays };
  if (!Number.isInteger(requested) || requested < retentionLimits.minDays) {
    throw new ContentStoreError(
      "STORE_INVALID_RETENTION",
      `Invalid retention-days: ${requested}. It must be a whole number of days from ${retentionLimits.minDays} to ${retentionLimits.maxDays}.`,
    );
  }
  if (requested > retentionLimits.maxDays) {
    return {
      days: retentionLimits.maxDays,
      warning: `Retention days cannot be greater than the maximum allowed retention (${retentionLimits.maxDays}). Using ${retentionLimits.maxDays} instead.`,
    };
  }
  return { days: requested };
}

/** actions/cache checkKey and the key count check: both fail the step on GitHub. */
export function validateCacheKeys(keys: readonly string[]): void {
  if (keys.length > cacheKeyLimits.maxKeys) {
    throw new ContentStoreError(
      "STORE_INVALID_CACHE_KEY",
      `Key Validation Error: Keys are limited to a maximum of ${cacheKeyLimits.maxKeys}.`,
    );
  }
  for (const key of keys) {
    if (!key) throw new ContentStoreError("STORE_INVALID_CACHE_KEY", "Key Validation Error: a key is empty.");
    if (key.length > cacheKeyLimits.maxLength) {
      throw new ContentStoreError(
        "STORE_INVALID_CACHE_KEY",
        `Key Validation Error: ${key} cannot be larger than ${cacheKeyLimits.maxLength} characters.`,
      );
    }
    if (key.includes(",")) {
      throw new ContentStoreError(
        "STORE_INVALID_CACHE_KEY",
        `Key Validation Error: ${key} cannot contain commas.`,
      );
    }
  }
}
