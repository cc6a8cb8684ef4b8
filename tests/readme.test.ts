// readme.test.ts: no dead links in the repository's Markdown. Every relative link names a file or
// folder that exists, and every #anchor names a heading of its target, slugged as GitHub does
// (github-slugger); links inside code blocks are not links. Oracle: the files and headings themselves.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import GithubSlugger from 'github-slugger';
import { marked, type Token } from 'marked';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;
const files = execFileSync('git', ['ls-files', '*.md'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);

function walk(tokens: Token[], visit: (t: Token) => void): void {
  for (const t of tokens) {
    visit(t);
    const kids = (t as { tokens?: Token[] }).tokens;
    if (kids) walk(kids, visit);
    const items = (t as { items?: { tokens: Token[] }[] }).items;
    if (items) for (const i of items) walk(i.tokens, visit);
    const rows = (t as { rows?: { tokens: Token[] }[][]; header?: { tokens: Token[] }[] });
    if (rows.header) for (const c of rows.header) walk(c.tokens, visit);
    if (rows.rows) for (const r of rows.rows) for (const c of r) walk(c.tokens, visit);
  }
}

const parsed = new Map<string, { anchors: Set<string>; links: string[] }>();
function parse(file: string): { anchors: Set<string>; links: string[] } {
  if (!parsed.has(file)) {
    const slugger = new GithubSlugger();
    const anchors = new Set<string>(), links: string[] = [];
    walk(marked.lexer(readFileSync(join(ROOT, file), 'utf8')), (t) => {
      if (t.type === 'heading') anchors.add(slugger.slug((t as { text: string }).text.replace(/`/g, '')));
      if (t.type === 'link' || t.type === 'image') links.push((t as { href: string }).href);
    });
    parsed.set(file, { anchors, links });
  }
  return parsed.get(file)!;
}

describe('Markdown links', () => {
  it(`finds the Markdown files (${files.length})`, () => {
    expect(files).toContain('README.md');
  });
  for (const file of files) {
    it(`${file}: every relative link and #anchor resolves`, () => {
      const dead: string[] = [];
      for (const href of parse(file).links) {
        if (/^[a-z]+:/i.test(href)) continue; // http(s), mailto: not checked offline
        const [path, anchor] = href.split('#') as [string, string | undefined];
        const target = path === '' ? file : join(dirname(file), decodeURIComponent(path));
        if (!existsSync(join(ROOT, target))) { dead.push(`${href} (no ${target})`); continue; }
        if (anchor !== undefined && target.endsWith('.md') && statSync(join(ROOT, target)).isFile() && !parse(target).anchors.has(anchor)) {
          dead.push(`${href} (no heading #${anchor} in ${target})`);
        }
      }
      expect(dead).toEqual([]);
    });
  }
});
