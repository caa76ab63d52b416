// Whether a file archive's backup gives its helpers threads of their own (the archive's sha256, the
// size estimate's count of the tree): only where the machine has more than two cores. On two, the
// packer, the tree's reader and the compressors keep both busy already, and a helper's thread added
// only its own costs: its start, its copy of the compiled code, and for the sha256 a copy of every byte
// and a message per MiB. Alternated on the bench's shop trees with zstd on two cores, hashing on the
// packing thread took 0.1 s of CPU off a System backup at scale 0.05 (1.32 against 1.43 s) and 0.35 s at
// 0.15 (2.52 against 2.87 s), and its peak RSS 13-14 MiB; counting on the reading thread 0.08-0.15 s
// at 0.05 (1.28-1.32 against 1.40-1.47 s, under perf) and 7-10 MiB. With more cores a helper's own
// thread runs beside the others at no cost to them.
import { availableParallelism } from 'node:os';

export const helperThreadsPay = (): boolean => availableParallelism() > 2;
