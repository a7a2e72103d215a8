// Evaluates a template token tree from @actions/workflow-parser into a plain JSON value; parsing and schema checks stay in the parser.
import type { BasicExpressionToken } from "@actions/workflow-parser/templates/tokens/basic-expression-token";
import type { MappingToken } from "@actions/workflow-parser/templates/tokens/mapping-token";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import {
  isBasicExpression,
  isBoolean,
  isLiteral,
  isMapping,
  isNumber,
  isSequence,
  isString,
} from "@actions/workflow-parser/templates/tokens/type-guards";
import { parse as parseYaml } from "yaml";
import { TokenType } from "@actions/workflow-parser/templates/tokens/types";
import { evaluateExpression, type EvaluationHost } from "./evaluate-expression.js";
import { ExpressionFailure } from "./expression-failure.js";
import type { Contexts, ExpressionValue } from "./expression-value.js";
import { toDisplayString } from "./expression-value.js";
import { interpolateString } from "./interpolate-string.js";

/**
 * The parser has already rewritten `a ${{ x }} b` into `format('a {0} b', x)`, so an expression token that is a
 * whole field yields its typed value and one embedded in text yields a string, with no special case here.
 */
export async function evaluateToken(
  token: TemplateToken,
  contexts: Contexts,
  host?: EvaluationHost,
): Promise<ExpressionValue> {
  if (isBasicExpression(token)) {
    const blockText = readBlockScalar(token);
    const [only, ...others] = token.originalExpressions ?? [];
    // GitHub reads the block's value: one that is a whole `${{ }}` is that expression's value, as in any field.
    if (blockText !== undefined && only && others.length === 0 && isWholeExpression(blockText)) {
      return evaluateExpression(only.expression, contexts, host);
    }
    if (blockText !== undefined) return interpolateString(blockText, contexts, host);
    return evaluateExpression(token.expression, contexts, host);
  }
  if (isString(token)) return token.value;
  if (isNumber(token)) return token.value;
  if (isBoolean(token)) return token.value;
  if (isLiteral(token)) return null;
  if (isSequence(token)) {
    const items: ExpressionValue[] = [];
    for (const item of token) {
      const value = await evaluateToken(item, contexts, host);
      // GitHub's TemplateUnraveler splices a sequence item expression that yields a sequence (SequenceItemBasicExpression).
      if (isBasicExpression(item) && Array.isArray(value)) items.push(...value);
      else items.push(value);
    }
    return items;
  }
  if (isMapping(token)) return evaluateMapping(token, contexts, host);
  throw new ExpressionFailure(
    "EXPR_EVALUATION",
    token.toString(),
    `The directive '${token.toString()}' is only allowed as a mapping key`,
  );
}

async function evaluateMapping(
  token: MappingToken,
  contexts: Contexts,
  host: EvaluationHost | undefined,
): Promise<ExpressionValue> {
  const result = new Map<string, ExpressionValue>();
  const upperKeys = new Set<string>();
  // Same rule as the parser's template reader: keys are unique ignoring case.
  const add = (key: string, value: ExpressionValue, expression: string) => {
    if (upperKeys.has(key.toUpperCase())) {
      throw new ExpressionFailure("EXPR_EVALUATION", expression, `'${key}' is already defined`);
    }
    upperKeys.add(key.toUpperCase());
    result.set(key, value);
  };
  for (const { key, value } of token) {
    if (key.templateTokenType === TokenType.InsertExpression) {
      // GitHub's `${{ insert }}` splices the pairs of a mapping-valued expression in place.
      const inserted = await evaluateToken(value, contexts, host);
      const source = isBasicExpression(value) ? value.expression : value.toString();
      if (inserted === null || typeof inserted !== "object" || Array.isArray(inserted)) {
        throw new ExpressionFailure(
          "EXPR_EVALUATION",
          source,
          `The value of '\${{ insert }}' must be a mapping: ${source}`,
        );
      }
      for (const [insertedKey, insertedValue] of Object.entries(inserted))
        add(insertedKey, insertedValue, source);
      continue;
    }
    const keyText = isBasicExpression(key) ? await evaluateKey(key, contexts, host) : key.toString();
    add(keyText, await evaluateToken(value, contexts, host), keyText);
  }
  return toPlainObject(result);
}

async function evaluateKey(key: BasicExpressionToken, contexts: Contexts, host: EvaluationHost | undefined) {
  return toDisplayString(await evaluateExpression(key.expression, contexts, host));
}

function toPlainObject(entries: Map<string, ExpressionValue>): { [key: string]: ExpressionValue } {
  const result: { [key: string]: ExpressionValue } = {};
  // defineProperty so a key named __proto__ stays a plain key
  for (const [key, value] of entries) {
    Object.defineProperty(result, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return result;
}

function isWholeExpression(text: string): boolean {
  return text.startsWith("${{") && text.endsWith("}}") && text.indexOf("${{", 3) === -1;
}

/**
 * The parser builds the format() of a block scalar (`run: |`) from its raw source, indentation included; YAML's own
 * block rules (indentation, chomping, folding) are re-applied by re-reading that source with its header.
 */
function readBlockScalar(token: BasicExpressionToken): string | undefined {
  if (!token.blockScalarHeader || token.source === undefined) return undefined;
  const value: unknown = parseYaml(`block: ${token.blockScalarHeader}\n${token.source}`);
  const text = (value as { block?: unknown } | null)?.block;
  return typeof text === "string" ? text : undefined;
}
