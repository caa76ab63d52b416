// The layers of src/ and which may use which: an import from a lower layer to a higher one (an engine
// importing from core, say) is a design error this test names, file and import, before review has to.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

/** Each folder of src and the folders its files may import from (besides their own). */
const MAY_USE: Record<string, readonly string[]> = {
  shared: [],
  sql: ['shared'],
  archive: ['shared'],
  engines: ['shared', 'sql'],
  stores: ['shared', 'archive'],
  shop: ['shared'],
  config: ['shared', 'engines', 'shop', 'stores'],
  state: ['shared', 'sql', 'engines', 'config'],
  repository: ['shared', 'archive', 'stores', 'config'],
  core: ['shared', 'sql', 'archive', 'engines', 'stores', 'shop', 'config', 'state', 'repository'],
  demo: ['shared', 'sql', 'engines', 'config', 'state', 'core'],
  server: ['shared', 'sql', 'archive', 'engines', 'stores', 'shop', 'config', 'state', 'repository', 'core'],
  cli: ['shared', 'sql', 'archive', 'engines', 'stores', 'shop', 'config', 'state', 'repository', 'core', 'server', 'demo'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** Relative module specifiers of static imports, re-exports and dynamic imports. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)].map((match) => match[1]);
}

const layerOf = (file: string): string => path.relative(SRC, file).split(path.sep)[0];

describe('layers', () => {
  it('every folder of src has a place in the layers', () => {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((entry) => entry.isDirectory() && entry.name !== 'web');
    expect(folders.map((entry) => entry.name).filter((name) => !(name in MAY_USE))).toEqual([]);
  });

  it('no import runs up the layers', () => {
    const wrong: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const from = layerOf(file);
      for (const specifier of importsOf(file)) {
        const to = layerOf(path.resolve(path.dirname(file), specifier));
        if (to !== from && !MAY_USE[from]?.includes(to)) wrong.push(`${path.relative(SRC, file)} imports ${specifier}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
