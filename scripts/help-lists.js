'use strict';
// Help texts are written in Markdown with property lists as `: name (type) : text`, as Node-RED's own
// guide shows. Node-RED's renderer turns such a line into a property-list entry only when the whole entry
// is one line without another colon; an entry that wraps, or holds `hr:100` or `06:00`, renders as
// run-together text. The build therefore turns every property list into the HTML that renderer would
// produce (`<dl class="message-properties">`), so that any entry may wrap, hold colons and sub-lists.

/** Words Node-RED's help uses as property types; other parentheses (`Poll every (ms)`) stay in the name. */
const TYPE_WORDS = new Set(['any', 'array', 'boolean', 'buffer', 'date', 'null', 'number', 'object', 'string']);

/** @param {string} text */
function escapeHtml(text) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Inline Markdown of a term or description: code, bold, emphasis and links; everything else as text. */
/** @param {string} text @returns {string} */
function inline(text) {
  /** @type {string[]} */
  const codes = [];
  let out = text.replace(/`([^`]+)`/g, (_, code) => `\uE000${codes.push(code) - 1}\uE001`);
  out = escapeHtml(out)
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^\w*])\*([^*\s][^*]*?)\*(?=[^\w*]|$)/g, '$1<em>$2</em>')
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_, label, href) => (/^(https?:|#|\/)/.test(href) ? `<a href="${href}">${label}</a>` : label));
  return out.replace(/\uE000(\d+)\uE001/g, (_, i) => `<code>${escapeHtml(codes[Number(i)])}</code>`);
}

/** `payload (object | string)` -> name and types; `Poll every (ms)` -> name only. */
/** @param {string} term @returns {{ name: string, types: string }} */
function splitTerm(term) {
  const m = /^(.*\S)\s*\(([^()]+)\)$/.exec(term.trim());
  if (m && m[2].split('|').every((t) => TYPE_WORDS.has(t.trim().toLowerCase()))) return { name: m[1], types: m[2].trim() };
  return { name: term.trim(), types: '' };
}

/** One entry's description lines (continuations already unindented): paragraphs of text and `- ` items. */
/** @param {string[]} lines @returns {string} */
function description(lines) {
  /** @type {string[]} */
  const parts = [];
  /** @type {string[]} */
  let text = [];
  /** @type {string[]} */
  let items = [];
  const flushText = () => {
    if (text.length) parts.push(inline(text.join(' ')));
    text = [];
  };
  const flushItems = () => {
    if (items.length) parts.push(`<ul>${items.map((i) => `<li>${inline(i)}</li>`).join('')}</ul>`);
    items = [];
  };
  for (const line of lines) {
    const item = /^[-*]\s+(.*)$/.exec(line);
    if (item) {
      flushText();
      items.push(item[1]);
    } else if (items.length && /^\s/.test(line)) {
      items[items.length - 1] += ` ${line.trim()}`;
    } else {
      flushItems();
      text.push(line.trim());
    }
  }
  flushText();
  flushItems();
  return parts.join(' ');
}

/** @param {string} first @param {string[]} rest @returns {string} */
function entry(first, rest) {
  const m = /^:\s*(.+?)\s+:(?:\s+(.*))?$/.exec(first);
  if (!m) throw new Error(`help: a property entry needs ": name : text": ${first}`);
  const { name, types } = splitTerm(m[1]);
  const type = types ? `<span class="property-type">${escapeHtml(types)}</span>` : '';
  return `<dt>${inline(name)}${type}</dt><dd>${description([m[2] ?? '', ...rest].filter((l) => l !== ''))}</dd>`;
}

/**
 * Turns the property lists of one Markdown help text into HTML lists; other lines stay as they are.
 * An entry starts with `: ` (after the indent of a list item it sits in) and continues on lines indented by two or more spaces more; a list ends at a blank
 * line or at any other line. Fenced code blocks are left alone.
 * @param {string} markdown @returns {string}
 */
function propertyListsToHtml(markdown) {
  const lines = markdown.split('\n');
  /** @type {string[]} */
  const out = [];
  let fenced = false;
  for (let i = 0; i < lines.length; ) {
    const line = lines[i];
    if (/^\s*```/.test(line)) fenced = !fenced;
    // A list may sit inside a Markdown list item (indented): it keeps that indent, so it stays in the item.
    const start = /^( *): /.exec(line);
    if (fenced || !start) {
      out.push(line);
      i++;
      continue;
    }
    const indent = start[1];
    const continuation = new RegExp(`^${indent} {2,}\\S`);
    /** @type {string[]} */
    const entries = [];
    while (i < lines.length && lines[i].startsWith(`${indent}: `)) {
      const first = lines[i++].slice(indent.length);
      /** @type {string[]} */
      const rest = [];
      while (i < lines.length && continuation.test(lines[i])) rest.push(lines[i++].slice(indent.length + 2));
      entries.push(entry(first, rest));
    }
    // One line per list: Markdown keeps an HTML block together up to the next blank line.
    out.push(`${indent}<dl class="message-properties">${entries.join('')}</dl>`);
  }
  return out.join('\n');
}

/** Applies propertyListsToHtml to every `<script type="text/markdown">` help of an editor .html file. */
/** @param {string} html @returns {string} */
function convertHelpFile(html) {
  return html.replace(
    /(<script type="text\/markdown"[^>]*>)([\s\S]*?)(<\/script>)/g,
    (_, open, body, close) => `${open}${propertyListsToHtml(body)}${close}`,
  );
}

module.exports = { propertyListsToHtml, convertHelpFile };
