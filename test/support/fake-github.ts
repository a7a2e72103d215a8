// A local stand-in for the part of GitHub's REST API hangar calls, and a sender that delivers webhooks like GitHub.
// It records every request, checks credentials as GitHub does (tokens, App JWTs, installation tokens) and keeps
// the state later requests read (check runs, issue comments).
import { generateKeyPairSync, randomUUID, verify, type KeyObject } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { signPayload } from "../../src/integrations/github/index.js";

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: Record<string, unknown> | undefined;
  /** The answer's HTTP status. */
  status: number;
}

export interface RecordedStatus {
  owner: string;
  repo: string;
  sha: string;
  authorization: string | undefined;
  body: Record<string, unknown>;
}

/** A check run as GitHub holds it after its creation and every update so far. */
export interface FakeCheckRun {
  id: number;
  owner: string;
  repo: string;
  name: string;
  head_sha: string;
  status: string;
  conclusion?: string;
  details_url?: string;
  external_id?: string;
  started_at?: string;
  completed_at?: string;
  output?: { title?: string; summary?: string };
}

export interface FakeComment {
  id: number;
  owner: string;
  repo: string;
  issueNumber: number;
  body: string;
}

/** An entry of a repository's activity, as REST "List repository events" returns it. */
export interface FakeRepositoryEvent {
  id: string;
  /** `PushEvent`, `PullRequestEvent`, ... */
  type: string;
  actor: { login: string };
  repo: { name: string };
  payload: Record<string, unknown>;
  created_at: string;
}

export interface FakeGitHubApp {
  id: number;
  /** Verifies the App's JWTs (RS256), as GitHub does with the App's registered public key. */
  publicKey: KeyObject;
  /** `owner/name` to installation id: where the App is installed. */
  installations: Record<string, number>;
  /** What every installation was granted (default: defaultInstallationPermissions). */
  permissions?: Record<string, "read" | "write">;
}

/** An App that may read contents and write statuses, checks, issues and pull requests: what reporting needs. */
export const defaultInstallationPermissions: Record<string, "read" | "write"> = {
  metadata: "read",
  contents: "read",
  statuses: "write",
  checks: "write",
  issues: "write",
  pull_requests: "write",
};

/** An installation access token as the fake issued it, and what the App asked for. */
export interface IssuedInstallationToken {
  token: string;
  installationId: number;
  /** The body's `repositories` (names); undefined: every repository of the installation. */
  repositories: string[] | undefined;
  permissions: Record<string, string>;
  /** Set by DELETE /installation/token. */
  isRevoked: boolean;
}

/** A new App key pair: the private key as the PKCS#1 PEM GitHub hands out, the public key for the fake. */
export function generateAppKey(): { privateKey: string; publicKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { privateKey: privateKey.export({ type: "pkcs1", format: "pem" }).toString(), publicKey };
}

export interface FakeGitHub {
  /** REST API root to give as baseUrl, e.g. http://127.0.0.1:PORT */
  url: string;
  /** Every request, in arrival order, with the status it was answered. */
  requests: RecordedRequest[];
  /** Every accepted POST /repos/{owner}/{repo}/statuses/{sha}, in arrival order. */
  statuses: RecordedStatus[];
  checkRuns: FakeCheckRun[];
  comments: FakeComment[];
  /** Every installation token issued, in order. */
  installationTokens: IssuedInstallationToken[];
  /** Records activity on `fullName` for its events list, as GitHub does for every push and pull request. */
  addEvent(
    fullName: string,
    event: { type: string; actor: string; payload: Record<string, unknown>; createdAt?: Date },
  ): FakeRepositoryEvent;
  /** The next requests `matches` picks get these statuses, one each, instead of being handled. */
  failNext(
    matches: (request: Pick<RecordedRequest, "method" | "path" | "body">) => boolean,
    statuses: number[],
  ): void;
  /** Resolves once `condition` holds, checked now and after each request; waits on requests, not on a timer. */
  waitFor(condition: () => boolean): Promise<void>;
  close(): Promise<void>;
}

export interface FakeGitHubOptions {
  /** A token requests may carry as `Authorization: token <token>` for every repository; like a PAT, no checks API. */
  token?: string;
  app?: FakeGitHubApp;
  /** `owner/name` of the repositories that exist; others get 404. */
  repositories: string[];
}

type Send = (status: number, body: unknown, headers?: Record<string, string>) => void;

interface Caller {
  kind: "token" | "installation";
  installation?: IssuedInstallationToken;
}

