// The JSON API's artifacts: a run's list (from the artifacts table) and one artifact as a zip streamed from the
// server's content store, as GitHub's "List workflow run artifacts" and "Download an artifact" do.
import archiver from "archiver";
import type { FastifyPluginAsync } from "fastify";
import { ContentStore } from "../../runner/index.js";
import { getArtifact, getRun, listArtifacts, type Store } from "../../store/index.js";
import { errorSchema, idParams } from "../route-schemas.js";

export interface ArtifactRoutesOptions {
  store: Store;
  /** The server's data directory, whose content store holds the artifacts' files. */
  dataDir: string;
}

const artifactSchema = {
  type: "object",
  properties: {
    id: { type: "integer" },
    runId: { type: "integer" },
    name: { type: "string" },
    size: { type: "integer", description: "bytes, the sum of the files' sizes" },
    fileCount: { type: "integer" },
    digest: { type: "string", description: "sha256 over the file list (path, mode, content digest), hex" },
    createdAt: { type: "string", format: "date-time" },
    expiresAt: { type: ["string", "null"], format: "date-time" },
  },
  required: ["id", "runId", "name", "size", "fileCount", "digest", "createdAt", "expiresAt"],
} as const;

export const artifactRoutes: FastifyPluginAsync<ArtifactRoutesOptions> = async (app, { store, dataDir }) => {
  const content = new ContentStore({ dataDir });

  app.get<{ Params: { id: number } }>(
    "/api/runs/:id/artifacts",
    {
      config: { role: "viewer" },
      schema: {
        summary: "List a run's artifacts",
        params: idParams,
        response: {
          200: {
            type: "object",
            properties: { artifacts: { type: "array", items: artifactSchema } },
            required: ["artifacts"],
          },
          404: errorSchema,
        },
      },
    },
    async (request, reply) => {
      if (!(await getRun(store, request.params.id))) {
        return reply.code(404).send(errorBody(404, "NOT_FOUND", `run ${request.params.id} does not exist`));
      }
      return { artifacts: await listArtifacts(store, request.params.id) };
    },
  );

  app.get<{ Params: { id: number } }>(
    "/api/artifacts/:id/zip",
    {
      config: { role: "viewer" },
      schema: {
        summary: "Download an artifact as a zip",
        params: idParams,
        response: {
          200: { type: "string", format: "binary", description: "application/zip, streamed" },
          404: errorSchema,
          410: errorSchema,
        },
      },
    },
    async (request, reply) => {
      const artifact = await getArtifact(store, request.params.id);
      if (!artifact) {
        return reply
          .code(404)
          .send(errorBody(404, "NOT_FOUND", `artifact ${request.params.id} does not exist`));
      }
      const manifest = await content.findArtifact(String(artifact.runId), artifact.id);
      // GitHub answers 410 Gone for an artifact past its retention.
      if (!manifest) {
        return reply
          .code(410)
          .send(errorBody(410, "ARTIFACT_EXPIRED", `artifact ${artifact.id} has expired or was removed`));
      }
      const files = await content.readArtifactFiles(manifest);
      const zip = archiver("zip", { zlib: { level: 6 } });
      zip.on("error", (error) => {
        request.log.error({ err: error }, "artifact zip failed");
        reply.raw.destroy(error);
      });
      const date = new Date(manifest.createdAt);
      for (const file of files) {
        zip.file(content.blobPath(file.digest), { name: file.path, mode: file.mode, date });
      }
      void zip.finalize();
      return reply
        .type("application/zip")
        .header("content-disposition", contentDisposition(`${artifact.name}.zip`))
        .send(zip);
    },
  );
};

function errorBody(statusCode: number, code: string, message: string) {
  return { statusCode, code, message };
}

/** RFC 6266: an ASCII fallback, and the exact name in RFC 5987 encoding for clients that read it. */
function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
