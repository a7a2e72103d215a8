// The job dependency graph from `needs` (cycles are rejected earlier, by the parser): stages and ancestors.

export interface NeedsNode {
  id: string;
  needs: string[];
}

/** Layers jobs so each stage depends only on earlier ones; assumes the graph is acyclic. */
export function stageJobs(nodes: NeedsNode[]): string[][] {
  const depth = new Map<string, number>();
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const depthOf = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    const needs = byId.get(id)?.needs ?? [];
    const d = needs.length === 0 ? 0 : 1 + Math.max(...needs.map(depthOf));
    depth.set(id, d);
    return d;
  };
  const stages: string[][] = [];
  for (const node of nodes) (stages[depthOf(node.id)] ??= []).push(node.id);
  return stages;
}

/** Every job that `id` depends on, directly or not. */
export function ancestorsOf(nodes: NeedsNode[], id: string): Set<string> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const seen = new Set<string>();
  const stack = [...(byId.get(id)?.needs ?? [])];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...(byId.get(next)?.needs ?? []));
  }
  return seen;
}
