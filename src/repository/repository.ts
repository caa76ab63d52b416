// The backup repository (restic's repository over its backends, pgBackRest's storage drivers): what a
// backup is — an archive and its manifest, named as naming.ts says — and where it is: the backup folder
// and, with LIFEBOAT_STORAGE_URL, a bucket. Both are ObjectStores (src/stores), wrapped as every store is
// here: retries for errors that pass (retry.ts; S3's client retries its own requests, so for the bucket
// only broken reads are resumed), an optional rate limit, and a listing cache that this repository's own
// writes and deletes drop. Core's use cases (back up, roll back, prune, schedule, verify of contents), the
// routes and the CLI ask a Repository; none of them opens a store or builds an S3 client.
// New backups are written by the commit protocol of publish.ts (core's backup code calls it), in the
// backup folder; a Repository that has listed the folder before does not see them until `forget()`.
// A Repository is meant for one command, one request or one job: its listings are cached for its life
// (manifests are read anew each time, so what another process deleted meanwhile may show half: an
// archive whose manifest is gone reads as foreign). What is deleted is decided from a `fresh` list.
// The server opens one for its life (one S3 client, its connections reused) and takes a `session()` of
// it per request, which shares the stores and caches listings of its own.
import type { Readable } from 'node:stream';
import type { EncryptionSecret } from '../archive/encrypt.js';
import type { OffsiteSettings } from '../config/storage.js';
import { ListingCache } from '../stores/listing-cache.js';
import { LocalStore } from '../stores/local.js';
import { RateLimitedStore, type RateLimits } from '../stores/rate-limit.js';
import { isNetworkError, isPassingFileError, RetryingStore, type RetryPolicy } from '../stores/retry.js';
import { LazyS3Store } from '../stores/s3-lazy.js';
import type { ObjectStore } from '../stores/store.js';
import type { BackupRecord } from '../shared/types.js';
import { listFolderBackups } from './catalog.js';
import { deleteBackupEverywhere } from './delete.js';
import { backupsToUpload, findAnyBackup, listAllBackups, type ListOptions } from './offsite-catalog.js';
import { isLocal, loadOffsiteSecret, openLocalCopy, uploadBackup, withLocalCopy, type CopyProgressListener, type LocalCopy, type UploadOutcome } from './offsite-copy.js';
import { pruneRemoteContent, type RemotePruneResult } from './offsite-content-prune.js';
import { openStoredRange, openStoredRecord, plainArchiveSize, type PlainRange } from './offsite-read.js';
import { readStoredFileIndex } from './offsite-index.js';

/** What the repository is made of, from the settings. */
export interface RepositorySettings {
  backupDir: string;
  /** The bucket (LIFEBOAT_STORAGE_URL); none: the backup folder alone. */
  storage?: OffsiteSettings;
  /** Key of the copies in the bucket (LIFEBOAT_ENCRYPTION_KEY_FILE). */
  encryptionKeyFile?: string;
}

export interface RepositoryOptions {
  /** Limits on the bucket's requests and bytes; by default the settings' (LIFEBOAT_S3_LIMIT_*), if any. */
  offsiteLimits?: RateLimits;
}

/** An NFS or SMB backup folder that is busy: tried 4 times within about 2 s. */
const FOLDER_RETRIES: RetryPolicy = { attempts: 4, firstDelayMs: 200, maxDelayMs: 2000, isTransient: isPassingFileError };

/** The S3 client retries its requests itself (5 attempts); a read whose body broke is resumed here. */
const BUCKET_RESUMES: RetryPolicy = { attempts: 5, firstDelayMs: 200, maxDelayMs: 5000, isTransient: (error, place) => place === 'read' && isNetworkError(error) };

/** The stores of a repository, opened once and shared by its sessions. */
interface Stores {
  folder: ObjectStore;
  offsite: { store: ObjectStore; client: LazyS3Store } | undefined;
}

function openStores(settings: RepositorySettings, options: RepositoryOptions): Stores {
  const folder = new RetryingStore(new LocalStore(settings.backupDir), FOLDER_RETRIES);
  if (!settings.storage) return { folder, offsite: undefined };
  const { bucket, prefix, endpoint, region, conditionalWrites } = settings.storage;
  const client = new LazyS3Store({ bucket, prefix, endpoint, region, conditionalWrites });
  const limits = options.offsiteLimits ?? settings.storage.limits;
  const limited = limits ? new RateLimitedStore(client, limits) : client;
  return { folder, offsite: { store: new RetryingStore(limited, BUCKET_RESUMES), client } };
}

/** The plain archive of a backup, wherever it is: its record (whole manifest), size, and reader of byte ranges. */
export interface OpenedArchive {
  record: BackupRecord;
  size: number;
  /** The bytes `range` covers (both ends included), or all of them. */
  open(range?: PlainRange): Promise<Readable>;
}

export interface CopyOptions {
  signal?: AbortSignal;
  onProgress?: CopyProgressListener;
}

export class Repository {
  /** The backup folder, its listings cached for this repository's life. */
  private readonly folder: ListingCache;
  /** The bucket, likewise; undefined without off-site storage. */
  private readonly offsite: ListingCache | undefined;
  private secretLoaded: Promise<EncryptionSecret | undefined> | undefined;

  private constructor(
    private readonly settings: RepositorySettings,
    private readonly stores: Stores,
    private readonly ownsStores: boolean,
  ) {
    this.folder = new ListingCache(stores.folder);
    this.offsite = stores.offsite && new ListingCache(stores.offsite.store);
  }

