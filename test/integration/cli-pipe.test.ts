// A command whose output is piped into a reader that stopped reading (`lifeboat list | head -1`) must
// neither crash with a stack trace nor fail: the rest of its output goes nowhere.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';

describe('output into a closed pipe', () => {
  it('is dropped quietly, and the command exits as it would have', () => {
    // The reader closes its end at once and lingers, so every write of the command meets EPIPE.
    const script = `set -o pipefail; "${process.execPath}" "${BIN}" --help | { exec 0<&-; sleep 1; }`;
    const result = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
