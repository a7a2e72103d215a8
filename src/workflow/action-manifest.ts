// Reads action.yml as GitHub's runner does (ActionManifestManager): the loose "action-root" schema, where only `runs`
// is required, then the runner's checks on `runs.using` that the loose schema leaves out.
import { convertActionTemplate, type ActionTemplate } from "@actions/workflow-parser/actions/index";
import { isMapping, isString } from "@actions/workflow-parser/templates/tokens/type-guards";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import { readActionTemplate, type TemplateRead } from "./read-template.js";

export interface ActionManifestRead extends TemplateRead {
  /** Present when the file read without errors. */
  template?: ActionTemplate;
}

/** What each `runs.using` needs, as the runner's ConvertRuns checks it. */
const usingRules: Record<string, { key: string; missing: string }> = {
  docker: { key: "image", missing: "You are using a Container Action but an image is not provided" },
  node12: {
    key: "main",
    missing: "You are using a JavaScript Action but there is not an entry JavaScript file provided",
  },
  node16: {
    key: "main",
    missing: "You are using a JavaScript Action but there is not an entry JavaScript file provided",
  },
  node20: {
    key: "main",
    missing: "You are using a JavaScript Action but there is not an entry JavaScript file provided",
  },
  node24: {
    key: "main",
    missing: "You are using a JavaScript Action but there is not an entry JavaScript file provided",
  },
  composite: { key: "steps", missing: "You are using a composite action but there are no steps provided" },
};

export function readActionManifest(path: string, content: string): ActionManifestRead {
  const parsed = readActionTemplate(path, content);
  const { context, value } = parsed;
  if (context.errors.getErrors().length > 0) return parsed;
  if (!value) {
    context.error(undefined, `Top level 'runs:' section is required for ${path}`);
    return parsed;
  }
  const template = convertActionTemplate(context, value);
  if (context.errors.getErrors().length > 0) return parsed;
  const runs = mappingValue(value, "runs");
  if (!runs || !isMapping(runs)) {
    context.error(runs ?? value, `Top level 'runs:' section is required for ${path}`);
    return parsed;
  }
  const using = mappingValue(runs, "using");
  const rule = using && isString(using) ? usingRules[using.value] : undefined;
  if (!using || !isString(using) || !rule) {
    const names = Object.keys(usingRules).map((name) => `'${name}'`);
    const told =
      using && isString(using) ? `'using: ${using.value}' is not supported` : "Missing 'using' value";
    context.error(
      using ?? runs,
      `${told}. 'using' requires ${names.slice(0, -1).join(", ")} or ${names.at(-1)}.`,
    );
    return parsed;
  }
  const needed = mappingValue(runs, rule.key);
  if (!needed || (isString(needed) && needed.value === "")) {
    context.error(runs, `${rule.missing} in ${path}.`);
    return parsed;
  }
  return { ...parsed, template };
}

/** The value under a key of a mapping token; undefined for other tokens. */
export function mappingValue(token: TemplateToken | undefined, key: string): TemplateToken | undefined {
  if (!token || !isMapping(token)) return undefined;
  for (const pair of token) if (pair.key.toString() === key) return pair.value;
  return undefined;
}
