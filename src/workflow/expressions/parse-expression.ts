// Lexes and parses expression text with GitHub's parser; owns the known context names and syntax-error messages (no evaluation).
import { data, ExpressionError, Lexer, Parser } from "@actions/expressions";
import { Literal, type Expr } from "@actions/expressions/ast";
import { MAX_EXPRESSION_LENGTH } from "@actions/expressions/errors";
import { TokenType, type Pos, type Token } from "@actions/expressions/lexer";
import { GitHubNumber } from "./expression-data.js";
import { ExpressionFailure } from "./expression-failure.js";
import { extensionFunctions } from "./function-table.js";
import { walkExpressionTree } from "./walk-expression-tree.js";

/** GitHub docs "Contexts": the named values an expression may start with. */
export const contextNames: readonly string[] = [
  "github",
  "env",
  "vars",
  "secrets",
  "inputs",
  "needs",
  "steps",
  "matrix",
  "strategy",
  "job",
  "runner",
  "jobs",
];

/** Parses one bare expression (no `${{ }}`); extra context names are accepted beside the known ones. */
export function parseExpression(expression: string, extraContextNames: readonly string[] = []): Expr {
  if (expression.trim() === "") throw syntaxFailure(expression, "An expression was expected");
  const tokens = lexExpression(expression);
  let tree: Expr;
  try {
    tree = new Parser(tokens, [...contextNames, ...extraContextNames], [...extensionFunctions]).parse();
  } catch (error) {
    if (error instanceof ExpressionError) {
      const at = positionOf(expression, error.pos);
      throw syntaxFailure(
        expression,
        `${error.message}. Located at position ${at} within expression: ${expression}`,
      );
    }
    throw syntaxFailure(expression, error instanceof Error ? error.message : String(error));
  }
  useGitHubNumbers(tree);
  return tree;
}

/** Static check for validation: the syntax error message, or undefined when the expression parses. */
export function checkExpressionSyntax(expression: string): string | undefined {
  try {
    parseExpression(expression);
    return undefined;
  } catch (error) {
    if (error instanceof ExpressionFailure) return error.message;
    throw error;
  }
}

function lexExpression(expression: string): Token[] {
  let tokens: Token[];
  try {
    tokens = new Lexer(expression).lex().tokens;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // The lexer reports this one by its enum name only.
    if (message === "ErrorExceededMaxLength") {
      throw syntaxFailure(expression, `Exceeded max expression length ${MAX_EXPRESSION_LENGTH}`);
    }
    throw syntaxFailure(expression, message);
  }
  for (const token of tokens) {
    // GitHub docs "Literals": every '' in a string is one quote; the library's lexer unescapes only the first.
    if (token.type === TokenType.STRING) token.value = token.lexeme.slice(1, -1).replaceAll("''", "'");
  }
  return tokens;
}

function useGitHubNumbers(tree: Expr): void {
  for (const node of walkExpressionTree(tree)) {
    if (node instanceof Literal && node.literal.kind === data.Kind.Number) {
      node.literal = new GitHubNumber(node.literal.number());
    }
  }
}

/** 1-based character position in the whole expression; the lexer counts lines and columns from 0. */
function positionOf(expression: string, pos: Pos): number {
  const lines = expression.split("\n");
  let offset = 0;
  for (let i = 0; i < pos.line && i < lines.length; i++) offset += (lines[i] ?? "").length + 1;
  return offset + pos.column + 1;
}

function syntaxFailure(expression: string, message: string): ExpressionFailure {
  return new ExpressionFailure("EXPR_SYNTAX", expression, message);
}
