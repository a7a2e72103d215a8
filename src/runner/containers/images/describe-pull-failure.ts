// Maps what skopeo printed when a copy failed onto one ContainerError code with a message naming image and registry.
import { ContainerError, type ContainerErrorCode } from "../container-error.js";
import { lastMessage, type ToolFailure } from "./run-image-tool.js";

interface PullFailureRule {
  code: ContainerErrorCode;
  /** Matched against skopeo's last message; the first rule that matches wins. */
  pattern: RegExp;
  describe(context: PullContext, detail: string): string;
}

interface PullContext {
  reference: string;
  registry: string;
  hasCredentials: boolean;
}

const networkCauses =
  /connection refused|no such host|i\/o timeout|network is unreachable|no route to host|connection reset|server gave HTTP response to HTTPS client|x509: [^"]*|tls: [^"]*/;

const pullFailureRules: PullFailureRule[] = [
  {
    code: "IMAGE_NOT_FOUND",
    pattern: /manifest unknown|name unknown|not found: manifest|repository name not known/,
    describe: ({ reference, registry }) =>
      `image '${reference}' not found: registry ${registry} answered manifest unknown (no such repository or tag)`,
  },
  {
    code: "REGISTRY_UNAUTHORIZED",
    pattern: /unauthorized|authentication required|requested access to the resource is denied|denied:/,
    describe: ({ reference, registry, hasCredentials }) =>
      hasCredentials
        ? `registry ${registry} refused the credentials given for '${reference}' (unauthorized)`
        : `registry ${registry} requires credentials for '${reference}' and none were given (unauthorized); ` +
          "a registry may also answer so for an image that does not exist",
  },
  {
    code: "REGISTRY_UNREACHABLE",
    pattern: networkCauses,
    describe: ({ reference, registry }, detail) =>
      `cannot reach registry ${registry} to pull '${reference}': ${networkCauses.exec(detail)?.[0] ?? detail}`,
  },
];

export function describePullFailure(failure: ToolFailure, context: PullContext): ContainerError {
  const detail = lastMessage(failure.stderr);
  for (const rule of pullFailureRules) {
    if (rule.pattern.test(detail)) {
      return new ContainerError(rule.code, rule.describe(context, detail), { cause: failure });
    }
  }
  return new ContainerError(
    "IMAGE_PULL_FAILED",
    `skopeo could not pull '${context.reference}' from ${context.registry}: ${detail}`,
    { cause: failure },
  );
}

/** The message for failures outside a pull (unpack, import), with the tool's own words. */
export function toolFailureMessage(failure: unknown): string {
  if (failure instanceof Error && "stderr" in failure) return lastMessage(String(failure.stderr));
  return failure instanceof Error ? failure.message : String(failure);
}
