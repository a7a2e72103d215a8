// ImageStore: the content-addressed local store of OCI images shared by every job on this machine. It pulls with
// skopeo, unpacks with umoci once per manifest digest, and never touches a running container (the runtime does).
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ContainerError } from "../container-error.js";
import { isSameIdMap, type IdMap } from "../runtime/id-mapping.js";
import { detectUserNamespace } from "../runtime/user-namespace.js";
import { collectImageGarbage, type ImageGcOptions, type ImageGcReport } from "./collect-image-garbage.js";
import { describePullFailure, toolFailureMessage } from "./describe-pull-failure.js";
import type { ImageConfig } from "./image-config.js";
import { isLeased, takeLease, type ImageLease } from "./image-leases.js";
import {
  ImageStoreLayout,
  readAllImages,
  readAllReferences,
  readRecord,
  writeRecord,
  type ImageRecord,
  type ReferenceRecord,
} from "./image-records.js";
import {
  isImageDigest,
  parseImageReference,
  registryHost,
  skopeoSourceOf,
  type ImageReference,
} from "./image-reference.js";
import { withFileLock } from "./file-lock.js";
import { runImageTool, ToolFailure } from "./run-image-tool.js";
import { createStaging, reunpackImage, stagedTag, unpackStagedImage } from "./unpack-image.js";

/** Contract (issue 6/7): an image ready to be the read-only lower layer of a job's overlay. */
export interface UnpackedImage {
  reference: string;
  /** The manifest digest as stored (`sha256:...`). */
  digest: string;
  /** Never written by jobs: the runtime mounts it read-only under an overlay. */
  rootfs: string;
  config: ImageConfig;
  /** rootfs/ is owned by host ids shifted by this mapping, for containers in a user namespace; absent: own ids. */
  idMap?: IdMap;
}

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface EnsureImageOptions {
  credentials?: RegistryCredentials;
  /** false: skip TLS verification (and allow plain HTTP) for this pull, whatever the registry. */
  tlsVerify?: boolean;
  /** "missing" (default) uses a stored image for the reference without asking the registry. */
  pull?: "missing" | "always";
  /** Where the reference came from, for the error a bad one gives (`jobs.test.container.image`). */
  field?: string;
  signal?: AbortSignal;
}

export interface ImportImageOptions {
  /** The name to store the image under; without one it is known only by its digest. */
  reference?: string;
  signal?: AbortSignal;
}

export interface ListedImage {
  digest: string;
  references: string[];
  size: number;
  unpackedSize: number;
  createdAt: string;
  lastUsedAt: string;
  inUse: boolean;
}

export type ImageStoreEvent =
  | { type: "pulled"; reference: string; digest: string }
  | { type: "imported"; source: string; digest: string }
  | { type: "unpacked"; digest: string };

export interface ImageStoreOptions {
  dir: string;
  /** Registry hosts (without port) reached with TLS verification off and plain HTTP allowed. */
  insecureRegistries?: string[];
  /** The clock for created and last-used times; tests pass one instead of sleeping. */
  now?: () => Date;
  onEvent?: (event: ImageStoreEvent) => void;
  /**
   * Unpack images shifted by this mapping, or with their own ids (null). Default: the user namespace containers
   * get on this host (detectUserNamespace). A stored image unpacked otherwise is unpacked again before use.
   */
  idMap?: IdMap | null;
}

/** Loopback registries are what tests and local mirrors run; nothing else is trusted without TLS unless named. */
export const defaultInsecureRegistries = ["localhost", "127.0.0.1", "[::1]"];

export function defaultImageStoreDir(dataDir: string): string {
  return path.join(dataDir, "images");
}

/** `DIR:TAG` names one image of a layout; a path that exists as given is taken whole. */
async function locateImportSource(
  source: string,
): Promise<{ sourcePath: string; tag?: string; isDirectory: boolean }> {
  const whole = await stat(source).catch(() => undefined);
  if (whole) return { sourcePath: path.resolve(source), isDirectory: whole.isDirectory() };
  const colon = source.lastIndexOf(":");
  const directory = colon > 0 ? await stat(source.slice(0, colon)).catch(() => undefined) : undefined;
  if (directory?.isDirectory()) {
    return {
      sourcePath: path.resolve(source.slice(0, colon)),
      tag: source.slice(colon + 1),
      isDirectory: true,
    };
  }
  throw new ContainerError("IMAGE_IMPORT_FAILED", `cannot import ${source}: no such file or directory`);
}

/** Accepts any image; used only when the host has no containers policy of its own, which skopeo requires. */
const acceptAnythingPolicy = { default: [{ type: "insecureAcceptAnything" }] };
const hostPolicyFiles = [
  path.join(os.homedir(), ".config/containers/policy.json"),
  "/etc/containers/policy.json",
];

