// GitHub's naming rules for secrets and variables (docs "Using secrets in GitHub Actions → Naming your secrets"),
// and its size limit: names are case-insensitive, so hangar stores them upper-cased as GitHub shows them.
import { SecretError } from "./secret-error.js";

/** GitHub's limit for one secret or variable value. */
export const maxValueBytes = 48 * 1024;

export function normalizeValueName(kind: "secret" | "variable", name: string): string {
  const problem = !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)
    ? "may contain only letters, digits and underscores and must not start with a digit"
    : /^GITHUB_/i.test(name)
      ? "must not start with GITHUB_"
      : undefined;
  if (problem) throw new SecretError("SECRET_NAME_INVALID", `${kind} name '${name}' ${problem}`);
  return name.toUpperCase();
}

export function checkValue(kind: "secret" | "variable", name: string, value: string): void {
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes > maxValueBytes) {
    throw new SecretError(
      "SECRET_VALUE_INVALID",
      `${kind} ${name} is ${bytes} bytes; GitHub's limit, which hangar keeps, is ${maxValueBytes}`,
    );
  }
  if (kind === "secret" && value === "") {
    throw new SecretError("SECRET_VALUE_INVALID", `secret ${name} is empty; delete it instead`);
  }
}
