// A git smart-HTTP server on loopback for tests: real `git http-backend` run as CGI behind node's http server, with
// optional basic auth as GitHub checks a token (`x-access-token:<token>`). It records every request it answers.
import { spawn } from "node:child_process";
import { execFileSync } from "node:child_process";
import { mkdir } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

export interface GitHttpRequest {
  method: string;
  /** The path and query, e.g. `/octo-org/hello.git/info/refs?service=git-upload-pack`. */
  url: string;
  authorization: string | undefined;
  status: number;
}

export interface GitHttpServer {
  /** GitHub's web URL shape: repositories are served at `${url}/<owner>/<repo>.git`. */
  url: string;
  /** Bare repositories live at `${root}/<owner>/<repo>.git`. */
  root: string;
  requests: GitHttpRequest[];
  /** Requests for one repository (`owner/repo`), in order. */
  requestsFor(repository: string): GitHttpRequest[];
  /** Publishes a work tree's branches and tags as the bare repository `owner/repo`. */
  publish(repository: string, workTree: string): Promise<string>;
  close(): Promise<void>;
}

export interface GitHttpServerOptions {
  root: string;
  /** Repositories (`owner/repo`) that answer 401 unless the request carries this token. */
  privateRepositories?: Record<string, string>;
}

/** CGI is a few header lines then the body; hand-written because no installed library runs a CGI program. */
export async function startGitHttpServer(options: GitHttpServerOptions): Promise<GitHttpServer> {
  const requests: GitHttpRequest[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://loopback");
    const record: GitHttpRequest = {
      method: req.method ?? "GET",
      url: `${url.pathname}${url.search}`,
      authorization: req.headers.authorization,
      status: 0,
    };
    requests.push(record);
    if (url.pathname.startsWith("/api/")) {
      // GITHUB_API_URL of an Enterprise-shaped server URL: say plainly what is missing, for the action's error.
      record.status = 404;
      res
        .writeHead(404, { "content-type": "application/json" })
        .end(JSON.stringify({ message: "this loopback host serves git only, not GitHub's REST API" }));
      req.resume();
      return;
    }
    const repository = url.pathname.match(/^\/([^/]+\/[^/]+?)\.git\//)?.[1];
    const token = repository ? options.privateRepositories?.[repository] : undefined;
    if (token !== undefined && !isTokenAuthorization(req.headers.authorization, token)) {
      record.status = 401;
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="GitHub"' }).end();
      req.resume();
      return;
    }
    const cgi = spawn("git", ["http-backend"], {
      env: {
        PATH: process.env["PATH"] ?? "/usr/bin:/bin",
        GIT_PROJECT_ROOT: options.root,
        GIT_HTTP_EXPORT_ALL: "1",
        REQUEST_METHOD: record.method,
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        ...(req.headers["content-encoding"]
          ? { HTTP_CONTENT_ENCODING: req.headers["content-encoding"] }
          : {}),
        ...(req.headers["git-protocol"] ? { GIT_PROTOCOL: String(req.headers["git-protocol"]) } : {}),
        REMOTE_ADDR: "127.0.0.1",
        // GitHub serves any commit reachable from a ref by its SHA (actions pinned to a commit are fetched so).
        GIT_CONFIG_COUNT: "1",
        GIT_CONFIG_KEY_0: "uploadpack.allowReachableSHA1InWant",
        GIT_CONFIG_VALUE_0: "true",
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let isBody = false;
    cgi.stdout.on("data", (chunk: Buffer) => {
      if (isBody) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end === -1) return;
      isBody = true;
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of head.subarray(0, end).toString("latin1").split("\r\n")) {
        const colon = line.indexOf(":");
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
        else headers[name] = value;
      }
      record.status = status;
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
    });
    cgi.on("close", () => {
      if (!isBody) {
        record.status = 500;
        res.writeHead(500).end();
      } else res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    root: options.root,
    requests,
    requestsFor: (repository) => requests.filter((r) => r.url.startsWith(`/${repository}.git/`)),
    async publish(repository, workTree) {
      const bare = path.join(options.root, `${repository}.git`);
      await mkdir(path.dirname(bare), { recursive: true });
      execFileSync("git", ["clone", "-q", "--bare", "--", workTree, bare], { stdio: "pipe" });
      return bare;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** actions/checkout's header: `basic base64(x-access-token:<token>)`. */
function isTokenAuthorization(header: string | undefined, token: string): boolean {
  const match = header?.match(/^basic\s+(\S+)$/i);
  return (
    match !== undefined &&
    match !== null &&
    Buffer.from(match[1]!, "base64").toString() === `x-access-token:${token}`
  );
}
