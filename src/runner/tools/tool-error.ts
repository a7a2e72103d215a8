// Errors of the tool cache and the sources that fill it: one table of stable codes, thrown as ToolError.
import { HangarError } from "../hangar-error.js";

/** Contract: codes never change meaning; messages may improve. */
export const toolErrorCodes = {
  TOOL_VERSION_UNAVAILABLE: "no configured source has a version of the tool that satisfies what was asked",
  TOOL_VERSION_INVALID: "the version asked for is neither a version, a range nor an alias the action knows",
  TOOL_DOWNLOAD_FAILED: "a tool's index or archive could not be downloaded",
  TOOL_INTEGRITY_MISMATCH: "a downloaded archive does not match the checksum its source published",
  TOOL_INSTALL_FAILED: "a tool could not be unpacked into the tool cache",
  TOOL_SOURCE_INVALID: "a tool source setting names no known source or is not a URL",
} as const;

export type ToolErrorCode = keyof typeof toolErrorCodes;

export class ToolError extends HangarError<ToolErrorCode> {}
