#!/usr/bin/env node
/**
 * factoryhub-flow-check: checks Node-RED flow files for CI, or writes them in canonical form. A thin
 * shell around the pure core (checks.ts, format.ts): arguments, files, the installed catalogue, output.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Catalogue } from './catalogue';
import { checkFlow, defaultRules } from './checks';
import { parseFlowText } from './flow';
import { FormatError, formatFlowText } from './format';
import { CatalogueError, loadInstalledCatalogue } from './installed';
import type { FileResult } from './report';
import { humanReport, jsonReport } from './report';
import type { RuleId } from './rules';
import { RULES, RULE_IDS, isRuleId } from './rules';
import { CORE_TYPES_SINCE } from './versions';

export const USAGE = `Usage: factoryhub-flow-check [options] <flow.json | folder>...
       factoryhub-flow-check --format [--write | --check] <flow.json | folder>...

Checks Node-RED flow files (exported flows, a project's flows.json) before they reach a line.
Reports each problem with its file and node (id, type, name). A folder stands for the flow files in
it (not package.json, *_cred.json or dot files); "-" reads a flow from stdin.

Options:
  --json                      print a JSON report instead of one line per problem
  --format                    print the canonical form of one flow file (stable order, 4-space JSON)
    --write                   rewrite the given files in canonical form instead
    --check                   list files that are not in canonical form (exit 1 if any)
  --nodes-dir <dir>           where the installed nodes are: a Node-RED user directory, a project, or a
                              node package (repeatable; default: the current directory). Node-RED itself
                              is found from there, from this package's installation, or from a
                              node-red command on the PATH (a global install).
  --node-red-version <range>  Node-RED versions the flows must run on (default: package.json
                              "node-red".version of @factoryhub/node-red-factoryhub)
  --disable <rule>[,<rule>]   skip checks (see --list-rules)
  --examples                  also require each tab to have a comment node that says what it shows
                              and, in a "Needs:" line, what it needs (for example flows)
  --list-rules                list the checks and exit
  -h, --help                  show this help

Checks: unknown node types and properties (against Node-RED core, this package and every node module
installed next to Node-RED or in the nodes directory), config nodes that are referenced but missing,
wires and links to missing nodes, duplicate ids, secrets in clear and credentials in the file, tag maps
that fail validation (row and column), Modbus writes to tags that are not read-write, and nodes that
need a newer Node-RED than the package supports.

Newer Node-RED: node types and properties are judged against the Node-RED installed where the check
runs. Core node types that a known Node-RED release added, and node modules whose package.json
"node-red".version asks for more, are compared with the supported range:
  ${Object.entries(CORE_TYPES_SINCE)
    .map(([t, v]) => `${t} ${v}`)
    .join(', ')}
To catch anything newer than the oldest Node-RED your hubs run, run the check with that Node-RED
installed (e.g. npm install node-red@4.0).

Exit status: 0 no problems, 1 problems found (or files not in canonical form), 2 usage error.
`;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
  readonly readStdin: () => string;
  /** For tests: a catalogue instead of the installed one. */
  readonly catalogue?: (nodesDirs: readonly string[]) => Catalogue;
}

interface Args {
  files: string[];
  json: boolean;
  format: boolean;
  write: boolean;
  check: boolean;
  nodesDirs: string[];
  nodeRedVersion?: string;
  disabled: Set<RuleId>;
  examples: boolean;
  help: boolean;
  listRules: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    files: [],
    json: false,
    format: false,
    write: false,
    check: false,
    nodesDirs: [],
    disabled: new Set(),
    examples: false,
    help: false,
    listRules: false,
  };
  const value = (i: number, option: string): string => {
    const v = argv[i];
    if (v === undefined || (v.startsWith('-') && v !== '-')) throw new UsageError(`${option} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const [option, inline] = eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    const next = (): string => inline ?? value(++i, option);
    switch (option) {
      case '--json':
        args.json = true;
        break;
      case '--format':
        args.format = true;
        break;
      case '--write':
        args.write = true;
        break;
      case '--check':
        args.check = true;
        break;
      case '--nodes-dir':
        args.nodesDirs.push(next());
        break;
      case '--node-red-version':
        args.nodeRedVersion = next();
        break;
      case '--disable':
        for (const rule of next().split(',').map((r) => r.trim()).filter(Boolean)) {
          if (!isRuleId(rule)) throw new UsageError(`unknown rule "${rule}" (see --list-rules)`);
          args.disabled.add(rule);
        }
        break;
      case '--examples':
        args.examples = true;
        break;
      case '--list-rules':
        args.listRules = true;
        break;
      case '-h':
      case '--help':
        args.help = true;
        break;
      case '--':
        args.files.push(...argv.slice(i + 1));
        i = argv.length;
        break;
      default:
        if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}`);
        args.files.push(arg);
    }
  }
  if (args.help || args.listRules) return args;
  if (args.files.length === 0) throw new UsageError('no flow files given');
  if ((args.write || args.check) && !args.format) throw new UsageError(`${args.write ? '--write' : '--check'} goes with --format`);
  if (args.write && args.check) throw new UsageError('--write and --check do not go together');
  if (args.format && args.json) throw new UsageError('--json is for checking, not --format');
  if (args.format && !args.write && !args.check && args.files.length !== 1) throw new UsageError('--format prints one file; use --write or --check for several');
  if (args.write && args.files.includes('-')) throw new UsageError('--write cannot rewrite stdin');
  return args;
}