/**
 * Safe to share between jobs in any number of processes on one directory: a reference is pulled under a lock
 * on it and a digest unpacked under a lock on the digest, so concurrent ensures pull and unpack once.
 */
export class ImageStore {
  readonly dir: string;
  private readonly layout: ImageStoreLayout;
  private readonly insecureRegistries: Set<string>;
  private readonly now: () => Date;
  private readonly onEvent: (event: ImageStoreEvent) => void;
  private readonly fixedIdMap: IdMap | null | undefined;

  constructor(options: ImageStoreOptions) {
    this.dir = path.resolve(options.dir);
    this.layout = new ImageStoreLayout(this.dir);
    this.insecureRegistries = new Set(options.insecureRegistries ?? defaultInsecureRegistries);
    this.now = options.now ?? (() => new Date());
    this.onEvent = options.onEvent ?? (() => undefined);
    this.fixedIdMap = options.idMap;
  }

  /** The image for a reference (or a stored `sha256:` digest), pulled and unpacked if needed. */
  async ensure(reference: string, options: EnsureImageOptions = {}): Promise<UnpackedImage> {
    if (isImageDigest(reference)) {
      const image = await this.usable(reference, reference);
      if (!image) throw this.notInStore(reference);
      return this.unpackedOf(reference, image);
    }
    const parsed = parseImageReference(reference, options.field);
    return withFileLock(this.layout.referenceLock(parsed.canonical), async () => {
      if (options.pull !== "always") {
        const known = await readRecord<ReferenceRecord>(this.layout.refFile(parsed.canonical));
        // A private image is the registry's to grant per job, as `docker pull` asks it each time on GitHub: a job
        // must not run it only because another job with the credentials pulled it here first.
        const image = known && !known.needsCredentials && (await this.usable(known.digest, parsed.canonical));
        if (image) return this.unpackedOf(parsed.canonical, image);
      }
      const image = await this.pull(parsed, options);
      return this.unpackedOf(parsed.canonical, image);
    });
  }

  /** ensure() plus a lease: gc and remove leave the image alone until the job releases it. */
  async use(
    reference: string,
    options: EnsureImageOptions = {},
  ): Promise<{ image: UnpackedImage; lease: ImageLease }> {
    // A second round only when gc removed the image between ensure and the lease.
    for (const pull of [options.pull, "always"] as const) {
      const image = await this.ensure(reference, { ...options, ...(pull ? { pull } : {}) });
      const lease = await withFileLock(this.layout.digestLock(image.digest), async () =>
        existsSync(this.layout.imageRecordFile(image.digest))
          ? takeLease(this.layout, image.digest)
          : undefined,
      );
      if (lease) return { image, lease };
    }
    throw new ContainerError(
      "IMAGE_NOT_IN_STORE",
      `image '${reference}' was removed twice while a job tried to use it`,
    );
  }

  /**
   * Copies an OCI layout directory (`DIR` or `DIR:TAG` when it holds several images), an OCI archive or a
   * `docker save` tarball into the store, for offline hosts.
   */
  async import(source: string, options: ImportImageOptions = {}): Promise<UnpackedImage> {
    const target = options.reference ? parseImageReference(options.reference, "reference") : undefined;
    const { sourcePath, tag, isDirectory } = await locateImportSource(source);
    // An OCI layout is a directory; a file is tried as `docker save` output first, then as an OCI archive.
    const transports = isDirectory ? ["oci"] : ["docker-archive", "oci-archive"];
    const failures: string[] = [];
    for (const transport of transports) {
      try {
        const image = await this.copyIn(
          `${transport}:${sourcePath}${tag ? `:${tag}` : ""}`,
          [],
          options.signal,
        );
        this.onEvent({ type: "imported", source: sourcePath, digest: image.digest });
        if (target) await this.writeReference(target.canonical, image.digest);
        return this.unpackedOf(target?.canonical ?? image.digest, image);
      } catch (error) {
        if (!(error instanceof ToolFailure)) throw error;
        const detail = toolFailureMessage(error);
        const hint = /more than one image/.test(detail) ? " (name one as DIR:TAG)" : "";
        failures.push(`as ${transport}: ${detail}${hint}`);
      }
    }
    throw new ContainerError("IMAGE_IMPORT_FAILED", `cannot import ${source}: ${failures.join("; ")}`);
  }

