// Where a command keeps its data: the --data-dir and --database-url flags with their environment defaults.
import path from "node:path";
import { defaultDataDir } from "../runner/index.js";

export function dataDirOption(flag: string | undefined): string {
  return flag ? path.resolve(flag) : defaultDataDir();
}

/** PostgreSQL when given (flag, then $DATABASE_URL); undefined means the embedded SQLite file. */
export function databaseUrlOption(flag: string | undefined): string | undefined {
  return flag ?? process.env["DATABASE_URL"];
}
