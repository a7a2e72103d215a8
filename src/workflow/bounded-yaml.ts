// Parses one YAML file and measures it as the template reader will see it, aliases expanded, refusing what passes
// workflowLimits; expands nothing itself, so a billion laughs costs what its text costs.
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  parseDocument,
  type Alias,
  type Document,
  type Node,
} from "yaml";
import type { Diagnostic, Position } from "./diagnostic.js";
import { workflowLimits } from "./workflow-limits.js";

export interface BoundedYaml {
  document: Document.Parsed;
  lineCounter: LineCounter;
  /** Each alias's anchored node, found once here (yaml's Alias.resolve walks the whole document per call). */
  aliasTargets: Map<Alias, Node>;
}

/** What one node holds once its aliases are expanded. */
interface Expansion {
  nodes: number;
  depth: number;
}

const empty: Expansion = { nodes: 0, depth: 0 };

// Lexer tokens that mark structure without being source text (yaml's CST.DOCUMENT, FLOW_END and SCALAR).
const markerTokens = new Set(["\x02", "\x18", "\x1f"]);

export function parseBoundedYaml(file: string, content: string): BoundedYaml | Diagnostic {
  const bytes = Buffer.byteLength(content, "utf8");
  if (bytes > workflowLimits.maxFileBytes) {
    const at = { line: 1, column: 1 };
    return refusal(
      file,
      at,
      at,
      "WF_TOO_LARGE",
      `the file is ${formatCount(bytes)} bytes, over the limit of ${formatCount(workflowLimits.maxFileBytes)}`,
    );
  }
  const deepFlow = findDeepFlow(content);
  if (deepFlow !== undefined) {
    const at = positionAt(content, deepFlow);
    return refusal(file, at, at, "WF_TOO_COMPLEX", depthMessage);
  }
  const lineCounter = new LineCounter();
  // The parser's own options (YamlObjectReader): source tokens keep block scalar headers; the template reader
  // reports duplicate keys itself.
  const document = parseDocument(content, { lineCounter, keepSourceTokens: true, uniqueKeys: false });
  const aliasTargets = new Map<Alias, Node>();
  if (document.errors.length > 0) return { document, lineCounter, aliasTargets };
  const refused = new ExpansionWalk(file, lineCounter, aliasTargets).measure(document.contents);
  return refused ?? { document, lineCounter, aliasTargets };
}

const depthMessage = `mappings and sequences nest deeper than the limit of ${formatCount(workflowLimits.maxDepth)} levels`;

/**
 * Walks the document once in yaml's order (node, then key, then value), so an alias finds the anchor yaml would: the
 * last one of its name before it. An anchored node's expansion is kept, so an alias costs one lookup.
 */
class ExpansionWalk {
  private readonly anchors = new Map<string, Node>();
  private readonly expansions = new Map<Node, Expansion>();
  private nodes = 0;
  private refused: Diagnostic | undefined;

  constructor(
    private readonly file: string,
    private readonly lineCounter: LineCounter,
    private readonly aliasTargets: Map<Alias, Node>,
  ) {}

  measure(root: unknown): Diagnostic | undefined {
    this.walk(root, 0);
    return this.refused;
  }

  private walk(node: unknown, depth: number): Expansion {
    if (this.refused) return empty;
    if (isAlias(node)) return this.expandAlias(node, depth);
    if (!isScalar(node) && !isMap(node) && !isSeq(node)) return empty;
    if (node.anchor) this.anchors.set(node.anchor, node);
    let expansion: Expansion = { nodes: 1, depth: 0 };
    if (isMap(node) || isSeq(node)) {
      if (depth + 1 > workflowLimits.maxDepth) return this.refuse(node, depthMessage);
      for (const item of node.items) {
        const children = isPair(item) ? [item.key, item.value] : [item];
        for (const child of children) {
          const inner = this.walk(child, depth + 1);
          expansion = { nodes: expansion.nodes + inner.nodes, depth: Math.max(expansion.depth, inner.depth) };
        }
      }
      expansion = { nodes: expansion.nodes, depth: expansion.depth + 1 };
    }
    this.addNodes(node, 1, "the file holds more than the limit of");
    if (node.anchor) this.expansions.set(node, expansion);
    return expansion;
  }

  private expandAlias(alias: Alias, depth: number): Expansion {
    const target = this.anchors.get(alias.source);
    // An alias without an anchor before it is a YAML error the parser reports itself.
    if (!target) return empty;
    const expansion = this.expansions.get(target);
    // Anchored but not yet measured: the alias is inside the node it names.
    if (!expansion)
      return this.refuse(alias, `alias *${alias.source} is inside the node it names, so it never ends`);
    this.aliasTargets.set(alias, target);
    if (depth + expansion.depth > workflowLimits.maxDepth)
      return this.refuse(alias, `alias *${alias.source} makes ${depthMessage}`);
    this.addNodes(alias, expansion.nodes, `alias *${alias.source} expands the file past the limit of`);
    return expansion;
  }

  private addNodes(node: Node, nodes: number, message: string): void {
    this.nodes += nodes;
    if (this.nodes > workflowLimits.maxNodes && !this.refused)
      this.refuse(node, `${message} ${formatCount(workflowLimits.maxNodes)} YAML nodes`);
  }

  private refuse(node: Node, message: string): Expansion {
    const [start, end] = (node.range ?? [0, 0]).slice(0, 2).map((offset) => {
      const { line, col } = this.lineCounter.linePos(offset);
      return { line, column: col };
    }) as [Position, Position];
    this.refused ??= refusal(this.file, start, end, "WF_TOO_COMPLEX", message);
    return empty;
  }
}

/**
 * yaml's CST parser slows with each level of flow nesting (40 s for 400 KB of `[`), so that nesting is counted on
 * the lexer's tokens first; returns the offset of the first bracket past the limit.
 */
function findDeepFlow(content: string): number | undefined {
  let depth = 0;
  let offset = 0;
  for (const token of new Lexer().lex(content)) {
    if (token === "[" || token === "{") {
      if (++depth > workflowLimits.maxDepth) return offset;
    } else if (token === "]" || token === "}") depth--;
    if (!markerTokens.has(token)) offset += token.length;
  }
  return undefined;
}

function formatCount(value: number): string {
  return value.toLocaleString("en-US");
}

function positionAt(content: string, offset: number): Position {
  const before = content.slice(0, offset);
  const lineStart = before.lastIndexOf("\n") + 1;
  return { line: before.split("\n").length, column: offset - lineStart + 1 };
}

function refusal(
  file: string,
  start: Position,
  end: Position,
  code: "WF_TOO_LARGE" | "WF_TOO_COMPLEX",
  message: string,
): Diagnostic {
  return { code, message, file, start, end, severity: "error" };
}
