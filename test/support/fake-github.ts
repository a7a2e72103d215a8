// A local stand-in for the part of GitHub's REST API hangar calls, and a sender that delivers webhooks like GitHub.
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { signPayload } from "../../src/integrations/github/index.js";

export interface RecordedStatus {
  owner: string;
  repo: string;
  sha: string;
  authorization: string | undefined;
  body: Record<string, unknown>;
}

export interface FakeGitHub {
  /** REST API root to give as baseUrl, e.g. http://127.0.0.1:PORT */
  url: string;
  /** Every accepted POST /repos/{owner}/{repo}/statuses/{sha}, in arrival order. */
  statuses: RecordedStatus[];
  close(): Promise<void>;
}

export interface FakeGitHubOptions {
  /** The token requests must carry as `Authorization: token <token>`; others get 401. */
  token: string;
  /** `owner/name` of the repositories that exist; others get 404. */
  repositories: string[];
}

export async function startFakeGitHub(options: FakeGitHubOptions): Promise<FakeGitHub> {
  const statuses: RecordedStatus[] = [];
  let nextStatusId = 1;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const send = (status: number, body: unknown) => {
        response.writeHead(status, { "content-type": "application/json; charset=utf-8" });
        response.end(JSON.stringify(body));
      };
      const url = new URL(request.url ?? "/", "http://127.0.0.1");
      const authorization = request.headers.authorization;
      if (authorization !== `token ${options.token}`) {
        return send(401, { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" });
      }
      const statusRoute = /^\/repos\/([^/]+)\/([^/]+)\/statuses\/([0-9a-f]{40})$/.exec(url.pathname);
      const repoRoute = /^\/repos\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      const route = statusRoute ?? repoRoute;
      if (!route || !options.repositories.includes(`${route[1]}/${route[2]}`)) {
        return send(404, { message: "Not Found" });
      }
      const owner = route[1]!;
      const repo = route[2]!;
      if (statusRoute && request.method === "POST") {
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
        } catch {
          return send(400, { message: "Problems parsing JSON" });
        }
        const state = body["state"];
        if (typeof state !== "string" || !["pending", "success", "failure", "error"].includes(state)) {
          return send(422, { message: "Validation Failed" });
        }
        statuses.push({ owner, repo, sha: statusRoute[3]!, authorization, body });
        return send(201, { id: nextStatusId++, state, context: body["context"] ?? "default" });
      }
      if (repoRoute && request.method === "GET") {
        return send(200, {
          id: 1,
          name: repo,
          full_name: `${owner}/${repo}`,
          default_branch: "main",
          clone_url: `https://github.com/${owner}/${repo}.git`,
        });
      }
      return send(404, { message: "Not Found" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    statuses,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export interface WebhookDelivery {
  event: string;
  payload: unknown;
  secret: string;
  deliveryId?: string;
  /** Sent as is instead of the signature of the body, to test rejections; null sends no signature header. */
  signature?: string | null;
  /** Sent instead of JSON.stringify(payload), to test malformed bodies. */
  body?: Buffer;
}

export interface WebhookResponse {
  status: number;
  body: Record<string, unknown>;
  deliveryId: string;
}

/** Signs and POSTs like GitHub's webhook sender (docs "Webhook events and payloads": delivery headers). */
export async function sendWebhook(url: string, delivery: WebhookDelivery): Promise<WebhookResponse> {
  const body = delivery.body ?? Buffer.from(JSON.stringify(delivery.payload));
  const deliveryId = delivery.deliveryId ?? randomUUID();
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "GitHub-Hookshot/hangar-test",
    "x-github-event": delivery.event,
    "x-github-delivery": deliveryId,
    "x-github-hook-id": "1",
  };
  const signature =
    delivery.signature === undefined ? signPayload(delivery.secret, body) : delivery.signature;
  if (signature !== null) headers["x-hub-signature-256"] = signature;
  const response = await fetch(url, { method: "POST", headers, body });
  const text = await response.text();
  return {
    status: response.status,
    body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>),
    deliveryId,
  };
}
