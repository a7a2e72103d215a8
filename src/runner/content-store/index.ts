// The content store's public surface (artifacts and caches); the runner's index re-exports it.
export { ContentStore, type ContentStoreOptions, type StoreUsage } from "./content-store.js";
export {
  ContentStoreError,
  contentStoreErrorCodes,
  type ContentStoreErrorCode,
} from "./content-store-error.js";
export type {
  ArtifactInfo,
  DownloadArtifactOptions,
  DownloadedArtifact,
  DownloadResult,
  IfNoFilesFound,
  UploadArtifactOptions,
  UploadResult,
} from "./artifact-store.js";
export { computeCacheVersion } from "./cache-store.js";
export type {
  RestoreCacheOptions,
  RestoreCacheResult,
  SaveCacheOptions,
  SaveCacheResult,
} from "./cache-store.js";
export { cacheLimits, unreferencedGraceMs, type GcOptions, type GcReport } from "./collect-garbage.js";
export { retentionLimits, cacheKeyLimits } from "./validate-inputs.js";
export { defaultDataDir } from "../data-dir.js";
