// Global setup: the temporary folders of all tests (and of the commands they start) go into one folder
// for the run, removed when it ends. Many tests make folders that their hooks do not remove; a full run
// used to leave about 90 behind in /tmp.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(path.join(os.tmpdir(), 'lifeboat-test-run-'));
  // Others may pass through (not list it), so that a test can run a command as an unprivileged user.
  chmodSync(root, 0o711);
  process.env.TMPDIR = root; // read by os.tmpdir() in the test processes, which start after this
  return () => rmSync(root, { recursive: true, force: true });
}
