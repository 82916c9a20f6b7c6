/** The checks the flow check runs, by id: what `--disable` takes and what `--json` reports in `rule`. */

export const RULES = {
  'invalid-flow': 'the file is not JSON, or not a list of nodes with an id and a type',
  'duplicate-id': 'two nodes share an id',
  'unknown-type': 'a node type that neither Node-RED core, this package nor any installed package provides',
  'unknown-property': 'a property the node type does not define (a typo, or a property of a newer Node-RED or module)',
  'missing-config': 'a config node property that is required but empty, or refers to a node that is missing or of the wrong type',
  'missing-node': 'a wire, link or scope that refers to a node that is not in the file',
  'missing-parent': 'a node on a tab, subflow or group that is not in the file (files holding tabs only)',
  'clear-secret': 'a password, token, key or other secret stored in clear in a node property',
  'credentials-in-file': 'a node carries a credentials object: credentials belong in the encrypted credentials file',
  'tag-map-invalid': 'a tag map that fails validation (reported at its row and column)',
  'modbus-write-read-only': 'a static message names a tag the Modbus write node\'s tag map marks read-only',
  'modbus-write-unknown-tag': 'a static message names a tag that is not in the Modbus write node\'s tag map under its prefix',
  'modbus-write-nothing-writable': 'a Modbus write node whose tag map has no read-write tag under its prefix',
  'newer-node-red': 'a node needs a newer Node-RED than the package declares in package.json "node-red".version',
  'example-comment': 'an example flow tab without a comment node saying what it shows and what it needs (only with --examples)',
} as const;

export type RuleId = keyof typeof RULES;

export const RULE_IDS = Object.keys(RULES) as RuleId[];

/** Rules that only run when asked for. */
export const OPT_IN_RULES: ReadonlySet<RuleId> = new Set<RuleId>(['example-comment']);

export function isRuleId(value: string): value is RuleId {
  return Object.hasOwn(RULES, value);
}

export interface NodeRef {
  readonly id: string;
  readonly type: string;
  readonly name?: string;
}

export interface Problem {
  readonly rule: RuleId;
  readonly message: string;
  /** The node the problem is on; absent for problems of the file as a whole. */
  readonly node?: NodeRef;
  /** The node property concerned (`client`, `wires`, `rows`, `credentials.password`, ...). */
  readonly property?: string;
  /** Tag maps: 1-based row of the map's own rows (0 = not a row: template, instance, whole map). */
  readonly row?: number;
  /** Tag maps: the column, or null for the row as a whole. */
  readonly column?: string | null;
  /** Modbus writes: the tag name concerned. */
  readonly tag?: string;
  /** JSON syntax errors: where in the file. */
  readonly line?: number;
}
