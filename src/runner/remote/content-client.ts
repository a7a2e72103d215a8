// The runner protocol's artifact and cache routes for one claimed job: JSON calls, and blobs streamed both ways.
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import type {
  ArtifactFilesResponse,
  ArtifactListResponse,
  CacheLookupBody,
  CacheLookupResponse,
  CommitArtifactBody,
  CommitCacheBody,
  CommitCacheResponse,
  MissingBlobsResponse,
} from "./protocol-messages.js";
import type { ArtifactInfo } from "../content-store/index.js";
import { toProtocolError } from "./runner-client.js";

export class ContentClient {
  readonly #base: string;
  readonly #token: string;
  readonly #prefix: string;

  constructor(url: string, runnerToken: string, jobId: number) {
    this.#base = url;
    this.#token = runnerToken;
    this.#prefix = `/api/jobs/${jobId}/content`;
  }

  async findMissingBlobs(digests: string[]): Promise<string[]> {
    return (await this.#json<MissingBlobsResponse>("POST", "/blobs/missing", { digests })).missing;
  }

  /** Streams the file; the server hashes what arrives and refuses it unless it matches `digest`. */
  async putBlob(digest: string, file: string, size: number): Promise<void> {
    const response = await this.#fetch("PUT", `/blobs/${digest}`, {
      headers: { "content-type": "application/octet-stream", "content-length": String(size) },
      body: Readable.toWeb(createReadStream(file)) as ReadableStream,
      duplex: "half",
    });
    await this.#check(response, `/blobs/${digest}`);
  }

  commitArtifact(body: CommitArtifactBody): Promise<ArtifactInfo> {
    return this.#json<ArtifactInfo>("POST", "/artifacts", body);
  }

  async listArtifacts(): Promise<ArtifactInfo[]> {
    return (await this.#json<ArtifactListResponse>("GET", "/artifacts")).artifacts;
  }

  async readArtifactFiles(artifactId: number): Promise<ArtifactFilesResponse["files"]> {
    return (await this.#json<ArtifactFilesResponse>("GET", `/artifacts/${artifactId}/files`)).files;
  }

  openArtifactBlob(artifactId: number, digest: string): Promise<Readable> {
    return this.#openBlob(`/artifacts/${artifactId}/blobs/${digest}`);
  }

  async lookupCache(body: CacheLookupBody): Promise<CacheLookupResponse["entry"]> {
    return (await this.#json<CacheLookupResponse>("POST", "/caches/lookup", body)).entry;
  }

  openCacheBlob(entryId: string, digest: string): Promise<Readable> {
    return this.#openBlob(`/caches/${entryId}/blobs/${digest}`);
  }

  commitCache(body: CommitCacheBody): Promise<CommitCacheResponse> {
    return this.#json<CommitCacheResponse>("POST", "/caches", body);
  }

  async #openBlob(route: string): Promise<Readable> {
    const response = await this.#fetch("GET", route, {});
    await this.#check(response, route);
    return Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  }

  async #json<T>(method: "GET" | "POST", route: string, body?: unknown): Promise<T> {
    const response = await this.#fetch(
      method,
      route,
      body === undefined
        ? {}
        : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
    );
    await this.#check(response, route);
    return (await response.json()) as T;
  }

  #fetch(method: string, route: string, init: RequestInit & { duplex?: "half" }): Promise<Response> {
    return fetch(new URL(this.#prefix + route, this.#base), {
      ...init,
      method,
      headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${this.#token}` },
    });
  }

  async #check(response: Response, route: string): Promise<void> {
    if (!response.ok) throw toProtocolError(this.#prefix + route, response.status, await response.text());
  }
}