  async list(): Promise<ListedImage[]> {
    const references = await readAllReferences(this.layout);
    const images = await readAllImages(this.layout);
    const listed = await Promise.all(
      images.map(async (image) => ({
        digest: image.digest,
        references: references
          .filter((reference) => reference.digest === image.digest)
          .map((reference) => reference.reference)
          .sort(),
        size: image.size,
        unpackedSize: image.unpackedSize,
        createdAt: image.createdAt,
        lastUsedAt: image.lastUsedAt,
        inUse: await isLeased(this.layout, image.digest),
      })),
    );
    return listed.sort((a, b) => b.lastUsedAt.localeCompare(a.lastUsedAt));
  }

  /**
   * A reference: forgets it, and removes its image when no other reference names it. A digest: removes the
   * image and every reference to it. A leased image is never removed (IMAGE_IN_USE).
   */
  async remove(referenceOrDigest: string): Promise<{ references: string[]; removedDigest?: string }> {
    let digest: string;
    let forget: string[];
    const references = await readAllReferences(this.layout);
    if (isImageDigest(referenceOrDigest)) {
      digest = (await this.storedImage(referenceOrDigest)).digest;
      forget = references.filter((r) => r.digest === digest).map((r) => r.reference);
    } else {
      const canonical = parseImageReference(referenceOrDigest, "reference").canonical;
      const known = references.find((r) => r.reference === canonical);
      if (!known) {
        throw new ContainerError(
          "IMAGE_NOT_IN_STORE",
          `no image named '${canonical}' in the image store ${this.dir}`,
        );
      }
      digest = known.digest;
      forget = [canonical];
    }
    const isLastName = references.every((r) => r.digest !== digest || forget.includes(r.reference));
    if (isLastName && (await isLeased(this.layout, digest))) {
      throw new ContainerError(
        "IMAGE_IN_USE",
        `image ${digest} (${forget.join(", ")}) is used by a running job`,
      );
    }
    for (const reference of forget) await rm(this.layout.refFile(reference), { force: true });
    if (!isLastName) return { references: forget };
    const removed = await this.removeImage(digest);
    return { references: forget, ...(removed ? { removedDigest: digest } : {}) };
  }

  /** Removes images unused for too long, then the least recently used over the size limit, then orphan blobs. */
  gc(options: ImageGcOptions = {}): Promise<ImageGcReport> {
    return collectImageGarbage(
      { layout: this.layout, removeImage: (digest) => this.removeImage(digest) },
      this.now(),
      options,
    );
  }

  /** Under the digest lock, unless leased: the directory leaves digests/ in one rename, then is deleted. */
  private async removeImage(digest: string): Promise<boolean> {
    return withFileLock(this.layout.digestLock(digest), async () => {
      if (await isLeased(this.layout, digest)) return false;
      for (const reference of await readAllReferences(this.layout)) {
        if (reference.digest === digest) await rm(this.layout.refFile(reference.reference), { force: true });
      }
      const doomed = this.layout.newTempPath("removed");
      await mkdir(this.layout.tempDir, { recursive: true });
      try {
        await rename(this.layout.imageDir(digest), doomed);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
        throw error;
      }
      await rm(doomed, { recursive: true, force: true });
      return true;
    });
  }

  private async pull(reference: ImageReference, options: EnsureImageOptions): Promise<ImageRecord> {
    const args: string[] = [];
    const isInsecure =
      options.tlsVerify === false || this.insecureRegistries.has(registryHost(reference.registry));
    if (isInsecure) args.push("--src-tls-verify=false");
    let authFile: string | undefined;
    if (options.credentials) {
      // An auth file (0600, deleted after) keeps the password off skopeo's command line, which ps shows.
      authFile = this.layout.newTempPath("auth");
      await mkdir(this.layout.tempDir, { recursive: true });
      const { username, password } = options.credentials;
      const auth = Buffer.from(`${username}:${password}`).toString("base64");
      await writeFile(authFile, JSON.stringify({ auths: { [reference.registry]: { auth } } }), {
        mode: 0o600,
        flag: "wx",
      });
      args.push("--src-authfile", authFile);
    }
    try {
      const image = await this.copyIn(skopeoSourceOf(reference), args, options.signal);
      await this.writeReference(reference.canonical, image.digest, options.credentials !== undefined);
      this.onEvent({ type: "pulled", reference: reference.canonical, digest: image.digest });
      return image;
    } catch (error) {
      if (!(error instanceof ToolFailure)) throw error;
      throw describePullFailure(error, {
        reference: reference.canonical,
        registry: reference.registry,
        hasCredentials: options.credentials !== undefined,
      });
    } finally {
      if (authFile) await rm(authFile, { force: true });
    }
  }

