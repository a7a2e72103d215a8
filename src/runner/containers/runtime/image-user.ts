// Turns an image's `User` ("name", "uid", "name:group", "uid:gid") into numeric ids from the image's own /etc files.
import { lstat, readFile } from "node:fs/promises";
import { join } from "node:path";
import { ContainerError } from "../container-error.js";
import type { ProcessUser } from "./oci-spec.js";

export async function resolveImageUser(rootfs: string, user: string): Promise<ProcessUser> {
  if (user === "") return { uid: 0, gid: 0 };
  const [userPart, groupPart] = user.split(":", 2);
  let uid: number;
  let gid: number | undefined;
  if (/^\d+$/.test(userPart)) {
    uid = Number(userPart);
    const entry = (await readDatabase(rootfs, "passwd")).find((fields) => fields[2] === userPart);
    if (entry) gid = Number(entry[3]);
  } else {
    const entry = (await readDatabase(rootfs, "passwd")).find((fields) => fields[0] === userPart);
    if (!entry) throw unknownUser(user, `no user '${userPart}' in the image's /etc/passwd`);
    uid = Number(entry[2]);
    gid = Number(entry[3]);
  }
  if (groupPart !== undefined && groupPart !== "") {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else {
      const entry = (await readDatabase(rootfs, "group")).find((fields) => fields[0] === groupPart);
      if (!entry) throw unknownUser(user, `no group '${groupPart}' in the image's /etc/group`);
      gid = Number(entry[2]);
    }
  }
  return { uid, gid: gid ?? 0 };
}

/** Colon-separated lines of /etc/passwd or /etc/group; a symlink is not followed (it could point into the host). */
async function readDatabase(rootfs: string, name: "passwd" | "group"): Promise<string[][]> {
  const path = join(rootfs, "etc", name);
  try {
    if (!(await lstat(path)).isFile()) return [];
    const text = await readFile(path, "utf8");
    return text
      .split("\n")
      .filter((line) => line !== "" && !line.startsWith("#"))
      .map((line) => line.split(":"));
  } catch {
    return [];
  }
}

function unknownUser(user: string, reason: string): ContainerError {
  return new ContainerError("CONTAINER_BAD_OPTION", `container user '${user}' cannot be used: ${reason}`);
}
