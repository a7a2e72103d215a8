// The actor recorded for admin commands run on the server host directly against the store (`hangar token`, ...).
import os from "node:os";

/** `local:<os user>`: the `:` keeps it apart from API token users, which may not contain one. */
export function localActor(): string {
  return `local:${os.userInfo().username}`;
}
