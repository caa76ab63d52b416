// What every command needs: settings, output helpers, and Ctrl-C turned into a clean abort.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { StateStore } from '../state/state.js';
import type { AccountStore } from '../state/accounts.js';
import { loadSettings, type Settings } from '../config/settings.js';
import { tightenPrivateHome } from '../shared/private-home.js';
import { log, logFormat } from '../shared/log.js';
import { redact } from '../shared/redact.js';

/**
 * What a command reports on stdout (a table, its result, --json data); what it logs goes to stderr
 * through src/shared/log.ts. Both pass through redact: no password or token reaches a terminal or a log.
 */
export const stdio = {
  out: (text: string) => process.stdout.write(asLine(redact(text))),
};

function asLine(text: string): string {
  return text.endsWith('\n') ? text : text + '\n';
}

/** The settings; a home an older version left readable by other users is made private first (see private-home.ts). */
export function settings(): Settings {
  const loaded = loadSettings(process.env, process.cwd());
  for (const line of tightenPrivateHome(loaded.home)) log.warning(line);
  return loaded;
}

/**
 * Runs long work with an AbortSignal that the first Ctrl-C (or SIGTERM) fires, so the work can remove
 * what it half-wrote; a second Ctrl-C exits at once.
 */
export async function withInterrupts<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (name: NodeJS.Signals) => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    if (logFormat() === 'human') process.stderr.write('\n'); // off a progress bar's line
    log.warn(`${name}: stopping cleanly (press Ctrl-C again to exit at once)`);
    controller.abort(new Error(`interrupted by ${name}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/*
 * Lifeboat's state, loaded when a command first uses it: a command's definition loads nothing but the
 * command line itself, so `lifeboat --help` and every command start in a few milliseconds.
 */
export async function openState(config: Settings): Promise<StateStore> {
  const { StateStore } = await import('../state/state.js');
  return StateStore.open(config);
}

/**
 * Whether Lifeboat's state is there to be read: the SQLite file in the home, or a shared schema (made on
 * first use by whoever writes, so presumed there). Read-only commands look before they open it: opening
 * creates the home and the file, and a command run in the wrong folder must leave no `var/` behind.
 */
export function stateExists(config: Settings): boolean {
  return config.stateTarget !== undefined || existsSync(path.join(config.home, 'lifeboat.db'));
}

/** Why a read-only command found nothing: no state where it looked, and how to point it at the shop. */
export function noStateHere(config: Settings): string {
  return `no Lifeboat state in ${config.home}; run this in the shop's root folder, or set LIFEBOAT_ROOT (or LIFEBOAT_HOME) to the shop's`;
}

/** For a read-only command: the state, or undefined when there is none (and none is created). */
export async function openExistingState(config: Settings): Promise<StateStore | undefined> {
  return stateExists(config) ? openState(config) : undefined;
}

/** Runs `use` with the accounts (users, roles) and closes them afterwards. */
export async function withAccounts<T>(config: Settings, use: (accounts: AccountStore) => Promise<T>): Promise<T> {
  const [{ AccountStore }, { usingStore }] = await Promise.all([import('../state/accounts.js'), import('../state/state-db.js')]);
  return usingStore(AccountStore.open(config), use);
}
