import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * One fenced code block of the docs. The fence's info string is the language, then optional
 * words: `no-test: <why>` for a block this machine cannot run (Docker, a real bot token…), and
 * `file=<name>` for a block that is the content of a file the following commands use.
 */
export interface CodeBlock {
  file: string;
  line: number;
  lang: string;
  code: string;
  noTest: string | null;
  fileName: string | null;
}

/** The Markdown files whose examples must run: README.md, docs/*.md and examples/README.md. */
export function docFiles(): string[] {
  const guides = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', 'examples/README.md', ...guides];
}

/** Every fenced block of a Markdown file, dedented when it sits inside a list item. */
export function extractBlocks(file: string): CodeBlock[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)(```+|~~~+)(.*)$/.exec(lines[i] as string);
    if (!open) continue;
    const [, indent = '', fence = '', info = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !(lines[j] as string).trimStart().startsWith(fence); j++) {
      const line = lines[j] as string;
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart());
    }
    const trimmed = info.trim();
    blocks.push({
      file,
      line: i + 1,
      lang: /^\S*/.exec(trimmed)?.[0] ?? '',
      code: body.join('\n'),
      noTest: /\bno-test:\s*(.+)$/.exec(trimmed)?.[1]?.trim() ?? null,
      fileName: /\bfile=(\S+)/.exec(trimmed)?.[1] ?? null,
    });
    i = j;
  }
  return blocks;
}

export const where = (block: CodeBlock) => `${block.file}:${block.line} (${block.lang || 'no language'})`;