  /** skopeo copies into a staging layout whose blobs are the shared ones, so layers already stored are skipped. */
  private async copyIn(source: string, args: string[], signal?: AbortSignal): Promise<ImageRecord> {
    const { staging, layoutDir } = await createStaging(this.layout);
    try {
      const digestFile = path.join(staging, "digest");
      await runImageTool(
        "skopeo",
        [
          ...(await this.policyArgs()),
          "copy",
          "--quiet",
          ...args,
          "--digestfile",
          digestFile,
          source,
          `oci:${layoutDir}:${stagedTag}`,
        ],
        { signal, failureCode: "IMAGE_PULL_FAILED" },
      );
      const digest = (await readFile(digestFile, "utf8")).trim();
      return await this.commit(staging, digest, source);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** Unpacks once per digest: whoever holds the lock first unpacks, the others find the image there. */
  private async commit(staging: string, digest: string, name: string): Promise<ImageRecord> {
    const idMap = await this.wantedIdMap();
    return withFileLock(this.layout.digestLock(digest), async () => {
      const existing = await this.touch(digest);
      if (existing && isSameIdMap(existing.idMap, idMap)) return existing;
      if (existing) return this.reunpack(digest, name, idMap);
      const record = await unpackStagedImage(this.layout, staging, digest, this.now(), { idMap, name });
      this.onEvent({ type: "unpacked", digest });
      return record;
    });
  }

  /** The mapping images are unpacked with here; see ImageStoreOptions.idMap. */
  private async wantedIdMap(): Promise<IdMap | null> {
    if (this.fixedIdMap !== undefined) return this.fixedIdMap;
    return (await detectUserNamespace(this.layout.tempDir)).idMap;
  }

  /**
   * The stored image with its last use set to now, unpacked again first when its rootfs has other owners than
   * containers here expect (stored before user namespaces, or by a store with another mapping).
   */
  private async usable(digest: string, name: string): Promise<ImageRecord | undefined> {
    const record = await this.touch(digest);
    const idMap = await this.wantedIdMap();
    if (!record || isSameIdMap(record.idMap, idMap)) return record;
    return withFileLock(this.layout.digestLock(digest), async () => {
      const current = await readRecord<ImageRecord>(this.layout.imageRecordFile(digest));
      if (!current || isSameIdMap(current.idMap, idMap)) return current;
      return this.reunpack(digest, name, idMap);
    });
  }

  /** Under the digest lock. */
  private async reunpack(digest: string, name: string, idMap: IdMap | null): Promise<ImageRecord> {
    const record = await reunpackImage(this.layout, digest, this.now(), { idMap, name });
    this.onEvent({ type: "unpacked", digest });
    return record;
  }

  private async writeReference(reference: string, digest: string, needsCredentials = false): Promise<void> {
    const record: ReferenceRecord = {
      reference,
      digest,
      updatedAt: this.now().toISOString(),
      ...(needsCredentials ? { needsCredentials } : {}),
    };
    await writeRecord(this.layout, this.layout.refFile(reference), record);
  }

  /** The stored image with its last use set to now, or undefined when it is not (or no longer) stored. */
  private async touch(digest: string): Promise<ImageRecord | undefined> {
    const file = this.layout.imageRecordFile(digest);
    const record = await readRecord<ImageRecord>(file);
    if (!record) return undefined;
    const updated = { ...record, lastUsedAt: this.now().toISOString() };
    await writeRecord(this.layout, file, updated, { createParent: false }).catch(
      (error: NodeJS.ErrnoException) => {
        // Removed by gc meanwhile: the caller pulls it again.
        if (error.code !== "ENOENT") throw error;
      },
    );
    return existsSync(file) ? updated : undefined;
  }

  private async storedImage(digest: string): Promise<ImageRecord> {
    const record = await this.touch(digest);
    if (!record) throw this.notInStore(digest);
    return record;
  }

  private notInStore(digest: string): ContainerError {
    return new ContainerError(
      "IMAGE_NOT_IN_STORE",
      `no image with digest ${digest} in the image store ${this.dir}`,
    );
  }

  private unpackedOf(reference: string, image: ImageRecord): UnpackedImage {
    return {
      reference,
      digest: image.digest,
      rootfs: path.join(this.layout.imageDir(image.digest), "rootfs"),
      config: image.config,
      ...(image.idMap ? { idMap: image.idMap } : {}),
    };
  }

  private async policyArgs(): Promise<string[]> {
    if (hostPolicyFiles.some((file) => existsSync(file))) return [];
    const file = path.join(this.dir, "policy.json");
    if (!existsSync(file)) await writeRecord(this.layout, file, acceptAnythingPolicy);
    return ["--policy", file];
  }
}
