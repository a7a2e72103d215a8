// Makes real git repositories in temp dirs for tests.
import { execFileSync } from "node:child_process";
import { cp, mkdtemp, mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export async function makeGitRepo(files: Record<string, string>, copyFrom?: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "hangar-repo-"));
  if (copyFrom) await cp(copyFrom, dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  const git = (...args: string[]) => execFileSync("git", ["-C", dir, ...args], { stdio: "pipe" });
  git("init", "-q", "-b", "main");
  git("config", "user.name", "Test User");
  git("config", "user.email", "test@example.com");
  git("remote", "add", "origin", "https://github.com/octo-org/octo-repo.git");
  git("add", "-A");
  git("commit", "-q", "-m", "initial");
  return dir;
}
