import type { BackupRecord, IncrementalManifest } from '../shared/types.js';

/** What an incremental backup added and holds: from its manifest, or the plain part of a sealed one. */
export function incrementalOf(record: BackupRecord): IncrementalManifest | undefined {
  return record.manifest?.incremental ?? record.sealedManifest?.incremental;
}

/** The stable JSON shape of a backup record: the CLI's --json output and the HTTP API both use it. */
export function recordSummary(record: BackupRecord): Record<string, unknown> {
  return {
    id: record.id,
    file: record.file,
    type: record.type,
    name: record.name,
    time: record.time,
    createdAt: new Date(record.time * 1000).toISOString(),
    size: record.size,
    sha256: record.sha256 ?? null,
    origin: record.origin,
    ...(record.problem ? { problem: record.problem } : {}),
    ...(record.locations ? { locations: record.locations } : {}),
    ...(record.copyMissing ? { copyMissing: true } : {}),
    ...(!record.manifest && incrementalOf(record) ? { incremental: incrementalOf(record) } : {}),
    ...(record.manifest
      ? {
          engine: record.manifest.engine?.kind ?? null,
          database: record.manifest.engine?.database ?? null,
          tables: record.manifest.tables.length,
          rows: record.manifest.tables.reduce((sum, t) => sum + t.rows, 0),
          sqlBytes: record.manifest.sqlBytes,
          ...(record.manifest.strip
            ? { strip: { patterns: record.manifest.strip, tables: record.manifest.tables.filter((t) => t.stripped).map((t) => t.name) } }
            : {}),
          ...(record.manifest.anonymized
            ? { anonymized: Object.fromEntries(record.manifest.tables.filter((t) => t.anonymized?.length).map((t) => [t.name, t.anonymized])) }
            : {}),
          ...(record.manifest.tree
            ? {
                dump: record.manifest.dump?.path ?? null,
                files: record.manifest.tree.files,
                dirs: record.manifest.tree.dirs,
                symlinks: record.manifest.tree.symlinks,
                hardlinks: record.manifest.tree.hardlinks,
                treeBytes: record.manifest.tree.bytes,
                followedSymlinks: record.manifest.tree.followedSymlinks,
              }
            : {}),
          ...(record.manifest.incremental ? { incremental: record.manifest.incremental } : {}),
          warnings: record.manifest.warnings,
        }
      : {}),
  };
}
