// The filesystem the bench's temp folder is on, as far as it changes the tree figures. An ext4 without a
// journal (a VM image made so, for speed) re-checks every recently deleted inode (deleted in the last
// minute, or five while its inode table block is dirty) one by one before it reuses one: a tree
// extracted soon after another was deleted then costs many times the system time, and more with every
// deletion. On the bench's machine, rolling back a 485 MiB tree five times in a row took 0.7, 4.9, 6.6,
// 11 and 16 s of system time; on an ext4 with a journal (a shop's usual one) 0.9-1.2 s every time.
import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/** A note for the report when `dir` is on an ext4 without a journal; undefined otherwise or when unknown. */
export function journalNote(dir: string): string | undefined {
  try {
    const [majorMinor, type] = execFileSync('findmnt', ['-no', 'MAJ:MIN,FSTYPE', '-T', dir], { encoding: 'utf8' }).trim().split(/\s+/);
    if (type !== 'ext4') return undefined;
    const device = path.basename(readlinkSync(`/sys/dev/block/${majorMinor}`));
    if (readFileSync(`/sys/fs/ext4/${device}/journal_task`, 'utf8').trim() !== '<none>') return undefined;
    return `the temp folder (${dir}) is on an ext4 without a journal (${device}), which re-checks recently deleted inodes one by one: every extraction soon after a deletion (rollbacks, by hand, tar -xzf) costs many times the system time, differently from run to run; for tree figures as on a shop's server, give --tmp a folder on a journaled filesystem`;
  } catch {
    return undefined;
  }
}