  /** The repository the settings describe. Close it when done (it may hold an S3 client's connections). */
  static open(settings: RepositorySettings, options: RepositoryOptions = {}): Repository {
    return new Repository(settings, openStores(settings, options), true);
  }

  /** The same repository with listings of its own (none cached yet), for one request; closing it closes nothing. */
  session(): Repository {
    return new Repository(this.settings, this.stores, false);
  }

  /** Closes the S3 client's connections, if it was ever used. */
  close(): void {
    if (this.ownsStores) this.stores.offsite?.client.close();
  }

  get backupDir(): string {
    return this.settings.backupDir;
  }

  /** `s3://bucket/prefix` when off-site storage is configured. */
  get offsiteLocation(): string | undefined {
    return this.offsite?.location;
  }

  /** Where a backup is looked for, for messages: the backup folder, and the bucket when there is one. */
  get where(): string {
    return this.offsite ? `${this.backupDir} or ${this.offsite.location}` : this.backupDir;
  }

  /** The key of the copies in the bucket, read once; undefined when no key file is set (or no bucket). */
  secret(): Promise<EncryptionSecret | undefined> {
    if (!this.offsite) return Promise.resolve(undefined);
    this.secretLoaded ??= loadOffsiteSecret(this.settings.encryptionKeyFile);
    return this.secretLoaded;
  }

  /**
   * Every backup, newest first: the backup folder's and the bucket's, merged, with `locations` when
   * there is a bucket. `fresh` lists again what this repository has listed (to decide what to delete).
   */
  async list(options: ListOptions & { fresh?: boolean } = {}): Promise<BackupRecord[]> {
    if (options.fresh) this.forget();
    return listAllBackups(this.folder, this.offsite, options);
  }

  /** The backups in the backup folder alone. */
  listFolder(): Promise<BackupRecord[]> {
    return listFolderBackups(this.folder);
  }

  /** The backup an id, a unique id prefix or a file name names, in the backup folder or the bucket. */
  find(idOrFile: string, options: ListOptions = {}): Promise<BackupRecord> {
    return findAnyBackup(this.folder, this.offsite, idOrFile, options);
  }

  /** Removes a backup (archive and manifest) from wherever it is. */
  delete(record: BackupRecord): Promise<void> {
    return deleteBackupEverywhere(this.folder, this.offsite, record);
  }

  /** What `lifeboat upload` copies: the backup `idOrFile` names, or every backup whose copy is missing. */
  async toUpload(idOrFile: string | undefined): Promise<BackupRecord[]> {
    return backupsToUpload(await this.list(), idOrFile, this.where);
  }

  /** Copies a backup of the backup folder to the bucket (archive, then manifest), encrypted with the key if set. */
  async upload(record: BackupRecord, options: CopyOptions = {}): Promise<UploadOutcome> {
    if (!this.offsite) throw new Error('no off-site storage is configured');
    return uploadBackup(this.offsite, this.backupDir, record, { ...options, secret: await this.secret() });
  }

  /**
   * Runs `work` with a folder holding the backup's archive and manifest: the backup folder, or, for a
   * backup only in the bucket, a work folder it is fetched (and decrypted) into, removed afterwards.
   */
  async withLocalCopy<T>(record: BackupRecord, work: (archiveDir: string, record: BackupRecord) => Promise<T>, options: CopyOptions = {}): Promise<T> {
    const secret = isLocal(record) ? undefined : await this.secret();
    return withLocalCopy(this.offsite, this.backupDir, record, work, { ...options, secret });
  }

  /** As withLocalCopy, for a reader that outlives a call (a download's stream): `release` when done. */
  async openLocalCopy(record: BackupRecord, options: CopyOptions = {}): Promise<LocalCopy> {
    const secret = isLocal(record) ? undefined : await this.secret();
    return openLocalCopy(this.offsite, this.backupDir, record, { ...options, secret });
  }

  /**
   * Removes from the bucket's incremental store the data no backup in the bucket uses (after a delete
   * or a prune; the caller holds the job lock). Undefined without a bucket, or when it holds no such data.
   */
  async pruneOffsiteData(): Promise<RemotePruneResult | undefined> {
    if (!this.offsite) return undefined;
    this.offsite.forget();
    return pruneRemoteContent(this.offsite, await this.secret());
  }

  /**
   * The file index of a backup only in the bucket (decrypted; `whole`: its record with the whole
   * manifest, from openArchive), or undefined when there is none there. Checked by whoever reads it.
   */
  async offsiteFileIndex(whole: BackupRecord): Promise<Buffer | undefined> {
    if (!this.offsite) return undefined;
    return readStoredFileIndex(this.offsite, whole, await this.secret());
  }

  /**
   * The plain archive of a backup for reading by byte ranges (a download, `rollback --table` of a backup
   * only in the bucket): from the backup folder, else from the bucket, decrypted on the way.
   */
  async openArchive(found: BackupRecord): Promise<OpenedArchive> {
    if (isLocal(found) || !this.offsite) {
      const folder = this.folder;
      const size = (await folder.stat(found.file))?.size;
      if (size === undefined) throw new Error(`${found.file} is no longer in ${this.backupDir}`);
      return { record: found, size, open: (range) => folder.get(found.file, range && { offset: range.start, length: range.end - range.start + 1 }) };
    }
    const offsite = this.offsite;
    const secret = await this.secret();
    const record = await openStoredRecord(offsite, found, secret);
    return { record, size: plainArchiveSize(record), open: (range) => openStoredRange(offsite, record, secret, range) };
  }

  /** Drops the listings this repository holds: the next list asks the stores. */
  forget(): void {
    this.folder.forget();
    this.offsite?.forget();
  }
}
