// Files that ship with Lifeboat beside its code (package.json, the admin page's files). The npm package
// and a source checkout read them from the package's folder; the single executable (`npm run package`),
// which has no folder, from the assets built into it, under the same paths.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { getAsset, isSea } from 'node:sea';

/** Whether this process is the single executable. */
export const inExecutable: boolean = isSea();

/** A file by its path in the package, e.g. 'src/web/index.html'. */
export function shippedFileSync(file: string): string {
  return inExecutable ? getAsset(file, 'utf8') : readFileSync(inPackage(file), 'utf8');
}

export async function shippedFile(file: string): Promise<string> {
  return inExecutable ? getAsset(file, 'utf8') : readFile(inPackage(file), 'utf8');
}

/** An asset of the single executable that is no file of the package (a worker's bundled code). */
export function executableAsset(key: string): string {
  return getAsset(key, 'utf8');
}

// This module is src/shared/shipped-files.ts or dist/shared/shipped-files.js: the package's folder is two up.
// (In the executable's bundle import.meta is empty, so this is never reached there.)
function inPackage(file: string): URL {
  return new URL(`../../${file}`, import.meta.url);
}
