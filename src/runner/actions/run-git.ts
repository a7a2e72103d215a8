// Running the real `git` for the action store, with no prompt and, for private repositories, the job's token.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ActionStoreError } from "./action-store-error.js";

const execFileAsync = promisify(execFile);

export interface GitOptions {
  /** Sent as actions/checkout sends it: an `Authorization: basic` header for `x-access-token:<token>`. */
  token?: string;
}

export async function runGit(args: string[], options: GitOptions = {}): Promise<string> {
  try {
    // No prompt for credentials: a private repository without a token must fail, not hang.
    const { stdout } = await execFileAsync("git", args, {
      env: { ...process.env, GIT_TERMINAL_PROMPT: "0", ...authorizationConfig(options.token) },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout.trim();
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new ActionStoreError(
      "ACTION_GIT_FAILED",
      `git ${args.join(" ")} failed: ${stderr || String(error)}`,
      {
        cause: error,
      },
    );
  }
}

export async function tryGit(args: string[]): Promise<string | undefined> {
  try {
    return (await runGit(args)) || undefined;
  } catch (error) {
    if (error instanceof ActionStoreError) return undefined;
    throw error;
  }
}

/**
 * `http.extraHeader` given through git's environment config (GIT_CONFIG_COUNT, git >= 2.31) rather than `-c`: a
 * command line is readable by every user of the machine (`ps`) and lands in error messages; the environment is not.
 */
function authorizationConfig(token: string | undefined): Record<string, string> {
  if (!token) return {};
  const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
  return {
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: "http.extraHeader",
    GIT_CONFIG_VALUE_0: `Authorization: basic ${basic}`,
  };
}
