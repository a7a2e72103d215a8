// Expands an evaluated strategy.matrix into job combinations (docs "Running variations of jobs"); evaluates nothing.

export type MatrixValue = null | boolean | number | string | MatrixValue[] | { [k: string]: MatrixValue };
export type Combination = Record<string, MatrixValue>;

export interface MatrixExpansion {
  combinations: Combination[];
  error?: string;
}

/** Docs: "A matrix will generate a maximum of 256 jobs per workflow run." */
export const githubMaxJobs = 256;

/**
 * Cross products larger than this are refused before enumeration, however many combinations `exclude`
 * would remove: counting them exactly costs time proportional to the product.
 */
export const maxCrossProduct = 1_000_000;

interface Vector {
  key: string;
  values: MatrixValue[];
}

type MatrixObject = { [k: string]: MatrixValue };

/** `matrix` is the already-evaluated value of strategy.matrix (a mapping: vectors, plus optional include/exclude lists). */
export function expandMatrix(matrix: Record<string, MatrixValue>, maxJobs = githubMaxJobs): MatrixExpansion {
  const parsed = parseMatrix(matrix);
  if ("error" in parsed) return fail(parsed.error);
  const { vectors, include, exclude } = parsed;

  const productSize = vectors.reduce(
    (size, vector) => size * vector.values.length,
    vectors.length > 0 ? 1 : 0,
  );
  if (productSize > maxCrossProduct) {
    return fail(
      `matrix has ${productSize} combinations before exclude; hangar expands at most ${maxCrossProduct}`,
    );
  }

  // Docs, "Excluding matrix configurations": "All include combinations are processed after exclude."
  const originals: Combination[] = [];
  const isIncludeUsed = include.map(() => false);
  let originalCount = 0;
  for (let index = 0; index < productSize; index++) {
    const combination = buildCombination(vectors, index);
    if (exclude.some((entry) => isExcludedBy(combination, entry, vectors))) continue;
    originalCount += 1;
    include.forEach((entry, entryIndex) => {
      if (!isIncludeUsed[entryIndex] && canExtend(combination, entry, vectors)) {
        isIncludeUsed[entryIndex] = true;
      }
    });
    // Past the limit only the count matters; keeping the combinations would cost memory for nothing.
    if (originalCount <= maxJobs) originals.push(combination);
  }

  const extraCount = isIncludeUsed.filter((isUsed) => !isUsed).length;
  const total = originalCount + extraCount;
  if (total > maxJobs) {
    const limit =
      maxJobs === githubMaxJobs ? `GitHub's limit is ${githubMaxJobs}` : `the limit is ${maxJobs}`;
    return fail(`matrix would produce ${total} jobs; ${limit}`);
  }

  // Docs, "Expanding or adding matrix configurations": an include entry extends every original combination
  // it can join without overwriting an original matrix value (values added by earlier entries may be
  // overwritten); an entry that joins none becomes a combination of its own, which later entries never extend.
  const extras: Combination[] = [];
  for (const entry of include) {
    let isJoined = false;
    for (const combination of originals) {
      if (!canExtend(combination, entry, vectors)) continue;
      isJoined = true;
      extendCombination(combination, entry, vectors);
    }
    if (!isJoined) extras.push(structuredClone(entry));
  }
  return { combinations: [...originals, ...extras] };
}

type ParsedMatrix =
  { vectors: Vector[]; include: MatrixObject[]; exclude: MatrixObject[] } | { error: string };

