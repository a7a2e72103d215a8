// Runner label normalisation shared by job inserts and claims: GitHub compares runner labels case-insensitively.
export function normalizeLabels(labels: readonly string[]): string[] {
  return [...new Set(labels.map((label) => label.trim().toLowerCase()))].sort();
}
