/**
 * Node-RED versions: the few semver operations the flow check needs (no dependency), and what the
 * check knows about core node types that appeared in a given Node-RED release.
 *
 * Which Node-RED a flow needs is judged three ways (see checks.ts, rule newer-node-red):
 * - a core node type listed in CORE_TYPES_SINCE needs at least that release;
 * - a node type from an installed package needs what that package declares in its "node-red".version;
 * - everything else is judged against the Node-RED that is installed where the check runs: a core node
 *   type or core node property that this Node-RED does not define is reported (unknown-type,
 *   unknown-property). Run the check in CI with the oldest Node-RED the package supports installed,
 *   and anything newer in a flow shows up.
 */

export interface Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/** `4.1.15`, `v5.0.0-beta.1` (pre-release ignored), `4.1`, `4` -> a version; undefined if none. */
export function parseVersion(text: string): Version | undefined {
  const m = /^\s*v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?/i.exec(text);
  if (!m) return undefined;
  const part = (s: string | undefined): number => (s === undefined || !/^\d+$/.test(s) ? 0 : Number(s));
  return { major: Number(m[1]), minor: part(m[2]), patch: part(m[3]) };
}

export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export function formatVersion(v: Version): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

/**
 * The lowest version a semver range admits, for the forms package.json files use: `>=4.0.0`, `^4.0.0`,
 * `~4.1`, `4.x`, `4`, `>=3.1.0 <5`, `a || b` (the lower of the alternatives), `*` or empty (0.0.0).
 * A `>x` bound is treated as `>=x`: close enough to compare against the releases that added a node.
 */
export function minVersionOf(range: string): Version | undefined {
  const alternatives = range.split('||').map((alt) => alt.trim());
  let lowest: Version | undefined;
  for (const alt of alternatives) {
    let min: Version | undefined;
    if (alt === '' || alt === '*' || /^x$/i.test(alt)) {
      min = { major: 0, minor: 0, patch: 0 };
    } else {
      // The lower bound is the first comparator that is not an upper bound (<, <=).
      for (const comparator of alt.split(/\s+/)) {
        if (/^<|^!/.test(comparator)) continue;
        min = parseVersion(comparator.replace(/^(>=|>|=|\^|~)/, ''));
        if (min) break;
      }
    }
    if (min === undefined) return undefined;
    if (lowest === undefined || compareVersions(min, lowest) < 0) lowest = min;
  }
  return lowest;
}

/**
 * Core node types and the Node-RED release that added them, for the types a flow may use that
 * Node-RED 4.x users might not have had. Types that are not HTML-registered (tab, subflow, group,
 * junction) are here too. Extend this table when a Node-RED release adds a core node type: a flow
 * using it is then reported when the package's declared minimum is older, even where the newer
 * Node-RED is installed.
 */
export const CORE_TYPES_SINCE: Readonly<Record<string, string>> = {
  group: '1.1.0',
  'link call': '2.1.0',
  junction: '3.0.0',
  'global-config': '3.1.0',
};

/** Node types Node-RED's editor knows without an HTML definition. */
export const STRUCTURAL_TYPES: ReadonlySet<string> = new Set(['tab', 'subflow', 'group', 'junction']);
