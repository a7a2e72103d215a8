// The webhook surface's public parts: the fastify plugin for POST /webhooks/github and its error codes.
export {
  defaultWebhookBodyLimit,
  webhookPlugin,
  type WebhookEvent,
  type WebhookPluginOptions,
} from "./webhook-plugin.js";
export {
  toErrorBody,
  WebhookError,
  webhookErrorCodes,
  type ErrorBody,
  type WebhookErrorCode,
} from "./webhook-error.js";
