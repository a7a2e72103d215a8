// Drift test: hangar's YAML reader hands GitHub's template reader the same tokens, positions and errors as the
// parser's own YamlObjectReader, for every workflow and action file in testdata/ and examples/ and the YAML corners.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";
import {
  TemplateContext,
  TemplateValidationErrors,
} from "@actions/workflow-parser/templates/template-context";
import { readTemplate } from "@actions/workflow-parser/templates/template-reader";
import { YamlObjectReader } from "@actions/workflow-parser/workflows/yaml-object-reader";
import {
  looseActionSchema,
  readActionTemplate,
  readWorkflowTemplate,
} from "../../src/workflow/read-template.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const corners: Record<string, string> = {
  "anchors.yml": `on: push
env: &env
  A: 1
  B: &b [x, y]
jobs:
  one:
    runs-on: ubuntu-latest
    env: *env
    strategy:
      matrix:
        v: *b
    steps: &steps
      - run: echo \${{ matrix.v }}
  two:
    runs-on: ubuntu-latest
    steps: *steps
`,
  "redefined-anchor.yml": "on: push\nenv:\n  A: &x one\n  B: *x\n  C: &x two\n  D: *x\njobs: {}\n",
  "block-scalars.yml": `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: |-
          echo \${{ github.sha }}
      - run: >+
          folded

      - run: "quoted \${{ 1 }}"
`,
  "scalars.yml": "on: push\nenv:\n  N: 1.5\n  T: true\n  Z: ~\n  E:\n  1: numeric key\njobs: {}\n",
  "flow.yml": "on: [push, pull_request]\njobs: { a: { runs-on: x, steps: [ { run: hi } ] } }\n",
  "merge-key.yml": "on: push\nx: &x { runs-on: y }\njobs:\n  a:\n    <<: *x\n    steps: [{ run: hi }]\n",
  "unknown-alias.yml": "on: push\nenv: *nowhere\njobs: {}\n",
  "not-yaml.yml": "on: push\njobs: [\n",
  "two-documents.yml": "on: push\n---\non: pull_request\n",
  "empty.yml": "",
};

function* yamlFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* yamlFiles(full);
    else if (/\.ya?ml$/.test(entry.name)) yield full;
  }
}

function compare(name: string, content: string): void {
  const isAction = /(^|\/)action\.ya?ml$/.test(name);
  const theirs = isAction
    ? readLooseAction(name, content)
    : parseWorkflow({ name, content }, new NoOperationTraceWriter());
  const ours = isAction ? readActionTemplate(name, content) : readWorkflowTemplate(name, content);
  assert.equal(ours.refused, undefined, name);
  assert.deepStrictEqual(ours.value, theirs.value, name);
  assert.deepStrictEqual(ours.context.errors.getErrors(), theirs.context.errors.getErrors(), name);
}

/** parseAction, but with the runner's loose "action-root" that hangar reads action.yml with. */
function readLooseAction(name: string, content: string) {
  const context = new TemplateContext(
    new TemplateValidationErrors(),
    // The same schema as readActionTemplate's: what is compared is how the YAML is read.
    looseActionSchema(),
    new NoOperationTraceWriter(),
  );
  const fileId = context.getFileId(name);
  const reader = new YamlObjectReader(fileId, content);
  for (const error of reader.errors) context.error(fileId, error.message, error.range);
  const value = reader.errors.length > 0 ? undefined : readTemplate(context, "action-root", reader, fileId);
  return { context, value };
}

test("the fixtures' workflow and action files read to the parser's own tokens", () => {
  const files = ["testdata", "examples"].flatMap((dir) => [...yamlFiles(path.join(root, dir))]);
  assert.ok(files.length > 50, `only ${files.length} files found`);
  for (const file of files) compare(path.relative(root, file), readFileSync(file, "utf8"));
});

test("anchors, block scalars, flow style, odd keys and YAML errors read to the parser's own tokens", () => {
  for (const [name, content] of Object.entries(corners)) compare(name, content);
});
