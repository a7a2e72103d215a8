// `--github-url` and `--offline` as `hangar run` and `hangar serve` read them: where actions missing from the store
// come from.
import type { ActionSource } from "../runner/index.js";
import { UsageError } from "./exit-codes.js";

/**
 * The web URL of a GitHub given by either of its URLs: the REST API lives at api.github.com for github.com and at
 * /api/v3 on GitHub Enterprise Server (docs "REST API endpoints" base URLs).
 */
export function readActionSource(values: { "github-url"?: string; offline?: boolean }): ActionSource {
  const given = values["github-url"] ?? "https://github.com";
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new UsageError(`--github-url must be an http(s) URL, got '${given}'`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new UsageError(`--github-url must be an http(s) URL, got '${given}'`);
  if (url.hostname === "api.github.com") url.hostname = "github.com";
  url.pathname = url.pathname.replace(/\/api\/v3\/?$/, "");
  url.search = "";
  return { githubUrl: url.toString().replace(/\/+$/, ""), offline: values.offline ?? false };
}
