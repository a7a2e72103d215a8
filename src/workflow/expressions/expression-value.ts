// Plain JSON values the engine passes in and gets back, with GitHub's truthiness and string conversion; no library types here.
import { formatNumber } from "./format-number.js";

export type ExpressionValue =
  null | boolean | number | string | ExpressionValue[] | { [key: string]: ExpressionValue };

/** Contexts by name (github, env, vars, secrets, inputs, needs, steps, matrix, strategy, job, runner, jobs), plain JSON values. */
export type Contexts = Record<string, ExpressionValue | undefined>;

/** GitHub docs "Literals": false, 0, -0, "", null (and NaN) are falsy; everything else, objects and arrays included, is truthy. */
export function isTruthy(v: ExpressionValue): boolean {
  if (v === null) return false;
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0 && !Number.isNaN(v);
  if (typeof v === "string") return v.length > 0;
  return true;
}

/** GitHub docs "Functions" cast table for primitives; objects and arrays, which GitHub does not cast, are shown as toJSON shows them. */
export function toDisplayString(v: ExpressionValue): string {
  if (v === null) return "";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "string") return v;
  return JSON.stringify(v, null, 2);
}
