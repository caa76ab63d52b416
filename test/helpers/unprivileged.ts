// Running Lifeboat as an unprivileged user, as a shop's own user runs it, from a test that runs as root.
import { existsSync } from 'node:fs';
import { chmod, chown, copyFile, mkdir, readdir, rename, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** Debian's nobody: no home, no rights beyond what others have. */
export const NOBODY = { uid: 65534, gid: 65534 };

/** Gives `target` and everything in it to `user`. */
export async function chownTree(target: string, user = NOBODY): Promise<void> {
  await chown(target, user.uid, user.gid);
  for (const entry of await readdir(target, { withFileTypes: true })) {
    const child = path.join(target, entry.name);
    if (entry.isDirectory()) await chownTree(child, user);
    else await chown(child, user.uid, user.gid);
  }
}

/**
 * A node that any user may run: this one when every folder above it lets others through, else a copy in
 * the temporary folder (a node under root's home is out of an unprivileged user's reach).
 */
export async function nodeForAnyUser(): Promise<string> {
  const folders = path.dirname(process.execPath).split(path.sep).map((_, i, parts) => parts.slice(0, i + 1).join(path.sep) || path.sep);
  const modes = await Promise.all(folders.map(async (folder) => (await stat(folder)).mode));
  if (modes.every((mode) => (mode & 0o001) !== 0)) return process.execPath;
  const copy = path.join(os.tmpdir(), `lifeboat-test-node-${process.version}`, 'node');
  await mkdir(path.dirname(copy), { recursive: true, mode: 0o755 });
  if (!existsSync(copy)) {
    await copyFile(process.execPath, `${copy}.${process.pid}`);
    await chmod(`${copy}.${process.pid}`, 0o755);
    await rename(`${copy}.${process.pid}`, copy);
  }
  return copy;
}
