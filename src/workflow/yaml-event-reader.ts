// Feeds a measured YAML document to GitHub's template reader, event for event as the parser's own YamlObjectReader
// does; ours because that one resolves each alias by walking the whole document (2.4 s for 800 aliases).
import { isAlias, isDocument, isMap, isPair, isScalar, isSeq, type CST, type Scalar } from "yaml";
import { EventType, ParseEvent } from "@actions/workflow-parser/templates/parse-event";
import type { ObjectReader } from "@actions/workflow-parser/templates/object-reader";
import {
  BooleanToken,
  MappingToken,
  NullToken,
  NumberToken,
  SequenceToken,
  StringToken,
  type LiteralToken,
} from "@actions/workflow-parser/templates/tokens/index";
import type { TokenRange } from "@actions/workflow-parser/templates/tokens/token-range";
import type { BoundedYaml } from "./bounded-yaml.js";

export class YamlEventReader implements ObjectReader {
  private readonly events: Generator<ParseEvent, void>;
  private current: IteratorResult<ParseEvent, void> | undefined;

  constructor(
    private readonly fileId: number,
    private readonly yaml: BoundedYaml,
  ) {
    this.events = this.read(yaml.document);
  }

  allowLiteral(): LiteralToken | undefined {
    return this.take(EventType.Literal) as LiteralToken | undefined;
  }

  allowSequenceStart(): SequenceToken | undefined {
    return this.take(EventType.SequenceStart) as SequenceToken | undefined;
  }

  allowSequenceEnd(): boolean {
    return this.skip(EventType.SequenceEnd);
  }

  allowMappingStart(): MappingToken | undefined {
    return this.take(EventType.MappingStart) as MappingToken | undefined;
  }

  allowMappingEnd(): boolean {
    return this.skip(EventType.MappingEnd);
  }

  validateStart(): void {
    this.current ??= this.events.next();
    if (!this.skip(EventType.DocumentStart)) throw new Error("Expected start of reader");
  }

  validateEnd(): void {
    if (!this.skip(EventType.DocumentEnd)) throw new Error("Expected end of reader");
  }

  private take(type: EventType): ParseEvent["token"] {
    const event = this.current;
    if (!event || event.done || event.value.type !== type) return undefined;
    this.current = this.events.next();
    return event.value.token;
  }

  private skip(type: EventType): boolean {
    const event = this.current;
    if (!event || event.done || event.value.type !== type) return false;
    this.current = this.events.next();
    return true;
  }

  private *read(node: unknown): Generator<ParseEvent, void> {
    if (isDocument(node)) {
      yield new ParseEvent(EventType.DocumentStart);
      yield* this.read(node.contents);
      yield new ParseEvent(EventType.DocumentEnd);
    } else if (isSeq(node) || isMap(node)) {
      const range = this.rangeOf(node.range);
      yield isSeq(node)
        ? new ParseEvent(EventType.SequenceStart, new SequenceToken(this.fileId, range, undefined))
        : new ParseEvent(EventType.MappingStart, new MappingToken(this.fileId, range, undefined));
      for (const item of node.items) yield* this.read(item);
      yield new ParseEvent(isSeq(node) ? EventType.SequenceEnd : EventType.MappingEnd);
    } else if (isScalar(node)) {
      yield new ParseEvent(EventType.Literal, this.literal(node));
    } else if (isAlias(node)) {
      const target = this.yaml.aliasTargets.get(node);
      if (target) yield* this.read(target);
    } else if (isPair(node)) {
      // Keys are read as strings, whatever YAML made of them, as the parser's reader does.
      const key = node.key as Scalar | null;
      yield new ParseEvent(
        EventType.Literal,
        new StringToken(this.fileId, this.rangeOf(key?.range), key?.value as string, undefined),
      );
      yield* this.read(node.value);
    }
  }

  private literal(node: Scalar): LiteralToken {
    const range = this.rangeOf(node.range);
    const value = node.value;
    if (value === null || value === undefined) return new NullToken(this.fileId, range, undefined);
    if (typeof value === "number") return new NumberToken(this.fileId, range, value, undefined);
    if (typeof value === "boolean") return new BooleanToken(this.fileId, range, value, undefined);
    if (typeof value !== "string")
      throw new Error(`Unexpected value type '${typeof value}' when reading object`);
    const source = node.srcToken && "source" in node.srcToken ? node.srcToken.source : undefined;
    // The header (`|-`, `>+`) tells the expression reader how the block scalar was folded and chomped.
    const header =
      node.srcToken?.type === "block-scalar"
        ? node.srcToken.props.find((prop): prop is CST.SourceToken => prop.type === "block-scalar-header")
            ?.source
        : undefined;
    return new StringToken(this.fileId, range, value, undefined, source, header);
  }

  private rangeOf(range: readonly number[] | null | undefined): TokenRange | undefined {
    if (range?.[0] === undefined || range[1] === undefined) return undefined;
    const start = this.yaml.lineCounter.linePos(range[0]);
    const end = this.yaml.lineCounter.linePos(range[1]);
    return { start: { line: start.line, column: start.col }, end: { line: end.line, column: end.col } };
  }
}
