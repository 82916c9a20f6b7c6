/** Output of the flow check: one line per problem for people, one JSON document for machines. Pure. */
import type { Catalogue } from './catalogue';
import type { Problem } from './rules';

export interface FileResult {
  readonly file: string;
  readonly problems: readonly Problem[];
}

/** `flows/a.json: node 0123456789abcdef (inject "start"): message [rule]`; file-level problems have no node part. */
export function formatProblemLine(file: string, p: Problem): string {
  const where: string[] = [file];
  if (p.line !== undefined) where.push(`line ${p.line}`);
  let text = `${where.join(':')}: `;
  if (p.node !== undefined) {
    const name = p.node.name === undefined ? '' : ` "${p.node.name}"`;
    text += `node ${p.node.id} (${p.node.type}${name}): `;
  }
  return `${text}${p.message} [${p.rule}]`;
}

export function humanReport(results: readonly FileResult[]): string {
  const lines: string[] = [];
  let problems = 0;
  let failing = 0;
  for (const r of results) {
    for (const p of r.problems) lines.push(formatProblemLine(r.file, p));
    problems += r.problems.length;
    if (r.problems.length > 0) failing++;
  }
  const files = `${results.length} flow file${results.length === 1 ? '' : 's'}`;
  lines.push(problems === 0 ? `${files} checked: no problems` : `${problems} problem${problems === 1 ? '' : 's'} in ${failing} of ${files}`);
  return `${lines.join('\n')}\n`;
}

/** The `--json` document; `version` changes only when a field changes meaning or goes away. */
export function jsonReport(results: readonly FileResult[], catalogue: Catalogue, supportedRange: string | undefined): string {
  const problems = results.reduce((n, r) => n + r.problems.length, 0);
  return `${JSON.stringify(
    {
      version: 1,
      ok: problems === 0,
      summary: { files: results.length, filesWithProblems: results.filter((r) => r.problems.length > 0).length, problems },
      nodeRed: { installed: catalogue.nodeRed?.version ?? null, supported: supportedRange ?? null },
      files: results.map((r) => ({ file: r.file, problems: r.problems })),
    },
    null,
    2,
  )}\n`;
}
