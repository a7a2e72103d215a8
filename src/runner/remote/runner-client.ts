// The runner protocol over HTTP (global fetch): one method per route, errors as RunnerProtocolError.
import { HangarError } from "../hangar-error.js";
import type {
  AckResponse,
  ClaimResponse,
  CompleteBody,
  ErrorBody,
  HeartbeatResponse,
  LogChunkMessage,
  RegisterBody,
  RegisterResponse,
  StepEventMessage,
} from "./protocol-messages.js";

/** The server answered with an error body; `code` is the server's stable code (e.g. QUEUE_LEASE_LOST). */
export class RunnerProtocolError extends HangarError {
  constructor(
    readonly statusCode: number,
    code: string,
    message: string,
  ) {
    super(code, message);
  }

  /** The job is no longer this runner's (requeued, taken by another runner, or finished): stop working on it. */
  get isLeaseLost(): boolean {
    return this.statusCode === 403 || this.statusCode === 404 || this.statusCode === 409;
  }
}

export async function registerWithServer(url: string, body: RegisterBody): Promise<RegisterResponse> {
  return (await postJson(url, "/api/runners/register", undefined, body)) as RegisterResponse;
}

export class RunnerClient {
  constructor(
    readonly url: string,
    readonly runnerToken: string,
  ) {}

  /** Long-polls for a job; undefined when none came within the server's wait. */
  async claim(signal?: AbortSignal): Promise<ClaimResponse | undefined> {
    return (await postJson(this.url, "/api/runners/claim", this.runnerToken, {}, signal)) as
      ClaimResponse | undefined;
  }

  async heartbeat(jobId: number): Promise<HeartbeatResponse> {
    return (await postJson(
      this.url,
      `/api/jobs/${jobId}/heartbeat`,
      this.runnerToken,
      {},
    )) as HeartbeatResponse;
  }

  async sendLogs(jobId: number, chunks: LogChunkMessage[]): Promise<number> {
    const response = (await postJson(this.url, `/api/jobs/${jobId}/logs`, this.runnerToken, {
      chunks,
    })) as AckResponse;
    return response.ack;
  }

  async sendEvents(jobId: number, events: StepEventMessage[]): Promise<number> {
    const response = (await postJson(this.url, `/api/jobs/${jobId}/events`, this.runnerToken, {
      events,
    })) as AckResponse;
    return response.ack;
  }

  async complete(jobId: number, body: CompleteBody): Promise<void> {
    await postJson(this.url, `/api/jobs/${jobId}/complete`, this.runnerToken, body);
  }
}

/** Undefined for 204 No Content; throws RunnerProtocolError for an error status, TypeError for a network failure. */
async function postJson(
  base: string,
  route: string,
  token: string | undefined,
  body: unknown,
  signal?: AbortSignal,
): Promise<unknown> {
  const response = await fetch(new URL(route, base), {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
    signal,
  });
  if (response.status === 204) return undefined;
  const text = await response.text();
  if (!response.ok) throw toProtocolError(route, response.status, text);
  return JSON.parse(text) as unknown;
}

/** The error for an error status, from the server's `{statusCode, code, message}` body when it sent one. */
export function toProtocolError(route: string, statusCode: number, text: string): RunnerProtocolError {
  const error = parseErrorBody(text);
  return new RunnerProtocolError(
    statusCode,
    error?.code ?? "RUNNER_HTTP_ERROR",
    error?.message ?? `${route} answered ${statusCode}`,
  );
}

function parseErrorBody(text: string): ErrorBody | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<ErrorBody>;
    return typeof parsed.code === "string" && typeof parsed.message === "string"
      ? (parsed as ErrorBody)
      : undefined;
  } catch {
    return undefined;
  }
}
