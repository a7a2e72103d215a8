// The image store's public surface: the runtime and the CLI import only from here (via the runner's index).
export {
  ImageStore,
  defaultImageStoreDir,
  defaultInsecureRegistries,
  type EnsureImageOptions,
  type ImageStoreEvent,
  type ImageStoreOptions,
  type ImportImageOptions,
  type ListedImage,
  type RegistryCredentials,
  type UnpackedImage,
} from "./image-store.js";
export { parseImageConfig, type ImageConfig } from "./image-config.js";
export type { ImageLease } from "./image-leases.js";
export { parseImageReference, type ImageReference } from "./image-reference.js";
export {
  imageGcDefaults,
  imageOrphanGraceMs,
  type ImageGcOptions,
  type ImageGcReport,
  type RemovedImage,
} from "./collect-image-garbage.js";
