// A job's `environment:`: a name, or `{ name, url }`. Per GitHub's docs ("Using environments for deployment") the
// name is evaluated before the job runs and the url after it, so the url may use `steps.<id>.outputs`.
import { isMapping } from "@actions/workflow-parser";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import { toDisplayString, type Contexts, type JobModel } from "../workflow/index.js";
import { evaluateOrFail } from "./evaluation.js";

/** The environment a job deploys to, as the engine evaluated it before the job and the runner after. */
export interface JobEnvironment {
  name: string;
  url?: string;
}

/** The environment's name, or undefined when the job names none (or an empty one, which GitHub ignores). */
export async function evaluateEnvironmentName(
  file: string,
  job: JobModel,
  contexts: Contexts,
): Promise<string | undefined> {
  const token = job.environment;
  if (!token) return undefined;
  const nameToken = isMapping(token) ? token.find("name") : token;
  if (!nameToken) return undefined;
  const name = toDisplayString(await evaluateOrFail(file, nameToken, contexts)).trim();
  return name || undefined;
}

/** The url with the job's final contexts (steps included); undefined when the job names none. */
export async function evaluateEnvironmentUrl(
  file: string,
  job: JobModel,
  contexts: Contexts,
): Promise<string | undefined> {
  const token: TemplateToken | undefined = job.environment;
  const urlToken = token && isMapping(token) ? token.find("url") : undefined;
  if (!urlToken) return undefined;
  const url = toDisplayString(await evaluateOrFail(file, urlToken, contexts)).trim();
  return url || undefined;
}
