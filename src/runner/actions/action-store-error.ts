// Errors of the action store and action references: codes are a contract, messages say what to do next.
import { HangarError } from "../hangar-error.js";

/** Contract: codes never change meaning; messages may improve. */
export const actionStoreErrorCodes = {
  ACTION_REF_MALFORMED: "a `uses:` value or `actions add` argument is not owner/repo[/path]@ref",
  ACTION_NOT_IN_STORE: "the action is not in the action store and may not be fetched (offline)",
  ACTION_NOT_PINNED: "policy requires actions pinned to a full-length commit SHA",
  ACTION_SOURCE_INVALID: "`actions add --from` names neither a directory nor a git repository",
  ACTION_REF_NOT_FOUND: "the ref to add does not exist in the source repository",
  ACTION_GIT_FAILED: "git failed while adding an action",
  ACTION_FETCH_FAILED: "an action missing from the store could not be fetched from the configured GitHub",
  ACTION_TREE_INCOMPLETE: "the commit to store has objects git cannot read; nothing was stored",
} as const;

export type ActionStoreErrorCode = keyof typeof actionStoreErrorCodes;

export class ActionStoreError extends HangarError<ActionStoreErrorCode> {}
