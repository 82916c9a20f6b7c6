/// <reference lib="dom" />
/**
 * The runtime's own check of an open dialog (the OEE node, the shift calendar): asked for a moment after
 * the user stops typing, its issues listed under the form.
 */
import { $ } from './jquery';
import type { Jq } from './jquery';

/** A function that runs `run` once, 250 ms after its last call. */
export function checkSoon(run: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(run, 250);
  };
}

/** Lists the route's `issues` in `box` (hidden when there are none); true when the check found none. */
export function showIssues(box: Jq, res: { status: number; body: unknown }, failedText: string): boolean {
  box.empty();
  if (res.status !== 200) {
    box.show();
    // The route answers {error} for a calendar too large to check: that text says what to change.
    const error = (res.body as { error?: unknown } | undefined)?.error;
    $('<div>').text(`${failedText} (HTTP ${res.status})${typeof error === 'string' ? `: ${error}` : ''}`).appendTo(box);
    return false;
  }
  const issues = ((res.body as { issues?: unknown } | undefined)?.issues ?? []) as string[];
  box.toggle(issues.length > 0);
  for (const issue of issues) $('<div>').text(issue).appendTo(box);
  return issues.length === 0;
}
