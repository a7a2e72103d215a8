// The content store's public surface (artifacts and caches); the runner's index re-exports it.
export {
  ContentStore,
  type ArtifactsAndCaches,
  type ContentStoreOptions,
  type StoreUsage,
} from "./content-store.js";
export {
  ContentStoreError,
  contentStoreErrorCodes,
  type ContentStoreErrorCode,
} from "./content-store-error.js";
export { artifactExists, chooseArtifacts, downloadTargetOf, nothingUploaded } from "./artifact-store.js";
export type {
  ArtifactCommit,
  ArtifactInfo,
  ArtifactSelection,
  DownloadArtifactOptions,
  DownloadedArtifact,
  DownloadResult,
  IfNoFilesFound,
  UploadArtifactOptions,
  UploadResult,
} from "./artifact-store.js";
export {
  cacheReservedMessage,
  computeCacheEntryId,
  computeCacheVersion,
  normalizeRestoreKeys,
} from "./cache-store.js";
export { resolveCacheScopes, type CacheScopeInput, type CacheScopes } from "./cache-scopes.js";
export type {
  CacheCommit,
  CacheDirectories,
  CacheFiles,
  CacheLookup,
  RestoreCacheOptions,
  RestoreCacheResult,
  SaveCacheOptions,
  SaveCacheResult,
} from "./cache-store.js";
export { cacheLimits, unreferencedGraceMs, type GcOptions, type GcReport } from "./collect-garbage.js";
export { cacheBases, type CacheBase } from "./manifest.js";
export type { ArtifactManifest, CacheFileEntry, CacheManifest, FileEntry } from "./manifest.js";
export { validateStoredPath, type JobFileAccess } from "./job-file-access.js";
export {
  retentionLimits,
  cacheKeyLimits,
  resolveRetentionDays,
  validateArtifactName,
  validateCacheKeys,
} from "./validate-inputs.js";
export { defaultDataDir } from "../data-dir.js";
