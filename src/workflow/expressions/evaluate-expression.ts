// Evaluates one expression or if: condition against plain JSON contexts with GitHub's evaluator; owns the status and hashFiles hooks.
import { data, Evaluator } from "@actions/expressions";
import type { Expr } from "@actions/expressions/ast";
import type { FunctionDefinition } from "@actions/expressions/funcs/info";
import { fromData, parseJsonData, toContextDictionary } from "./expression-data.js";
import { ExpressionFailure, toEvaluationFailure } from "./expression-failure.js";
import type { Contexts, ExpressionValue } from "./expression-value.js";
import { isTruthy } from "./expression-value.js";
import type { Conclusion } from "../../contracts/index.js";
import { hashFilesInfo, statusFunctions } from "./function-table.js";
import { contextNames, parseExpression } from "./parse-expression.js";
import { splitTemplate } from "./split-template.js";
import { hasFunctionCall } from "./walk-expression-tree.js";

export interface EvaluationHost {
  /** Status the status functions see: the job's status for step-level ifs, the combined status of the job's needs for job-level ifs. */
  status?: Conclusion;
  /** GitHub's hashFiles; async because it reads files. Absent => calling hashFiles is an evaluation error. */
  hashFiles?: (patterns: string[]) => Promise<string>;
}

export async function evaluateExpression(
  expression: string,
  contexts: Contexts,
  host: EvaluationHost = {},
): Promise<ExpressionValue> {
  const tree = parseExpression(expression, Object.keys(contexts));
  return evaluateTree(tree, expression, contexts, host);
}

/**
 * GitHub docs "Status check functions": an if: without success(), failure(), always() or cancelled() is evaluated as
 * `success() && (expr)`; an empty one as success(). The `${{ }}` around a whole condition is optional.
 */
export async function evaluateCondition(
  expression: string,
  contexts: Contexts,
  host: EvaluationHost = {},
): Promise<boolean> {
  const condition = unwrapWholeExpression(expression).trim() || "success()";
  const tree = parseExpression(condition, Object.keys(contexts));
  const checked = hasFunctionCall(tree, Object.keys(statusFunctions))
    ? tree
    : parseExpression(`success() && (${condition})`, Object.keys(contexts));
  return isTruthy(await evaluateTree(checked, condition, contexts, host));
}

function unwrapWholeExpression(text: string): string {
  const trimmed = text.trim();
  // A bare condition may hold '${{' inside a string literal, so only a leading ${{ marks a wrapped one.
  if (!trimmed.startsWith("${{")) return trimmed;
  const segments = splitTemplate(trimmed);
  const [only] = segments;
  return segments.length === 1 && only?.kind === "expression" ? only.text : trimmed;
}

/** Thrown by the synchronous hashFiles stand-in when a result is not known yet; never escapes this file. */
class HashFilesNeeded extends Error {
  constructor(readonly patterns: string[]) {
    super("hashFiles result not computed yet");
  }
}

/**
 * The library's evaluator is synchronous and hashFiles reads files, so evaluation runs until it reaches a hashFiles
 * call whose result is unknown, awaits the host and runs again (evaluation is pure, so re-running is safe). Unlike
 * computing every hashFiles call up front, this keeps && and || short-circuiting exactly as GitHub does.
 */
async function evaluateTree(
  tree: Expr,
  expression: string,
  contexts: Contexts,
  host: EvaluationHost,
): Promise<ExpressionValue> {
  const root = toContextDictionary(contexts, contextNames);
  const hashes = new Map<string, string>();
  const functions = buildFunctions(host, hashes);
  for (;;) {
    try {
      return fromData(new Evaluator(tree, root, functions).evaluate());
    } catch (error) {
      const needed = findHashFilesNeeded(error);
      if (!needed) throw toEvaluationFailure(expression, error);
      hashes.set(hashKey(needed.patterns), await hashWithHost(expression, host, needed.patterns));
    }
  }
}

async function hashWithHost(expression: string, host: EvaluationHost, patterns: string[]): Promise<string> {
  if (!host.hashFiles) {
    throw new ExpressionFailure(
      "EXPR_EVALUATION",
      expression,
      `Cannot evaluate '${expression}': hashFiles is not available here`,
    );
  }
  try {
    return await host.hashFiles(patterns);
  } catch (error) {
    throw toEvaluationFailure(expression, error);
  }
}

function buildFunctions(host: EvaluationHost, hashes: Map<string, string>): Map<string, FunctionDefinition> {
  const functions = new Map<string, FunctionDefinition>();
  const status = host.status ?? "success";
  for (const [name, check] of Object.entries(statusFunctions)) {
    functions.set(name.toLowerCase(), {
      name,
      minArgs: 0,
      maxArgs: 0,
      call: () => new data.BooleanData(check(status)),
    });
  }
  functions.set(hashFilesInfo.name.toLowerCase(), {
    ...hashFilesInfo,
    call: (...args) => {
      const patterns = args.map((arg) => arg.coerceString());
      const hash = hashes.get(hashKey(patterns));
      if (hash === undefined) throw new HashFilesNeeded(patterns);
      return new data.StringData(hash);
    },
  });
  // The library's fromJSON builds plain numbers; ours format as GitHub does (see expression-data.ts).
  functions.set("fromjson", {
    name: "fromJSON",
    minArgs: 1,
    maxArgs: 1,
    call: (arg) => parseJsonData(arg.coerceString()),
  });
  return functions;
}

function hashKey(patterns: string[]): string {
  return JSON.stringify(patterns);
}

/** The library wraps some errors (e.g. in index evaluation) with the original as cause. */
function findHashFilesNeeded(error: unknown): HashFilesNeeded | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current instanceof HashFilesNeeded) return current;
  }
  return undefined;
}
