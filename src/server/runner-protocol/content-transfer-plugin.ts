// The runner protocol's artifact and cache routes (/api/jobs/:id/content/*): blobs in and out, artifact and cache
// manifests. Registered inside the runner-token scope; a runner reaches only the run and repository of a job it holds.
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import {
  artifactExists,
  cacheBases,
  computeCacheEntryId,
  ContentStore,
  ContentStoreError,
  missingBlobsBatch,
  normalizeRestoreKeys,
  resolveCacheScopes,
  validateCacheKeys,
  validateStoredPath,
  type ArtifactInfo,
  type CacheLookupBody,
  type CacheScopes,
  type CommitArtifactBody,
  type CommitCacheBody,
  type FileEntry,
  type MissingBlobsBody,
} from "../../runner/index.js";
import {
  getRun,
  getRepositoryById,
  recordArtifact,
  type QueuedJob,
  type RunnerRecord,
  type Store,
} from "../../store/index.js";
import { errorResponses, idParams } from "../route-schemas.js";
import { ContentTransferFault, contentErrorBody } from "./content-transfer-error.js";

export interface ContentTransferOptions {
  store: Store;
  /** The server's data directory: its content store is the truth for every run's artifacts and caches. */
  dataDir: string;
  runnerOf(request: FastifyRequest): RunnerRecord;
  /** The job if this runner holds its lease; throws the protocol's 404/403/409 otherwise. */
  loadOwnJob(runner: RunnerRecord, jobRowId: number): Promise<QueuedJob>;
}

/** Contract: the largest single file and the largest file list the server accepts (413 beyond). */
export const contentLimits = {
  /** GitHub caps one repository's caches at 10 GB; one file past that cannot be worth storing. */
  blobBytes: 10 * 1024 ** 3,
  /** A file list costs about 150 bytes per file as JSON: room for some 400,000 files. */
  fileListBytes: 64 * 1024 * 1024,
} as const;

const sha256 = { type: "string", pattern: "^[0-9a-f]{64}$" } as const;
const jobId = idParams.properties.id;
const fileEntryProperties = {
  path: { type: "string", minLength: 1, maxLength: 4096 },
  mode: { type: "integer", minimum: 0, maximum: 0o7777 },
  size: { type: "integer", minimum: 0 },
  digest: sha256,
} as const;
const fileEntry = {
  type: "object",
  properties: fileEntryProperties,
  required: ["path", "mode", "size", "digest"],
  additionalProperties: false,
} as const;
const cacheFileEntry = {
  type: "object",
  // Only the job's own directories: a runner is trusted no more than its job (a base of `/` or the runner's home was
  // once accepted, and a restore wrote there as the runner).
  properties: { ...fileEntryProperties, base: { enum: [...cacheBases] } },
  required: ["path", "mode", "size", "digest", "base"],
  additionalProperties: false,
} as const;
const artifactInfo = {
  type: "object",
  properties: {
    id: { type: "integer" },
    name: { type: "string" },
    fileCount: { type: "integer" },
    size: { type: "integer" },
    digest: { type: "string" },
    createdAt: { type: "string" },
    expiresAt: { type: "string" },
  },
  required: ["id", "name", "fileCount", "size", "digest", "createdAt", "expiresAt"],
} as const;
const cacheKey = { type: "string", minLength: 1, maxLength: 512 } as const;
const blobResponse = { 200: { type: "string", format: "binary" }, ...errorResponses } as const;

/** File lists are content-addressed and immutable, so a few recent ones serve blob requests without rereading. */
const fileListMemoSize = 16;

