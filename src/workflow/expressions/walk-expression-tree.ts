// Depth-first walk over a parsed expression tree from @actions/expressions; read-only, knows no function or context names.
import {
  Binary,
  FunctionCall,
  Grouping,
  IndexAccess,
  Logical,
  Unary,
  type Expr,
} from "@actions/expressions/ast";

export function* walkExpressionTree(node: Expr): Generator<Expr> {
  yield node;
  if (node instanceof Binary) {
    yield* walkExpressionTree(node.left);
    yield* walkExpressionTree(node.right);
  } else if (node instanceof Unary) {
    yield* walkExpressionTree(node.expr);
  } else if (node instanceof Logical || node instanceof FunctionCall) {
    for (const arg of node.args) yield* walkExpressionTree(arg);
  } else if (node instanceof Grouping) {
    yield* walkExpressionTree(node.group);
  } else if (node instanceof IndexAccess) {
    yield* walkExpressionTree(node.expr);
    yield* walkExpressionTree(node.index);
  }
}

/** Whether the tree calls any of the given functions (names compared case-insensitively, as GitHub does). */
export function hasFunctionCall(tree: Expr, names: readonly string[]): boolean {
  const wanted = new Set(names.map((name) => name.toLowerCase()));
  for (const node of walkExpressionTree(tree)) {
    if (node instanceof FunctionCall && wanted.has(node.functionName.lexeme.toLowerCase())) return true;
  }
  return false;
}
