// A workflow holding a YAML alias bomb ("billion laughs"), for tests that a server or parser survives one.

/**
 * `levels` anchors under `env`, each a list of `width` aliases of the one before: 9×10 expands to a billion
 * scalars. `on` is the workflow's trigger block, indented under `on:`.
 */
export function aliasBomb(on: string, levels = 9, width = 10): string {
  const anchors = ['  LOL0: &lol0 ["lol"]'];
  for (let level = 1; level <= levels; level++) {
    const aliases = Array.from({ length: width }, () => `*lol${level - 1}`).join(", ");
    anchors.push(`  LOL${level}: &lol${level} [${aliases}]`);
  }
  return `name: lol
on:
${on}
env:
${anchors.join("\n")}
jobs:
  laugh:
    runs-on: ubuntu-latest
    steps:
      - run: echo lol
`;
}
