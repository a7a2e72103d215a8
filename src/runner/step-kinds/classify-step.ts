// Picks the kind of a step from what it says: a pure function of `run`/`uses`, no file access.

/** Actions hangar implements natively so that the common workflow runs offline and fast. */
export const builtinActions = [
  "actions/checkout",
  "actions/upload-artifact",
  "actions/download-artifact",
  "actions/cache",
  "actions/cache/restore",
  "actions/cache/save",
  "actions/setup-node",
  "actions/setup-python",
  "actions/setup-go",
  "actions/setup-java",
] as const;

export type BuiltinAction = (typeof builtinActions)[number];

export type StepKind =
  | { kind: "script" }
  | { kind: "local-action"; path: string }
  | { kind: "remote-action"; uses: string }
  | { kind: "docker"; image: string }
  | { kind: "builtin"; action: BuiltinAction; ref: string };

/**
 * `realActions`: built-ins to run as the real action from the action store instead (`hangar run --real-actions`),
 * lower-case names as in builtinActions.
 */
export function classifyStep(
  step: { run?: unknown; uses?: string },
  realActions: readonly string[] = [],
): StepKind {
  if (step.uses === undefined) return { kind: "script" };
  const uses = step.uses.trim();
  if (uses.startsWith("docker://")) return { kind: "docker", image: uses.slice("docker://".length) };
  if (uses.startsWith("./") || uses.startsWith("../")) return { kind: "local-action", path: uses };
  const at = uses.lastIndexOf("@");
  const name = (at === -1 ? uses : uses.slice(0, at)).toLowerCase();
  const builtin = builtinActions.find((b) => b === name && !realActions.includes(b));
  if (builtin) return { kind: "builtin", action: builtin, ref: at === -1 ? "" : uses.slice(at + 1) };
  return { kind: "remote-action", uses };
}
