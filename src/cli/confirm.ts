// Asking before destroying: rollback and delete need a "yes", typed or given as --yes.
import { createInterface } from 'node:readline/promises';
import { UsageError } from '../shared/errors.js';

export async function confirm(question: string, assumeYes: boolean | undefined): Promise<boolean> {
  if (assumeYes) return true;
  if (!process.stdin.isTTY) {
    throw new UsageError(`${question.replace(/\?$/, '')}: no terminal to ask on; add --yes to confirm`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
