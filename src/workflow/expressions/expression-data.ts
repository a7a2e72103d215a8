// Converts plain JSON values to and from @actions/expressions data; owns the number class that formats as GitHub does.
import { data } from "@actions/expressions";
import JSON5 from "json5";
import type { Contexts, ExpressionValue } from "./expression-value.js";
import { formatNumber } from "./format-number.js";

/** The library formats numbers with toFixed(15); GitHub uses "G15" (see format-number.ts), which format(), join() and contains() see through this. */
export class GitHubNumber extends data.NumberData {
  override coerceString(): string {
    return formatNumber(this.value);
  }
}

export function toData(value: ExpressionValue | undefined): data.ExpressionData {
  if (value === null || value === undefined) return new data.Null();
  if (typeof value === "boolean") return new data.BooleanData(value);
  if (typeof value === "number") return new GitHubNumber(value);
  if (typeof value === "string") return new data.StringData(value);
  if (Array.isArray(value)) return new data.Array(...value.map(toData));
  return new data.Dictionary(...Object.entries(value).map(([key, entry]) => ({ key, value: toData(entry) })));
}

export function fromData(value: data.ExpressionData): ExpressionValue {
  switch (value.kind) {
    case data.Kind.Null:
      return null;
    case data.Kind.Boolean:
    case data.Kind.Number:
    case data.Kind.String:
      return (value as data.BooleanData | data.NumberData | data.StringData).value;
    case data.Kind.Array:
      return (value as data.Array).values().map(fromData);
    default: {
      const result: { [key: string]: ExpressionValue } = {};
      // defineProperty so a key named __proto__ stays a plain key
      for (const pair of (value as data.Dictionary).pairs()) {
        Object.defineProperty(result, pair.key, {
          value: fromData(pair.value),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return result;
    }
  }
}

/** Every known context name resolves (to null when absent): the evaluator returns undefined for a missing top-level name. */
export function toContextDictionary(contexts: Contexts, names: readonly string[]): data.Dictionary {
  const root = new data.Dictionary();
  for (const [name, value] of Object.entries(contexts)) root.add(name, toData(value));
  for (const name of names) root.add(name, new data.Null());
  return root;
}

/**
 * fromJSON that builds GitHubNumber values, with the library's messages.
 * GitHub parses with Newtonsoft's JsonTextReader, which also takes single-quoted strings, unquoted
 * property names, trailing commas and comments; JSON5 accepts the same (actions/runner FromJson.cs).
 */
export function parseJsonData(text: string): data.ExpressionData {
  if (text.trim() === "") throw new Error("empty input");
  let parsed: unknown;
  try {
    parsed = JSON5.parse(text);
  } catch (error) {
    throw new Error("Error parsing JSON when evaluating fromJson", { cause: error });
  }
  return toData(parsed as ExpressionValue);
}