export const contentTransferPlugin: FastifyPluginAsync<ContentTransferOptions> = async (app, options) => {
  const { store, runnerOf, loadOwnJob } = options;
  const content = new ContentStore({ dataDir: options.dataDir });
  const fileLists = new Map<string, Map<string, FileEntry>>();

  app.setErrorHandler((error, request, reply) => {
    const body = contentErrorBody(error);
    if (body.statusCode >= 500) request.log.error({ err: error }, "content transfer failed");
    else request.log.info({ code: body.code }, body.message);
    // A refused upload's body is never read: close rather than leave it in the connection.
    if (!request.raw.complete) reply.header("connection", "close");
    return reply.status(body.statusCode).send(body);
  });
  // Blob bodies stream straight into the blob store; fastify's own body limit applies only to parsed bodies.
  app.addContentTypeParser(
    "application/octet-stream",
    async (_request: FastifyRequest, payload: Readable) => payload,
  );

  const ownJob = (request: FastifyRequest<{ Params: { id: number } }>) =>
    loadOwnJob(runnerOf(request), request.params.id);
  const cacheScopesOf = async (job: QueuedJob): Promise<CacheScopes> => {
    const found = await getRun(store, job.runId);
    if (!found) throw new ContentTransferFault("CONTENT_RUN_NOT_FOUND", `run ${job.runId} does not exist`);
    const { run } = found;
    const repository = await getRepositoryById(store, run.repositoryId);
    if (!repository) {
      throw new ContentTransferFault(
        "CONTENT_RUN_NOT_FOUND",
        `run ${run.id} belongs to no registered repository`,
      );
    }
    const pullRequest = (run.payload as { pull_request?: { base?: { ref?: unknown } } } | null)?.pull_request;
    const baseBranch = pullRequest?.base?.ref;
    return resolveCacheScopes({
      repositoryId: run.repositoryId,
      event: run.event,
      ref: run.ref,
      ...(typeof baseBranch === "string" ? { baseBranch } : {}),
      defaultBranch: repository.defaultBranch,
    });
  };
  const requireBlobs = async (entries: readonly FileEntry[]): Promise<void> => {
    const missing = await findMissing([...new Set(entries.map((entry) => entry.digest))]);
    if (missing.length > 0) {
      throw new ContentStoreError(
        "STORE_BLOB_MISSING",
        `${missing.length} file contents were not sent before the file list (first: sha256:${missing[0]}); send the missing blobs first.`,
      );
    }
  };
  const findMissing = async (digests: readonly string[]): Promise<string[]> => {
    const held = await Promise.all(digests.map((digest) => content.hasBlob(digest)));
    return digests.filter((_, index) => !held[index]);
  };
  const sendBlob = (reply: FastifyReply, listed: ReadonlyMap<string, FileEntry>, digest: string) => {
    const entry = listed.get(digest);
    if (!entry) {
      throw new ContentTransferFault("CONTENT_BLOB_NOT_LISTED", `sha256:${digest} is not one of its files`);
    }
    return reply
      .type("application/octet-stream")
      .header("content-length", entry.size)
      .send(createReadStream(content.blobPath(digest)));
  };
  /** A file list by content digest, memoized by the list's own digest (one blob request per file follows). */
  const listedFiles = async (
    filesDigest: string,
    read: () => Promise<FileEntry[]>,
  ): Promise<ReadonlyMap<string, FileEntry>> => {
    let files = fileLists.get(filesDigest);
    if (!files) {
      files = new Map((await read()).map((entry) => [entry.digest, entry]));
      if (fileLists.size >= fileListMemoSize) fileLists.delete(fileLists.keys().next().value!);
      fileLists.set(filesDigest, files);
    }
    return files;
  };

  app.post<{ Params: { id: number }; Body: MissingBlobsBody }>(
    "/api/jobs/:id/content/blobs/missing",
    {
      config: { auth: "runner" },
      schema: {
        params: idParams,
        body: {
          type: "object",
          properties: { digests: { type: "array", items: sha256, maxItems: missingBlobsBatch } },
          required: ["digests"],
          additionalProperties: false,
        },
        response: {
          200: {
            type: "object",
            properties: { missing: { type: "array", items: { type: "string" } } },
            required: ["missing"],
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      await ownJob(request);
      // Answers only whether content with a known hash exists here, never whose it is or where it is used.
      return { missing: await findMissing(request.body.digests) };
    },
  );

  app.put<{ Params: { id: number; digest: string }; Body: Readable }>(
    "/api/jobs/:id/content/blobs/:digest",
    {
      config: { auth: "runner" },
      schema: {
        params: { type: "object", properties: { id: jobId, digest: sha256 }, required: ["id", "digest"] },
        response: {
          200: {
            type: "object",
            properties: { digest: { type: "string" }, size: { type: "integer" } },
            required: ["digest", "size"],
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const declared = Number(request.headers["content-length"] ?? 0);
      if (declared > contentLimits.blobBytes) throw tooLarge(declared);
      await ownJob(request);
      const { digest } = request.params;
      return content.putExpectedBlob(request.body, { digest, maxBytes: contentLimits.blobBytes });
    },
  );

  app.post<{ Params: { id: number }; Body: CommitArtifactBody }>(
    "/api/jobs/:id/content/artifacts",
    {
      config: { auth: "runner" },
      bodyLimit: contentLimits.fileListBytes,
      schema: {
        params: idParams,
        body: {
          type: "object",
          properties: {
            name: { type: "string", minLength: 1, maxLength: 256 },
            files: { type: "array", items: fileEntry, minItems: 1 },
            retentionDays: { type: "integer", minimum: 0 },
            overwrite: { type: "boolean" },
          },
          required: ["name", "files"],
          additionalProperties: false,
        },
        response: { 200: artifactInfo, ...errorResponses },
      },
    },
    async (request): Promise<ArtifactInfo> => {
      const runner = runnerOf(request);
      const job = await ownJob(request);
      const { name, files } = request.body;
      files.forEach((file) => checkRelativePath(file.path));
      await requireBlobs(files);
      const runId = String(job.runId);
      const prepared = await content.prepareArtifact({
        runId,
        name,
        entries: files,
        retentionDays: request.body.retentionDays,
      });
      // The row guards the name (atomically, across servers on one database); the manifest follows it.
      const recorded = await recordArtifact(
        store,
        {
          runId: job.runId,
          name,
          digest: prepared.digest,
          size: prepared.size,
          fileCount: prepared.fileCount,
          expiresAt: prepared.expiresAt,
          jobId: job.id,
          runnerId: runner.id,
          overwrite: request.body.overwrite ?? false,
        },
        async (artifact) => {
          await content.writeArtifactManifest({ ...prepared, id: artifact.id }, "replace");
        },
      );
      if ("isNameTaken" in recorded) throw artifactExists(runId, name);
      const { fileCount, size, digest, createdAt, expiresAt } = prepared;
      return { id: recorded.artifact.id, name, fileCount, size, digest, createdAt, expiresAt };
    },
  );

  app.get<{ Params: { id: number } }>(
    "/api/jobs/:id/content/artifacts",
    {
      config: { auth: "runner" },
      schema: {
        params: idParams,
        response: {
          200: {
            type: "object",
            properties: { artifacts: { type: "array", items: artifactInfo } },
            required: ["artifacts"],
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const job = await ownJob(request);
      return { artifacts: await content.listArtifacts(String(job.runId)) };
    },
  );

  const artifactParams = {
    type: "object",
    properties: { id: jobId, artifactId: { type: "integer", minimum: 1 } },
    required: ["id", "artifactId"],
  } as const;
  const findOwnArtifact = async (request: FastifyRequest<{ Params: { id: number; artifactId: number } }>) => {
    const job = await ownJob(request);
    const manifest = await content.findArtifact(String(job.runId), request.params.artifactId);
    if (!manifest) {
      throw new ContentTransferFault(
        "CONTENT_ARTIFACT_NOT_FOUND",
        `artifact ${request.params.artifactId} is not an unexpired artifact of run ${job.runId}`,
      );
    }
    return manifest;
  };

  app.get<{ Params: { id: number; artifactId: number } }>(
    "/api/jobs/:id/content/artifacts/:artifactId/files",
    {
      config: { auth: "runner" },
      schema: {
        params: artifactParams,
        response: {
          200: {
            type: "object",
            properties: { files: { type: "array", items: fileEntry } },
            required: ["files"],
          },
          ...errorResponses,
        },
      },
    },
    async (request) => ({ files: await content.readArtifactFiles(await findOwnArtifact(request)) }),
  );

  app.get<{ Params: { id: number; artifactId: number; digest: string } }>(
    "/api/jobs/:id/content/artifacts/:artifactId/blobs/:digest",
    {
      config: { auth: "runner" },
      schema: {
        params: {
          ...artifactParams,
          properties: { ...artifactParams.properties, digest: sha256 },
          required: ["id", "artifactId", "digest"],
        },
        response: blobResponse,
      },
    },
    async (request, reply) => {
      const manifest = await findOwnArtifact(request);
      const files = await listedFiles(manifest.filesDigest, () => content.readArtifactFiles(manifest));
      return sendBlob(reply, files, request.params.digest);
    },
  );

  app.post<{ Params: { id: number }; Body: CacheLookupBody }>(
    "/api/jobs/:id/content/caches/lookup",
    {
      config: { auth: "runner" },
      schema: {
        params: idParams,
        body: {
          type: "object",
          properties: {
            key: cacheKey,
            restoreKeys: { type: "array", items: { type: "string", maxLength: 512 }, maxItems: 10 },
            version: sha256,
            lookupOnly: { type: "boolean" },
          },
          required: ["key", "restoreKeys", "version"],
          additionalProperties: false,
        },
        response: {
          200: {
            type: "object",
            properties: {
              entry: {
                type: ["object", "null"],
                properties: {
                  id: { type: "string" },
                  key: { type: "string" },
                  files: { type: "array", items: cacheFileEntry },
                },
                required: ["id", "key", "files"],
              },
            },
            required: ["entry"],
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const job = await ownJob(request);
      const { key, version } = request.body;
      const restoreKeys = normalizeRestoreKeys(request.body.restoreKeys);
      validateCacheKeys([key, ...restoreKeys]);
      const entry = await content.lookupCache({
        key,
        restoreKeys,
        version,
        scopes: (await cacheScopesOf(job)).read,
      });
      if (!entry) return { entry: null };
      if (!request.body.lookupOnly) await content.markCacheUsed(entry);
      return {
        entry: { id: computeCacheEntryId(entry), key: entry.key, files: await content.readCacheFiles(entry) },
      };
    },
  );

  app.post<{ Params: { id: number }; Body: CommitCacheBody }>(
    "/api/jobs/:id/content/caches",
    {
      config: { auth: "runner" },
      bodyLimit: contentLimits.fileListBytes,
      schema: {
        params: idParams,
        body: {
          type: "object",
          properties: {
            key: cacheKey,
            version: sha256,
            files: { type: "array", items: cacheFileEntry, minItems: 1 },
          },
          required: ["key", "version", "files"],
          additionalProperties: false,
        },
        response: {
          200: {
            type: "object",
            properties: {
              saved: { type: "boolean" },
              size: { type: "integer" },
              message: { type: "string" },
            },
            required: ["saved", "size"],
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const job = await ownJob(request);
      const { key, version, files } = request.body;
      files.forEach((file) => checkRelativePath(file.path));
      const scopes = await cacheScopesOf(job);
      if (scopes.write === undefined) return { saved: false, size: 0, message: scopes.refusal };
      await requireBlobs(files);
      return content.commitCache({ key, version, scope: scopes.write, entries: files });
    },
  );

  app.get<{ Params: { id: number; entryId: string; digest: string } }>(
    "/api/jobs/:id/content/caches/:entryId/blobs/:digest",
    {
      config: { auth: "runner" },
      schema: {
        params: {
          type: "object",
          properties: { id: jobId, entryId: sha256, digest: sha256 },
          required: ["id", "entryId", "digest"],
        },
        response: blobResponse,
      },
    },
    async (request, reply) => {
      const job = await ownJob(request);
      const entry = await content.readCache(request.params.entryId);
      const readable = (await cacheScopesOf(job)).read;
      if (!entry?.scope || !readable.includes(entry.scope)) {
        throw new ContentTransferFault(
          "CONTENT_CACHE_NOT_FOUND",
          `cache entry ${request.params.entryId} is not one this job's run may restore`,
        );
      }
      const files = await listedFiles(entry.filesDigest, () => content.readCacheFiles(entry));
      return sendBlob(reply, files, request.params.digest);
    },
  );
};

/** A file path that climbs out (`..`), is absolute or has empty segments is refused, whatever the runner says. */
function checkRelativePath(filePath: string): void {
  try {
    validateStoredPath(filePath);
  } catch (error) {
    throw new ContentTransferFault("CONTENT_FILE_PATH_INVALID", (error as Error).message);
  }
}

function tooLarge(declared: number): ContentTransferFault {
  return new ContentTransferFault(
    "CONTENT_TOO_LARGE",
    `a blob of ${declared} bytes is over the server's limit of ${contentLimits.blobBytes} bytes per file`,
  );
}
