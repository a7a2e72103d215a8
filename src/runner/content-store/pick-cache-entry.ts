// GitHub's cache key matching: which stored entry a restore uses, given the key and restore-keys.

export interface CacheCandidate {
  key: string;
  createdAt: string;
}

/**
 * Docs "Dependency caching reference", Cache key matching: the exact key first, then a prefix match
 * of the key, then each restore-key in order, exact before prefix; among several prefix matches
 * the most recently created wins. Callers pass only entries of one scope and cache version (paths).
 */
export function pickCacheEntry<T extends CacheCandidate>(
  entries: readonly T[],
  key: string,
  restoreKeys: readonly string[],
): T | undefined {
  for (const candidate of [key, ...restoreKeys]) {
    const exact = entries.find((entry) => entry.key === candidate);
    if (exact) return exact;
    let newest: T | undefined;
    for (const entry of entries) {
      if (!entry.key.startsWith(candidate)) continue;
      if (!newest || Date.parse(entry.createdAt) > Date.parse(newest.createdAt)) newest = entry;
    }
    if (newest) return newest;
  }
  return undefined;
}
