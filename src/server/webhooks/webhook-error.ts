// The webhook surface's error codes with their HTTP statuses, and the one shape errors leave in.

/** Contract: codes never change meaning; messages may improve. */
export const webhookErrorCodes = {
  WEBHOOK_HEADER_MISSING: {
    statusCode: 400,
    message: "a required X-GitHub-* header is missing or malformed",
  },
  WEBHOOK_PAYLOAD_INVALID: { statusCode: 400, message: "the body is not a JSON webhook payload" },
  WEBHOOK_REPOSITORY_MISSING: { statusCode: 400, message: "the payload names no repository.full_name" },
  WEBHOOK_SIGNATURE_INVALID: { statusCode: 401, message: "X-Hub-Signature-256 is missing or does not match" },
  WEBHOOK_REPOSITORY_UNKNOWN: { statusCode: 404, message: "the repository is not registered with hangar" },
  WEBHOOK_BODY_TOO_LARGE: { statusCode: 413, message: "the payload is larger than the body limit" },
  WEBHOOK_REQUEST_INVALID: { statusCode: 400, message: "the request cannot be handled" },
  WEBHOOK_INTERNAL: { statusCode: 500, message: "hangar failed while handling the delivery" },
} as const;

export type WebhookErrorCode = keyof typeof webhookErrorCodes;

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
}

export class WebhookError extends Error {
  readonly statusCode: number;

  constructor(
    readonly code: WebhookErrorCode,
    message: string = webhookErrorCodes[code].message,
  ) {
    super(message);
    this.name = "WebhookError";
    this.statusCode = webhookErrorCodes[code].statusCode;
  }
}

/** Fastify's own errors that can reach this surface, in the surface's codes. */
const fastifyErrorCodes: Readonly<Record<string, WebhookErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "WEBHOOK_BODY_TOO_LARGE",
  FST_ERR_VALIDATION: "WEBHOOK_HEADER_MISSING",
};

/** 4xx keep their message (it describes the caller's mistake); 5xx never expose ours. */
export function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof WebhookError) {
    return { statusCode: error.statusCode, code: error.code, message: error.message };
  }
  const fastifyCode = (error as { code?: unknown } | null)?.code;
  const mapped = typeof fastifyCode === "string" ? fastifyErrorCodes[fastifyCode] : undefined;
  if (mapped !== undefined) {
    const { statusCode } = webhookErrorCodes[mapped];
    return { statusCode, code: mapped, message: (error as Error).message };
  }
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === "number" && statusCode >= 400 && statusCode < 500) {
    return { statusCode, code: "WEBHOOK_REQUEST_INVALID", message: (error as Error).message };
  }
  return { statusCode: 500, code: "WEBHOOK_INTERNAL", message: webhookErrorCodes.WEBHOOK_INTERNAL.message };
}
