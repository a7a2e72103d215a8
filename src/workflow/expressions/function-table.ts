// Table of the functions hangar adds to the library's well-known ones (status checks and hashFiles); no evaluation logic.
import type { FunctionInfo } from "@actions/expressions/funcs/info";
import type { Conclusion } from "../../contracts/index.js";

/**
 * GitHub docs "Status check functions": what each returns for the status the host reports. `skipped`: a job-level
 * if whose needs include a skipped job and no failure; success() and failure() are both false.
 */
export const statusFunctions: Readonly<Record<string, (status: Conclusion) => boolean>> = {
  success: (status) => status === "success",
  failure: (status) => status === "failure",
  cancelled: (status) => status === "cancelled",
  always: () => true,
};

/** GitHub docs "hashFiles": one or more patterns (up to 255, as actions/runner declares it). */
export const hashFilesInfo: FunctionInfo = { name: "hashFiles", minArgs: 1, maxArgs: 255 };

/** Names and arity the parser accepts beyond the library's well-known functions. */
export const extensionFunctions: readonly FunctionInfo[] = [
  ...Object.keys(statusFunctions).map((name) => ({ name, minArgs: 0, maxArgs: 0 })),
  hashFilesInfo,
];