/** Files in a folder that are not flows: npm's, and Node-RED's credentials, settings and backups. */
function isFlowFileName(name: string): boolean {
  return name.endsWith('.json') && !name.startsWith('.') && name !== 'package.json' && name !== 'package-lock.json' && !name.endsWith('_cred.json');
}

/**
 * The flow files the arguments name: files as given, `-` for stdin, and for a folder (flows/, a
 * project, a user directory) the flow files directly in it. Missing files are usage errors.
 */
function expandFiles(files: readonly string[], io: CliIo, allowFolders: boolean): string[] {
  const out: string[] = [];
  for (const file of files) {
    if (file === '-') {
      out.push(file);
      continue;
    }
    let stat: fs.Stats;
    try {
      stat = fs.statSync(path.resolve(io.cwd, file));
    } catch {
      throw new UsageError(`cannot read ${file}: no such file`);
    }
    if (!stat.isDirectory()) {
      out.push(file);
      continue;
    }
    if (!allowFolders) throw new UsageError(`${file} is a folder; --format prints one file`);
    const inside = fs.readdirSync(path.resolve(io.cwd, file)).filter(isFlowFileName).sort();
    if (inside.length === 0) throw new UsageError(`no flow files (*.json) in ${file}`);
    out.push(...inside.map((name) => path.join(file, name)));
  }
  return [...new Set(out)];
}

/** Reads every file first: an unreadable file is a usage error, reported before any output. */
function readFiles(files: readonly string[], io: CliIo): Map<string, string> {
  const texts = new Map<string, string>();
  for (const file of files) {
    if (file === '-') {
      texts.set(file, io.readStdin());
      continue;
    }
    try {
      texts.set(file, fs.readFileSync(path.resolve(io.cwd, file), 'utf8'));
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return texts;
}

function runFormat(args: Args, texts: ReadonlyMap<string, string>, io: CliIo): number {
  let status = 0;
  for (const [file, text] of texts) {
    let formatted: string;
    try {
      formatted = formatFlowText(text);
    } catch (err) {
      if (!(err instanceof FormatError)) throw err;
      io.stderr(`${file}: ${err.message}\n`);
      status = 1;
      continue;
    }
    if (!args.write && !args.check) {
      io.stdout(formatted);
    } else if (formatted !== text) {
      if (args.write) {
        fs.writeFileSync(path.resolve(io.cwd, file), formatted);
        io.stdout(`${file}: formatted\n`);
      } else {
        io.stdout(`${file}: not in canonical form (run factoryhub-flow-check --format --write ${file})\n`);
        status = 1;
      }
    }
  }
  return status;
}

function runCheck(args: Args, texts: ReadonlyMap<string, string>, io: CliIo): number {
  const nodesDirs = args.nodesDirs.length > 0 ? args.nodesDirs.map((d) => path.resolve(io.cwd, d)) : [io.cwd];
  const catalogue = io.catalogue ? io.catalogue(nodesDirs) : loadInstalledCatalogue({ nodesDirs });
  const rules = defaultRules();
  if (args.examples) rules.add('example-comment');
  for (const rule of args.disabled) rules.delete(rule);
  const supportedRange = args.nodeRedVersion ?? catalogue.supportedRange;
  const results: FileResult[] = [];
  for (const [file, text] of texts) {
    const parsed = parseFlowText(text);
    // A file that is not a flow at all gets that one problem, not every check's view of an empty flow.
    const notAFlow = parsed.nodes.length === 0 && parsed.problems.length > 0;
    const problems = notAFlow ? parsed.problems : [...parsed.problems, ...checkFlow(parsed.nodes, { catalogue, rules, ...(supportedRange !== undefined ? { supportedRange } : {}) })];
    results.push({ file, problems });
  }
  io.stdout(args.json ? jsonReport(results, catalogue, supportedRange) : humanReport(results));
  return results.some((r) => r.problems.length > 0) ? 1 : 0;
}

export function run(argv: readonly string[], io: CliIo): number {
  let args: Args;
  try {
    args = parseArgs(argv);
    if (args.help) {
      io.stdout(USAGE);
      return 0;
    }
    if (args.listRules) {
      const width = Math.max(...RULE_IDS.map((r) => r.length));
      io.stdout(RULE_IDS.map((r) => `${r.padEnd(width)}  ${RULES[r]}`).join('\n') + '\n');
      return 0;
    }
    const printOne = args.format && !args.write && !args.check;
    const texts = readFiles(expandFiles(args.files, io, !printOne), io);
    return args.format ? runFormat(args, texts, io) : runCheck(args, texts, io);
  } catch (err) {
    if (err instanceof UsageError || err instanceof CatalogueError) {
      io.stderr(`factoryhub-flow-check: ${err.message}\n${err instanceof UsageError ? 'Try --help.\n' : ''}`);
      return 2;
    }
    throw err;
  }
}

if (require.main === module) {
  process.exitCode = run(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    cwd: process.cwd(),
    readStdin: () => fs.readFileSync(0, 'utf8'),
  });
}
