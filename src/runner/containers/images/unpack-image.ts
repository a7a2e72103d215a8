// Turns a staged OCI layout (copied in by skopeo) into a complete image directory: rootfs unpacked by umoci,
// config parsed, image.json written, then one rename into digests/ so nobody ever sees half an unpack.
import { copyFile, lstat, mkdir, readdir, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { ContainerError } from "../container-error.js";
import { umociIdMapArgs, type IdMap } from "../runtime/id-mapping.js";
import { toolFailureMessage } from "./describe-pull-failure.js";
import { parseImageConfig } from "./image-config.js";
import { isLeased } from "./image-leases.js";
import { type ImageRecord, type ImageStoreLayout } from "./image-records.js";
import { runImageTool, ToolFailure } from "./run-image-tool.js";

/** The tag skopeo writes each staged layout's single image under. */
export const stagedTag = "image";

interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
}

interface Manifest {
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
}

/** A fresh staging directory whose layout writes its blobs straight into the shared blobs/ (same depth as digests/<hex>/layout). */
export async function createStaging(
  layout: ImageStoreLayout,
): Promise<{ staging: string; layoutDir: string }> {
  const staging = layout.newTempPath("image");
  const layoutDir = path.join(staging, "layout");
  await mkdir(layoutDir, { recursive: true });
  await mkdir(path.join(layout.blobsDir, "sha256"), { recursive: true });
  await symlink(path.relative(layoutDir, layout.blobsDir), path.join(layoutDir, "blobs"));
  return { staging, layoutDir };
}

async function readManifest(layout: ImageStoreLayout, digest: string): Promise<Manifest> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(layout.blobFile(digest), "utf8")) as Manifest;
  } catch (error) {
    throw new ContainerError(
      "IMAGE_UNPACK_FAILED",
      `cannot read the manifest ${digest}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (!manifest.config || !Array.isArray(manifest.layers)) {
    throw new ContainerError(
      "IMAGE_UNPACK_FAILED",
      `${digest} is not an image manifest (media type ${manifest.mediaType ?? "unknown"}); an index needs a platform chosen first`,
    );
  }
  return manifest;
}

/** Bytes of every entry under dir, as `du --apparent-size` counts them; gc weighs images by it. */
async function directorySize(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { recursive: true });
  for (const entry of entries) {
    total += (await lstat(path.join(dir, entry)).catch(() => undefined))?.size ?? 0;
  }
  return total;
}

export interface UnpackTarget {
  /** Shift every file's owner into this range (a user namespace's), or null to keep the image's own ids. */
  idMap: IdMap | null;
  /** Names the image in errors: the reference or source it came from. */
  name: string;
}

/** Unpacks the staged layout and moves the finished image directory into digests/. */
export async function unpackStagedImage(
  layout: ImageStoreLayout,
  staging: string,
  digest: string,
  now: Date,
  target: UnpackTarget,
): Promise<ImageRecord> {
  const record = await unpackInStaging(layout, staging, digest, now, target);
  await mkdir(layout.digestsDir, { recursive: true });
  await rename(staging, layout.imageDir(digest));
  return record;
}

/**
 * Unpacks a stored image again with another id mapping, from the blobs already stored, and swaps the new image
 * directory in; the caller holds the digest lock. A job's overlay may sit on a leased image's rootfs: IMAGE_IN_USE.
 */
export async function reunpackImage(
  layout: ImageStoreLayout,
  digest: string,
  now: Date,
  target: UnpackTarget,
): Promise<ImageRecord> {
  if (await isLeased(layout, digest)) {
    throw new ContainerError(
      "IMAGE_IN_USE",
      `image ${target.name} (${digest}) is unpacked with other file owners than containers here need, and a ` +
        "running job uses it: it is unpacked again once no job does",
    );
  }
  const { staging, layoutDir } = await createStaging(layout);
  try {
    for (const file of ["index.json", "oci-layout"]) {
      await copyFile(path.join(layout.imageDir(digest), "layout", file), path.join(layoutDir, file));
    }
    const record = await unpackInStaging(layout, staging, digest, now, target);
    const doomed = layout.newTempPath("removed");
    await rename(layout.imageDir(digest), doomed);
    await rename(staging, layout.imageDir(digest));
    await rm(doomed, { recursive: true, force: true });
    return record;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** umoci's complaint about an owner outside the mapping: "container id 70000 cannot be mapped to a host id". */
const unmappableId = /container id (\d+) cannot be mapped/;

async function unpackInStaging(
  layout: ImageStoreLayout,
  staging: string,
  digest: string,
  now: Date,
  target: UnpackTarget,
): Promise<ImageRecord> {
  const manifest = await readManifest(layout, digest);
  const configDigest = manifest.config!.digest;
  const config = parseImageConfig(await readFile(layout.blobFile(configDigest), "utf8"), configDigest);
  const rootfs = path.join(staging, "rootfs");
  // `raw unpack` writes only the rootfs: plain `unpack` also builds a runtime config, which fails on images
  // whose User is not in their own /etc/passwd; the runtime writes its own config anyway.
  const isRoot = process.getuid?.() === 0;
  const ownership = target.idMap ? umociIdMapArgs(target.idMap) : isRoot ? [] : ["--rootless"];
  await runImageTool(
    "umoci",
    ["raw", "unpack", ...ownership, "--image", `${path.join(staging, "layout")}:${stagedTag}`, rootfs],
    { failureCode: "IMAGE_UNPACK_FAILED" },
  ).catch((error: unknown) => {
    if (error instanceof ContainerError) throw error;
    const id = error instanceof ToolFailure ? unmappableId.exec(error.stderr)?.[1] : undefined;
    if (id !== undefined && target.idMap) {
      throw new ContainerError(
        "IMAGE_UNPACK_FAILED",
        `image ${target.name} (${digest}) has files owned by id ${id}: a container's user namespace maps only ` +
          `ids 0-${target.idMap.size - 1}`,
        { cause: error },
      );
    }
    throw new ContainerError(
      "IMAGE_UNPACK_FAILED",
      `umoci could not unpack ${target.name} (${digest}): ${toolFailureMessage(error)}`,
      { cause: error },
    );
  });
  const blobs = [manifest.config!, ...manifest.layers!];
  const record: ImageRecord = {
    digest,
    blobs: [digest, ...blobs.map((blob) => blob.digest)],
    size: (await lstat(layout.blobFile(digest))).size + blobs.reduce((sum, blob) => sum + blob.size, 0),
    unpackedSize: await directorySize(rootfs),
    config,
    createdAt: now.toISOString(),
    lastUsedAt: now.toISOString(),
    idMap: target.idMap,
  };
  await writeFile(path.join(staging, "image.json"), JSON.stringify(record, null, 2) + "\n");
  return record;
}
