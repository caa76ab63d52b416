// The codecs by name (as manifests and settings give it) and by file name (as archives are found).
import type { CompressionName } from '../../shared/types.js';
import type { Codec } from './codec.js';
import { gzip } from './gzip.js';
import { zstd } from './zstd.js';

const CODECS: Readonly<Record<CompressionName, Codec>> = { gzip, zstd };

/** gzip: Magento's archives are .sql.gz and .tgz, and every shop's tools read them. */
export const DEFAULT_CODEC: Codec = gzip;

export const ALL_CODECS: readonly Codec[] = Object.values(CODECS);

/** The codec of a name, or an error naming the known ones (a manifest from a newer version, say). */
export function codecNamed(name: string): Codec {
  const codec = (CODECS as Partial<Record<string, Codec>>)[name];
  if (!codec) throw new Error(`unknown compression "${name}" (known: ${Object.keys(CODECS).join(', ')})`);
  return codec;
}

/**
 * Every extension (no dot) database dumps or file-tree archives are recognised by: each codec's, and
 * for dumps Magento's plain `sql` (no codec), as a regular expression's alternatives (dots escaped).
 */
export function extensionPattern(kind: 'db' | 'tree'): string {
  const extensions = ALL_CODECS.flatMap((codec) => codec.readExtensions[kind]);
  return (kind === 'db' ? ['sql', ...extensions] : extensions).map((ext) => ext.replace(/\./g, '\\.')).join('|');
}

/** The codec of an extension (no dot: `sql.gz`, `tgz`, Magento's `gz`); undefined for others. */
export function codecOfExtension(ext: string): Codec | undefined {
  return ALL_CODECS.find((codec) => codec.readExtensions.db.includes(ext) || codec.readExtensions.tree.includes(ext));
}

/** The codec of a dump or archive file by its extension (`x.sql.gz`, `x.tgz`, Magento's `x.gz`); undefined for others. */
export function codecOfFileName(file: string): Codec | undefined {
  return ALL_CODECS.find((codec) => [...codec.readExtensions.db, ...codec.readExtensions.tree].some((ext) => file.endsWith(`.${ext}`)));
}
