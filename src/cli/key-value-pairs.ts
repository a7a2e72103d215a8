// Reads K=V flags and dotenv files (--secret, --var, --input, --secret-file, --env-file).
import { readFile } from "node:fs/promises";
import { parse } from "dotenv";
import { UsageError } from "./exit-codes.js";

export function parsePairs(pairs: string[], flag: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new UsageError(`${flag} ${pair}: expected KEY=VALUE`);
    result[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return result;
}

export async function readPairsFile(file: string): Promise<Record<string, string>> {
  try {
    return parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
}
