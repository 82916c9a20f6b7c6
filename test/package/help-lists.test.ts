/**
 * Help texts: the build turns each `: name (type) : text` property list into the HTML list Node-RED's
 * renderer makes of a one-line entry, so entries may wrap, hold colons (`hr:100`, `06:00`) and sub-lists.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../support/hub-process';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { propertyListsToHtml } = require('../../scripts/help-lists') as { propertyListsToHtml: (md: string) => string };

describe('help texts: property lists render as lists', () => {
  it('turns wrapped entries with colons, types and sub-lists into one list', () => {
    const md = [
      '### Properties',
      '',
      ': payload (object | string) : tag name to value, e.g. `hr:100`; see **Outputs**.',
      ': Poll every (ms) : the scan interval; `0` scans only when a message arrives. One scan runs at a time: a',
      '  poll due while a scan runs is skipped.',
      '  - an *end* at 06:00 is the next day',
      '  - `24:00` is allowed',
      ': x < y : plain text <b>escaped</b>',
      '',
      'After.',
    ].join('\n');
    assert.equal(
      propertyListsToHtml(md),
      [
        '### Properties',
        '',
        '<dl class="message-properties">' +
          '<dt>payload<span class="property-type">object | string</span></dt><dd>tag name to value, e.g. <code>hr:100</code>; see <strong>Outputs</strong>.</dd>' +
          '<dt>Poll every (ms)</dt><dd>the scan interval; <code>0</code> scans only when a message arrives. One scan runs at a time: a poll due while a scan runs is skipped. ' +
          '<ul><li>an <em>end</em> at 06:00 is the next day</li><li><code>24:00</code> is allowed</li></ul></dd>' +
          '<dt>x &lt; y</dt><dd>plain text &lt;b&gt;escaped&lt;/b&gt;</dd></dl>',
        '',
        'After.',
      ].join('\n'),
    );
  });

  it('keeps a list inside a Markdown list item in that item (its indent), continuation lines indented further', () => {
    const md = ['1. *events*: as they happen.', '   : topic (string) : `<machine>/<event>`.', '   : payload.event `state` : `{event, t}`: the state', '     changed.', '2. next'].join('\n');
    assert.equal(
      propertyListsToHtml(md),
      [
        '1. *events*: as they happen.',
        '   <dl class="message-properties"><dt>topic<span class="property-type">string</span></dt><dd><code>&lt;machine&gt;/&lt;event&gt;</code>.</dd>' +
          '<dt>payload.event <code>state</code></dt><dd><code>{event, t}</code>: the state changed.</dd></dl>',
        '2. next',
      ].join('\n'),
    );
  });

  it('leaves code blocks and other lines alone, and refuses an entry without its second colon', () => {
    const md = '```\n: not : a list\n```\ntext: with colon';
    assert.equal(propertyListsToHtml(md), md);
    assert.throws(() => propertyListsToHtml(': name without text'), /needs ": name : text"/);
  });

  it('leaves no raw property line in any built help text', () => {
    const dir = path.join(repoRoot, 'dist', 'nodes');
    const helps: string[] = [];
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const f = path.join(d, e.name);
        if (e.isDirectory()) walk(f);
        else if (f.includes(`${path.sep}locales${path.sep}`) && f.endsWith('.html')) helps.push(f);
      }
    };
    walk(dir);
    assert.ok(helps.length >= 12, `found ${helps.length} help files`);
    for (const file of helps) {
      const raw = fs.readFileSync(file, 'utf8').split('\n').filter((l) => /^: /.test(l));
      assert.deepEqual(raw, [], path.relative(repoRoot, file));
      assert.match(fs.readFileSync(file, 'utf8'), /<dl class="message-properties"><dt>/, path.relative(repoRoot, file));
    }
  });
});