function parseMatrix(matrix: Record<string, MatrixValue>): ParsedMatrix {
  const vectors: Vector[] = [];
  let include: MatrixObject[] = [];
  let exclude: MatrixObject[] = [];
  for (const [key, value] of Object.entries(matrix)) {
    if (key === "include" || key === "exclude") {
      const entries = parseEntries(key, value);
      if ("error" in entries) return entries;
      if (key === "include") include = entries.entries;
      else exclude = entries.entries;
      continue;
    }
    // Docs: "The variable names are case insensitive. For example, OS and os will be treated as the same variable."
    const duplicate = findVector(vectors, key);
    if (duplicate)
      return { error: `matrix defines '${duplicate.key}' and '${key}', which name the same variable` };
    if (!Array.isArray(value))
      return { error: `matrix vector '${key}' must be a list, not ${describe(value)}` };
    // GitHub's own wording, here and for the other errors that start with "Matrix".
    if (value.length === 0) return { error: `Matrix vector '${key}' does not contain any values` };
    vectors.push({ key, values: value });
  }
  if (vectors.length === 0 && include.length === 0)
    return { error: "Matrix must define at least one vector" };
  // actions/runner MatrixBuilder: exclude entries may only name matrix variables, and must name at least one.
  for (const entry of exclude) {
    const keys = Object.keys(entry);
    if (keys.length === 0) return { error: "Matrix exclude filter must not be empty" };
    const unknown = keys.find((key) => !findVector(vectors, key));
    if (unknown !== undefined) {
      return { error: `Matrix exclude key '${unknown}' does not match any key within the matrix` };
    }
  }
  return { vectors, include, exclude };
}

function parseEntries(key: string, value: MatrixValue): { entries: MatrixObject[] } | { error: string } {
  if (!Array.isArray(value))
    return { error: `matrix ${key} must be a list of mappings, not ${describe(value)}` };
  const entries: MatrixObject[] = [];
  for (const [index, entry] of value.entries()) {
    if (!isObject(entry)) {
      return { error: `matrix ${key} item ${index + 1} must be a mapping, not ${describe(entry)}` };
    }
    entries.push(entry);
  }
  return { entries };
}

/** The combination at `index` of the cross product, first vector varying slowest (docs: key order). */
function buildCombination(vectors: Vector[], index: number): Combination {
  const combination: Combination = {};
  let remainder = index;
  const positions: number[] = [];
  for (let v = vectors.length - 1; v >= 0; v--) {
    const size = vectors[v]!.values.length;
    positions[v] = remainder % size;
    remainder = Math.floor(remainder / size);
  }
  vectors.forEach((vector, v) => {
    combination[vector.key] = structuredClone(vector.values[positions[v]!]!);
  });
  return combination;
}

// Docs: "An excluded configuration only has to be a partial match for it to be excluded." Mappings inside an
// exclude entry match partially too: actions/runner's MatrixBuilder compares each leaf path of the entry.
function isExcludedBy(combination: Combination, entry: MatrixObject, vectors: Vector[]): boolean {
  return Object.entries(entry).every(([key, value]) => {
    const vector = findVector(vectors, key);
    return vector !== undefined && matchesPartially(combination[vector.key]!, value);
  });
}

function canExtend(combination: Combination, entry: MatrixObject, vectors: Vector[]): boolean {
  return Object.entries(entry).every(([key, value]) => {
    const vector = findVector(vectors, key);
    return vector === undefined || isDeepEqual(combination[vector.key]!, value);
  });
}

function extendCombination(combination: Combination, entry: MatrixObject, vectors: Vector[]): void {
  for (const [key, value] of Object.entries(entry)) {
    if (findVector(vectors, key)) continue;
    const existing = Object.keys(combination).find((name) => name.toLowerCase() === key.toLowerCase());
    combination[existing ?? key] = structuredClone(value);
  }
}

function findVector(vectors: Vector[], key: string): Vector | undefined {
  const lower = key.toLowerCase();
  return vectors.find((vector) => vector.key.toLowerCase() === lower);
}

function matchesPartially(actual: MatrixValue, expected: MatrixValue): boolean {
  if (isObject(expected)) {
    if (!isObject(actual)) return false;
    return Object.entries(expected).every(
      ([key, value]) => Object.hasOwn(actual, key) && matchesPartially(actual[key]!, value),
    );
  }
  return isDeepEqual(actual, expected);
}

function isDeepEqual(a: MatrixValue, b: MatrixValue): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => isDeepEqual(item, b[index]!));
  }
  if (isObject(a) || isObject(b)) {
    if (!isObject(a) || !isObject(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => Object.hasOwn(b, key) && isDeepEqual(a[key]!, b[key]!));
  }
  return a === b;
}

function isObject(value: MatrixValue | undefined): value is MatrixObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: MatrixValue): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `the ${typeof value} ${JSON.stringify(value)}`;
}

function fail(error: string): MatrixExpansion {
  return { combinations: [], error };
}