// GitHub's installation access tokens last one hour (docs "Generating an installation access token").
const installationTokenLifetimeMs = 60 * 60 * 1000;
const checkRunStatuses = ["queued", "in_progress", "completed"];
const checkRunConclusions = [
  "success",
  "failure",
  "neutral",
  "cancelled",
  "skipped",
  "timed_out",
  "action_required",
];

export async function startFakeGitHub(options: FakeGitHubOptions): Promise<FakeGitHub> {
  const requests: RecordedRequest[] = [];
  const statuses: RecordedStatus[] = [];
  const checkRuns: FakeCheckRun[] = [];
  const comments: FakeComment[] = [];
  const installationTokens: IssuedInstallationToken[] = [];
  const events: FakeRepositoryEvent[] = [];
  const faults: {
    matches: (request: Pick<RecordedRequest, "method" | "path" | "body">) => boolean;
    statuses: number[];
  }[] = [];
  const waiters = new Set<() => void>();
  let nextId = 1;
  const granted = options.app?.permissions ?? defaultInstallationPermissions;

  // GitHub takes tokens as `token X` or `Bearer X` alike.
  const callerOf = (authorization: string | undefined): Caller | undefined => {
    const token = /^(?:token|bearer) (\S+)$/i.exec(authorization ?? "")?.[1];
    if (token === undefined) return undefined;
    if (options.token !== undefined && token === options.token) return { kind: "token" };
    const installation = installationTokens.find((issued) => issued.token === token && !issued.isRevoked);
    return installation && { kind: "installation", installation };
  };
  const mayUse = (caller: Caller, fullName: string) =>
    caller.kind === "token" ||
    (options.app?.installations[fullName] === caller.installation?.installationId &&
      (caller.installation?.repositories?.includes(fullName.split("/")[1]!) ?? true));
  /** Docs "Permissions required for GitHub Apps": a token without the permission is refused with 403. */
  const hasPermission = (caller: Caller, name: string, level: "read" | "write") =>
    caller.kind === "token" ||
    (level === "read"
      ? ["read", "write"].includes(caller.installation?.permissions[name] ?? "")
      : caller.installation?.permissions[name] === "write");

  /** REST "Create an installation access token for an app": `repositories` and `permissions` narrow the token. */
  const issueToken = (installationId: number, body: Record<string, unknown>, send: Send) => {
    const installed = Object.entries(options.app!.installations)
      .filter(([, id]) => id === installationId)
      .map(([fullName]) => fullName.split("/")[1]!);
    const repositories = body["repositories"] as string[] | undefined;
    if (repositories?.some((name) => !installed.includes(name))) {
      return send(422, {
        message: "There is at least one repository that does not exist or is not accessible",
      });
    }
    const permissions = (body["permissions"] as Record<string, string> | undefined) ?? granted;
    const isGranted = Object.entries(permissions).every(
      ([name, level]) => granted[name] === level || (level === "read" && granted[name] === "write"),
    );
    if (!isGranted) {
      return send(422, { message: "The permissions requested are not granted to this installation." });
    }
    const token = `ghs_installation_${installationId}_${nextId++}`;
    installationTokens.push({ token, installationId, repositories, permissions, isRevoked: false });
    return send(201, {
      token,
      expires_at: new Date(Date.now() + installationTokenLifetimeMs).toISOString(),
      permissions,
      repository_selection: repositories ? "selected" : "all",
      ...(repositories ? { repositories: repositories.map((name, id) => ({ id, name })) } : {}),
    });
  };

  const handle = (
    method: string,
    url: URL,
    authorization: string | undefined,
    body: Record<string, unknown> | undefined,
    send: Send,
  ): void => {
    const fault = faults.find((f) => f.matches({ method, path: url.pathname, body }));
    if (fault) {
      const status = fault.statuses.shift()!;
      if (fault.statuses.length === 0) faults.splice(faults.indexOf(fault), 1);
      return send(status, { message: "Server Error" });
    }
    const appRoute =
      /^\/repos\/([^/]+)\/([^/]+)\/installation$/.exec(url.pathname) ??
      /^\/app\/installations\/(\d+)\/access_tokens$/.exec(url.pathname);
    if (appRoute) {
      if (!options.app || !isValidAppJwt(authorization, options.app)) {
        return send(401, { message: "A JSON web token could not be decoded" });
      }
      if (url.pathname.startsWith("/repos/") && method === "GET") {
        const id = options.app.installations[`${appRoute[1]}/${appRoute[2]}`];
        return id === undefined
          ? send(404, { message: "Not Found" })
          : send(200, { id, app_id: options.app.id, account: { login: appRoute[1] }, permissions: granted });
      }
      const installationId = Number(appRoute[1]);
      if (method === "POST" && Object.values(options.app.installations).includes(installationId)) {
        return issueToken(installationId, body ?? {}, send);
      }
      return send(404, { message: "Not Found" });
    }

    const caller = callerOf(authorization);
    if (url.pathname === "/installation/token" && method === "DELETE") {
      if (caller?.kind !== "installation") return send(401, { message: "Bad credentials" });
      caller.installation!.isRevoked = true;
      return send(204, undefined);
    }
    if (!caller) {
      return send(401, { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" });
    }
    const repoRoute = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(url.pathname);
    const fullName = repoRoute ? `${repoRoute[1]}/${repoRoute[2]}` : "";
    if (!repoRoute || !options.repositories.includes(fullName) || !mayUse(caller, fullName)) {
      return send(404, { message: "Not Found" });
    }
    const owner = repoRoute[1]!;
    const repo = repoRoute[2]!;
    const rest = repoRoute[3] ?? "";
    const route = (pattern: RegExp, routeMethod: string) =>
      method === routeMethod ? pattern.exec(rest) : null;
    if (method !== "GET" && body === undefined) return send(400, { message: "Problems parsing JSON" });
    const given = body ?? {};

    let match: RegExpExecArray | null;
    const forbidden = () => send(403, { message: "Resource not accessible by integration" });
    if ((match = route(/^\/statuses\/([0-9a-f]{40})$/, "POST"))) {
      if (!hasPermission(caller, "statuses", "write")) return forbidden();
      const state = given["state"];
      if (typeof state !== "string" || !["pending", "success", "failure", "error"].includes(state)) {
        return send(422, { message: "Validation Failed" });
      }
      statuses.push({ owner, repo, sha: match[1]!, authorization, body: given });
      return send(201, { id: nextId++, state, context: given["context"] ?? "default" });
    }
    if (route(/^\/check-runs$/, "POST") || route(/^\/check-runs\/(\d+)$/, "PATCH")) {
      // Docs "Checks": only GitHub Apps may write check runs; other tokens are refused.
      if (caller.kind !== "installation") {
        return send(403, { message: "Resource not accessible by personal access token" });
      }
      if (!hasPermission(caller, "checks", "write")) return forbidden();
      const id = rest === "/check-runs" ? undefined : Number(rest.slice("/check-runs/".length));
      const existing = id === undefined ? undefined : checkRuns.find((c) => c.id === id);
      if (id !== undefined && (!existing || existing.owner !== owner || existing.repo !== repo)) {
        return send(404, { message: "Not Found" });
      }
      const merged = { ...existing, ...given } as Record<string, unknown>;
      const problem = checkRunProblem(merged);
      if (problem) return send(422, { message: "Validation Failed", errors: [problem] });
      if (existing) {
        Object.assign(existing, given);
        return send(200, existing);
      }
      const created = { status: "queued", ...given, id: nextId++, owner, repo } as FakeCheckRun;
      checkRuns.push(created);
      return send(201, created);
    }
    if ((match = route(/^\/issues\/(\d+)\/comments$/, "GET"))) {
      const onIssue = comments.filter(
        (c) => c.owner === owner && c.repo === repo && c.issueNumber === Number(match![1]),
      );
      const perPage = Number(url.searchParams.get("per_page") ?? "30");
      const page = Number(url.searchParams.get("page") ?? "1");
      const slice = onIssue.slice((page - 1) * perPage, page * perPage);
      const headers: Record<string, string> = {};
      if (page * perPage < onIssue.length) {
        const next = new URL(url);
        next.searchParams.set("page", String(page + 1));
        headers["link"] = `<${fakeUrl}${next.pathname}${next.search}>; rel="next"`;
      }
      return send(200, slice.map(commentJson), headers);
    }
    if ((match = route(/^\/issues\/(\d+)\/comments$/, "POST"))) {
      if (!hasPermission(caller, "issues", "write")) return forbidden();
      if (typeof given["body"] !== "string") return send(422, { message: "Validation Failed" });
      const comment = { id: nextId++, owner, repo, issueNumber: Number(match[1]), body: given["body"] };
      comments.push(comment);
      return send(201, commentJson(comment));
    }
    if ((match = route(/^\/issues\/comments\/(\d+)$/, "PATCH"))) {
      if (!hasPermission(caller, "issues", "write")) return forbidden();
      const comment = comments.find(
        (c) => c.id === Number(match![1]) && c.owner === owner && c.repo === repo,
      );
      if (!comment) return send(404, { message: "Not Found" });
      if (typeof given["body"] !== "string") return send(422, { message: "Validation Failed" });
      comment.body = given["body"];
      return send(200, commentJson(comment));
    }
    // REST "List repository events": newest first, `per_page` (at most 100) and `page`, the last 300 events.
    if (route(/^\/events$/, "GET")) {
      if (!hasPermission(caller, "metadata", "read")) return forbidden();
      const perPage = Math.min(100, Number(url.searchParams.get("per_page") ?? "30"));
      const page = Number(url.searchParams.get("page") ?? "1");
      const newestFirst = events
        .filter((event) => event.repo.name === fullName)
        .reverse()
        .slice(0, 300);
      return send(200, newestFirst.slice((page - 1) * perPage, page * perPage));
    }
    if (rest === "" && method === "GET") {
      if (!hasPermission(caller, "metadata", "read")) return forbidden();
      return send(200, {
        id: 1,
        name: repo,
        full_name: fullName,
        default_branch: "main",
        clone_url: `https://github.com/${fullName}.git`,
      });
    }
    return send(404, { message: "Not Found" });
  };

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const url = new URL(request.url ?? "/", "http://127.0.0.1");
      const method = request.method ?? "GET";
      const text = Buffer.concat(chunks).toString("utf8");
      const body = parseJsonObject(text);
      const record: RecordedRequest = {
        method,
        path: url.pathname,
        authorization: request.headers.authorization,
        body,
        status: 0,
      };
      const send: Send = (status, answer, headers = {}) => {
        record.status = status;
        requests.push(record);
        response.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
        response.end(answer === undefined ? undefined : JSON.stringify(answer));
        for (const wake of waiters) wake();
      };
      handle(method, url, request.headers.authorization, body, send);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const fakeUrl = `http://127.0.0.1:${port}`;
  return {
    url: fakeUrl,
    requests,
    statuses,
    checkRuns,
    comments,
    installationTokens,
    addEvent(fullName, event) {
      const recorded = {
        id: String(nextId++),
        type: event.type,
        actor: { login: event.actor },
        repo: { name: fullName },
        payload: event.payload,
        created_at: (event.createdAt ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "Z"),
      };
      events.push(recorded);
      return recorded;
    },
    failNext: (matches, failStatuses) => faults.push({ matches, statuses: [...failStatuses] }),
    waitFor: (condition) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (!condition()) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  if (text === "") return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function commentJson(comment: FakeComment) {
  return { id: comment.id, body: comment.body, user: { login: "hangar[bot]" } };
}

/** REST "Create a check run": name and head_sha are required; a completed check run needs a conclusion. */
function checkRunProblem(checkRun: Record<string, unknown>): string | undefined {
  if (typeof checkRun["name"] !== "string" || checkRun["name"] === "") return "name is missing";
  if (typeof checkRun["head_sha"] !== "string" || !/^[0-9a-f]{40}$/.test(checkRun["head_sha"]))
    return "head_sha is not a commit SHA";
  const status = checkRun["status"] ?? "queued";
  if (typeof status !== "string" || !checkRunStatuses.includes(status)) return `status '${String(status)}'`;
  const conclusion = checkRun["conclusion"];
  if (status === "completed" && !checkRunConclusions.includes(String(conclusion)))
    return "a completed check run needs a conclusion";
  return undefined;
}

/** Docs "Generating a JSON Web Token for a GitHub App": RS256, `iss` the App id, at most ten minutes long. */
function isValidAppJwt(authorization: string | undefined, app: FakeGitHubApp): boolean {
  const jwt = /^bearer (\S+)$/i.exec(authorization ?? "")?.[1];
  const parts = jwt?.split(".");
  if (!parts || parts.length !== 3) return false;
  const [header, payload, signature] = parts as [string, string, string];
  const signed = verify(
    "RSA-SHA256",
    Buffer.from(`${header}.${payload}`),
    app.publicKey,
    Buffer.from(signature, "base64url"),
  );
  if (!signed) return false;
  const { alg } = JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as { alg?: string };
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as {
    iss?: unknown;
    iat?: number;
    exp?: number;
  };
  const now = Math.floor(Date.now() / 1000);
  return (
    alg === "RS256" &&
    String(claims.iss) === String(app.id) &&
    typeof claims.iat === "number" &&
    typeof claims.exp === "number" &&
    claims.iat <= now + 60 &&
    claims.exp > now &&
    claims.exp - claims.iat <= 11 * 60
  );
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
