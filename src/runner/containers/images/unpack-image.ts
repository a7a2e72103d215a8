// Turns a staged OCI layout (copied in by skopeo) into a complete image directory: rootfs unpacked by umoci,
// config parsed, image.json written, then one rename into digests/ so nobody ever sees half an unpack.
import { lstat, mkdir, readdir, readFile, rename, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { ContainerError } from "../container-error.js";
import { toolFailureMessage } from "./describe-pull-failure.js";
import { parseImageConfig } from "./image-config.js";
import { type ImageRecord, type ImageStoreLayout } from "./image-records.js";
import { runImageTool } from "./run-image-tool.js";

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

export async function unpackStagedImage(
  layout: ImageStoreLayout,
  staging: string,
  digest: string,
  now: Date,
): Promise<ImageRecord> {
  const manifest = await readManifest(layout, digest);
  const configDigest = manifest.config!.digest;
  const config = parseImageConfig(await readFile(layout.blobFile(configDigest), "utf8"), configDigest);
  const rootfs = path.join(staging, "rootfs");
  // `raw unpack` writes only the rootfs: plain `unpack` also builds a runtime config, which fails on images
  // whose User is not in their own /etc/passwd; the runtime writes its own config anyway.
  const isRoot = process.getuid?.() === 0;
  await runImageTool(
    "umoci",
    [
      "raw",
      "unpack",
      ...(isRoot ? [] : ["--rootless"]),
      "--image",
      `${path.join(staging, "layout")}:${stagedTag}`,
      rootfs,
    ],
    { failureCode: "IMAGE_UNPACK_FAILED" },
  ).catch((error: unknown) => {
    if (error instanceof ContainerError) throw error;
    throw new ContainerError(
      "IMAGE_UNPACK_FAILED",
      `umoci could not unpack ${digest}: ${toolFailureMessage(error)}`,
      {
        cause: error,
      },
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
  };
  await writeFile(path.join(staging, "image.json"), JSON.stringify(record, null, 2) + "\n");
  await mkdir(layout.digestsDir, { recursive: true });
  await rename(staging, layout.imageDir(digest));
  return record;
}
