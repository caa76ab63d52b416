// The README's links within itself: every `](#anchor)` names a heading, as GitHub makes heading anchors
// (lower case, punctuation but `-` and `_` dropped, spaces as `-`). A renamed command heading otherwise
// leaves links that go nowhere.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

describe('README links', () => {
  it('every link to #anchor names a heading of the README', () => {
    const text = readFileSync('README.md', 'utf8').replace(/```[\s\S]*?```/g, '');
    const anchors = new Set<string>();
    for (const match of text.matchAll(/^#{1,6} (.+)$/gm)) {
      const base = slug(match[1]);
      let name = base;
      for (let n = 1; anchors.has(name); n++) name = `${base}-${n}`;
      anchors.add(name);
    }
    const broken = [...text.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]).filter((anchor) => !anchors.has(anchor));
    expect(broken).toEqual([]);
  });
});
