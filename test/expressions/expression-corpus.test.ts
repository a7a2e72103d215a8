// Runs every case in testdata/expressions/*.json against the expression layer: one loop, one checker per corpus kind.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";
import { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import { isMapping, isSequence } from "@actions/workflow-parser/templates/tokens/type-guards";
import {
  checkExpressionSyntax,
  evaluateCondition,
  evaluateExpression,
  evaluateToken,
  ExpressionFailure,
  interpolateString,
  isTruthy,
  toDisplayString,
  type Contexts,
  type EvaluationHost,
  type ExpressionValue,
} from "../../src/workflow/expressions/index.js";

const corpusDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../testdata/expressions");

interface HostSpec {
  status?: "success" | "failure" | "cancelled";
  /** Fake hashFiles results keyed by the patterns joined with ",". */
  hashes?: Record<string, string>;
  /** When set, the fake hashFiles rejects with this message. */
  hashError?: string;
}

interface Case {
  note?: string;
  expression?: string;
  text?: string;
  workflow?: string;
  source?: "raw" | "model";
  path?: (string | number)[];
  contexts?: string | Contexts;
  host?: HostSpec;
  expected?: ExpressionValue;
  error?: { code: string; message: string } | string | null;
  hashCalls?: string[][];
  value?: ExpressionValue;
  display?: string;
  truthy?: boolean;
}

interface Corpus {
  kind: keyof typeof checkers;
  doc: string;
  cases: Case[];
}

function readJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(path.join(corpusDir, ...parts), "utf8")) as T;
}

function resolveContexts(spec: Case["contexts"]): Contexts {
  if (spec === undefined) return {};
  return typeof spec === "string" ? readJson<Contexts>("contexts", `${spec}.json`) : spec;
}

/** The hashFiles callback is the host's injected boundary, so a fake that records its calls stands in for the runner. */
function buildHost(spec: HostSpec | undefined): { host: EvaluationHost; calls: string[][] } {
  const calls: string[][] = [];
  const host: EvaluationHost = {};
  if (spec?.status) host.status = spec.status;
  const hashes = spec?.hashes;
  if (hashes) {
    host.hashFiles = async (patterns) => {
      calls.push(patterns);
      if (spec.hashError) throw new Error(spec.hashError);
      const hash = hashes[patterns.join(",")];
      if (hash === undefined) throw new Error(`no fake hash for ${patterns.join(",")}`);
      return hash;
    };
  }
  return { host, calls };
}

async function expectOutcome(c: Case, run: () => Promise<unknown>): Promise<void> {
  const expectedError = c.error;
  if (expectedError && typeof expectedError === "object") {
    await assert.rejects(run, (error: unknown) => {
      assert.ok(error instanceof ExpressionFailure, `expected an ExpressionFailure, got ${String(error)}`);
      assert.equal(error.code, expectedError.code);
      assert.ok(
        error.message.includes(expectedError.message),
        `message ${JSON.stringify(error.message)} lacks ${JSON.stringify(expectedError.message)}`,
      );
      if (c.expression !== undefined && c.expression.trim() !== "") {
        assert.ok(error.message.includes(c.expression.trim()), "the message names the expression");
      }
      return true;
    });
    return;
  }
  assert.ok("expected" in c, "a case needs expected or error");
  assert.deepStrictEqual(await run(), c.expected);
}

const parsedWorkflows = new Map<string, ReturnType<typeof parseWorkflow>>();

function parseFixture(name: string): ReturnType<typeof parseWorkflow> {
  let result = parsedWorkflows.get(name);
  if (!result) {
    const content = readFileSync(path.join(corpusDir, "workflows", name), "utf8");
    result = parseWorkflow({ name, content }, new NoOperationTraceWriter());
    assert.deepEqual(
      result.context.errors.getErrors().map((e) => e.message),
      [],
      "the fixture parses cleanly",
    );
    parsedWorkflows.set(name, result);
  }
  return result;
}

async function selectToken(c: Case): Promise<TemplateToken> {
  assert.ok(c.workflow && c.path, "a token case needs workflow and path");
  const parsed = parseFixture(c.workflow);
  assert.ok(parsed.value, "the fixture has a template");
  let current: unknown =
    c.source === "model" ? await convertWorkflowTemplate(parsed.context, parsed.value) : parsed.value;
  for (const part of c.path) {
    if (current instanceof TemplateToken && isMapping(current)) current = current.find(String(part));
    else if (current instanceof TemplateToken && isSequence(current)) current = current.get(Number(part));
    else current = (current as Record<string | number, unknown>)[part];
    assert.ok(current !== undefined, `path ${c.path.join(".")} stops at ${part}`);
  }
  assert.ok(current instanceof TemplateToken, `path ${c.path.join(".")} is a token`);
  return current;
}

const checkers = {
  async evaluate(c: Case) {
    const { host, calls } = buildHost(c.host);
    await expectOutcome(c, () => evaluateExpression(c.expression ?? "", resolveContexts(c.contexts), host));
    if (c.hashCalls) assert.deepStrictEqual(calls, c.hashCalls);
  },
  async condition(c: Case) {
    const { host } = buildHost(c.host);
    await expectOutcome(c, () => evaluateCondition(c.expression ?? "", resolveContexts(c.contexts), host));
  },
  async interpolate(c: Case) {
    const { host, calls } = buildHost(c.host);
    await expectOutcome(c, () => interpolateString(c.text ?? "", resolveContexts(c.contexts), host));
    if (c.hashCalls) assert.deepStrictEqual(calls, c.hashCalls);
  },
  async token(c: Case) {
    const token = await selectToken(c);
    const { host } = buildHost(c.host);
    await expectOutcome(c, () => evaluateToken(token, resolveContexts(c.contexts), host));
  },
  async display(c: Case) {
    assert.ok(
      c.value !== undefined && c.display !== undefined && c.truthy !== undefined,
      "a display case is complete",
    );
    assert.equal(toDisplayString(c.value), c.display);
    assert.equal(isTruthy(c.value), c.truthy);
  },
  async syntax(c: Case) {
    const message = checkExpressionSyntax(c.expression ?? "");
    if (c.error === null) assert.equal(message, undefined);
    else {
      assert.equal(typeof c.error, "string", "a syntax case's error is a message substring or null");
      assert.ok(
        message?.includes(c.error as string),
        `message ${JSON.stringify(message)} lacks ${JSON.stringify(c.error)}`,
      );
    }
  },
};

function describeCase(c: Case): string {
  const subject = c.expression ?? c.text ?? c.path?.join(".") ?? JSON.stringify(c.value);
  const oneLine = JSON.stringify(subject);
  return oneLine.length > 90 ? `${oneLine.slice(0, 87)}...` : oneLine;
}

const corpusFiles = readdirSync(corpusDir)
  .filter((name) => name.endsWith(".json"))
  .sort();

test("the corpus holds at least 220 cases", () => {
  const total = corpusFiles.reduce((sum, file) => sum + readJson<Corpus>(file).cases.length, 0);
  assert.ok(total >= 220, `only ${total} cases`);
});

for (const file of corpusFiles) {
  const corpus = readJson<Corpus>(file);
  corpus.cases.forEach((c, index) => {
    test(`${file} #${index + 1} ${corpus.kind}: ${describeCase(c)}`, () => checkers[corpus.kind](c));
  });
}
