// What the bench creates, and removes at the end: one temp folder (every file it writes is under it) and
// databases named lbbench_<run id>_<purpose>, each dropped by name (never by a pattern that could name
// another run's lbbench_* databases). --keep keeps both. What a run killed with SIGKILL left (its folder,
// and its databases on this server) is removed by the next run, found by the dead owner its folder names.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OWNER_FILE, ownerGone } from './abandoned-instances.js';
import { openConnection, quoteId, type Server } from './server.js';

export class Scratch {
  private readonly databases = new Set<string>();

  private constructor(
    readonly id: string,
    readonly dir: string,
    private readonly server: Server,
  ) {}

  static async create(parent: string, server: Server): Promise<Scratch> {
    await mkdir(parent, { recursive: true });
    await removeAbandonedScratch(parent, server);
    const id = randomBytes(3).toString('hex');
    const dir = await mkdtemp(path.join(parent, `lbbench-${id}-`));
    await writeFile(path.join(dir, OWNER_FILE), `${process.pid}\n`); // a killed run's folder is found by the next
    return new Scratch(id, dir, server);
  }

  /** A path inside the temp folder. */
  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  /** The name of this run's database for a purpose (registered for the final drop). */
  database(purpose: string): string {
    const name = `lbbench_${this.id}_${purpose}`;
    this.databases.add(name);
    return name;
  }

  /** Drops and re-creates an empty database for a purpose. */
  async freshDatabase(purpose: string): Promise<string> {
    const name = this.database(purpose);
    const conn = await openConnection(this.server);
    try {
      await conn.query(`DROP DATABASE IF EXISTS ${quoteId(name)}`);
      await conn.query(`CREATE DATABASE ${quoteId(name)} DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
    } finally {
      await conn.end();
    }
    return name;
  }

  async dropDatabase(name: string): Promise<void> {
    const conn = await openConnection(this.server);
    try {
      await conn.query(`DROP DATABASE IF EXISTS ${quoteId(name)}`);
    } finally {
      await conn.end();
    }
  }

  /** Drops this run's databases and removes the temp folder, unless kept; returns what was kept. */
  async cleanup(keep: boolean): Promise<string[]> {
    if (keep) {
      await rm(path.join(this.dir, OWNER_FILE), { force: true }); // kept: no later run may take it for a killed one's
      return [this.dir, ...this.databases];
    }
    const problems: string[] = [];
    for (const name of this.databases) {
      await this.dropDatabase(name).catch((error: Error) => problems.push(`could not drop ${name}: ${error.message}`));
    }
    await rm(this.dir, { recursive: true, force: true }).catch((error: Error) => problems.push(`could not remove ${this.dir}: ${error.message}`));
    if (problems.length) throw new Error(problems.join('; '));
    return [];
  }
}

/** Removes the temp folders under `parent` (and their databases on `server`) of bench runs that were killed. */
async function removeAbandonedScratch(parent: string, server: Server): Promise<void> {
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    const id = /^lbbench-([0-9a-f]{6})-/.exec(name)?.[1];
    const dir = path.join(parent, name);
    if (id === undefined || !(await ownerGone(dir))) continue;
    const conn = await openConnection(server);
    try {
      const [rows] = await conn.query('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [`lbbench\\_${id}\\_%`]);
      for (const { name: database } of rows as { name: string }[]) await conn.query(`DROP DATABASE IF EXISTS ${quoteId(database)}`);
    } finally {
      await conn.end();
    }
    await rm(dir, { recursive: true, force: true });
  }
}
