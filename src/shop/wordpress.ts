// WordPress (and WooCommerce) wp-config.php: the `define('DB_NAME', '...');` statements (either quote
// style) and `$table_prefix = '...';`. The rest of the file is PHP that Lifeboat does not run; a DB_
// setting given by code (getenv(), a constant, a condition) is refused. DB_HOST takes WordPress's forms:
// "host", "host:port", "[::1]:port", "host:/socket" and ":/socket". As WordPress does, the file may sit in
// the folder above the root.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { mysqlEndpoint, parsePort, splitHost } from './mysql-host.js';
import { tokenize, type Token } from './php-lexer.js';
import { isNotLiteral, parseValueAt, phpString, type PhpValue } from './php-literal.js';
import { fileError, notPlainValue, readDatabase, ShopFileError, type ShopConfig, type ShopContext, type ShopDatabase } from './shop.js';

const SETTINGS = ['DB_NAME', 'DB_USER', 'DB_PASSWORD', 'DB_HOST'] as const;

/** wp-config.php in the root, or (as wp-load.php looks for it) in the folder above a WordPress root. */
export function wordpressConfigFile(root: string): string | undefined {
  const own = path.join(root, 'wp-config.php');
  if (existsSync(own)) return own;
  const above = path.join(root, '..', 'wp-config.php');
  if (existsSync(path.join(root, 'wp-settings.php')) && existsSync(above) && !existsSync(path.join(root, '..', 'wp-settings.php'))) return path.resolve(above);
  return undefined;
}

interface Definition {
  value: PhpValue;
  line: number;
  /** Inside a block or after a condition: which definition PHP takes depends on running it. */
  conditional: boolean;
  count: number;
}

export function readWordpress(root: string, context: ShopContext): ShopConfig {
  const file = wordpressConfigFile(root)!;
  const woo = existsSync(path.join(root, 'wp-content', 'plugins', 'woocommerce'));
  const config: ShopConfig = { platform: 'wordpress', label: woo ? 'WooCommerce (WordPress)' : 'WordPress', file, notes: [] };
  let found: Map<string, Definition>;
  try {
    found = definitions(tokenize(readFileSync(file, 'utf8')));
  } catch (error) {
    return { ...config, error: fileError(file, error).message };
  }
  const prefix = found.get('$table_prefix');
  const tablePrefix = prefix && !prefix.conditional && prefix.count === 1 ? phpString(prefix.value) : undefined;
  return readDatabase({ ...config, ...(tablePrefix !== undefined ? { tablePrefix } : {}) }, () => database(file, found, context));
}

function database(file: string, found: Map<string, Definition>, context: ShopContext): ShopDatabase {
  const text = (name: (typeof SETTINGS)[number]): string => {
    const definition = found.get(name);
    if (!definition) throw new ShopFileError(file, undefined, `defines no ${name} (it may come from a file it includes)`);
    const { value, line } = definition;
    if (definition.count > 1 || definition.conditional) {
      throw new ShopFileError(file, line, `${name} is defined ${definition.count > 1 ? `${definition.count} times` : 'under a condition'}, and which one counts shows only when PHP runs`);
    }
    if (isNotLiteral(value)) throw notPlainValue(file, value.line, `${name} is ${value.what}`);
    const asText = phpString(value);
    if (asText === undefined) throw new ShopFileError(file, line, `${name} is an array, not a text`);
    return asText;
  };
  const name = text('DB_NAME');
  const user = text('DB_USER');
  const password = text('DB_PASSWORD');
  const parts = splitHost(text('DB_HOST'));
  let port: number | undefined;
  if (parts.port) {
    const parsed = parsePort(parts.port);
    if (typeof parsed === 'string') throw new ShopFileError(file, found.get('DB_HOST')!.line, `DB_HOST: ${parsed}`);
    port = parsed;
  }
  if (user === '' || name === '') throw new ShopFileError(file, found.get(user === '' ? 'DB_USER' : 'DB_NAME')!.line, `${user === '' ? 'DB_USER' : 'DB_NAME'} is empty`);
  return { endpoint: mysqlEndpoint(parts.host, port, parts.socketPath, context.sockets), user, password, database: name, file, origin: 'DB_NAME, DB_USER, DB_PASSWORD, DB_HOST' };
}

/** The DB_ constants the file defines and its $table_prefix, wherever they stand. */
function definitions(tokens: Token[]): Map<string, Definition> {
  const found = new Map<string, Definition>();
  const record = (name: string, value: PhpValue, line: number, conditional: boolean) => {
    const earlier = found.get(name);
    // PHP keeps the first definition of a constant; a variable's last assignment counts.
    if (earlier) found.set(name, { ...(name.startsWith('$') ? { value, line } : earlier), conditional: earlier.conditional || conditional, count: earlier.count + 1 });
    else found.set(name, { value, line, conditional, count: 1 });
  };
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.value === '{') depth++;
    if (token.value === '}') depth--;
    const previous = tokens[i - 1]?.value;
    const atStatement = previous === undefined || previous === ';' || previous === '{' || previous === '}';
    const conditional = depth > 0 || !atStatement;
    if (token.kind === 'name' && token.value.toLowerCase() === 'define' && tokens[i + 1]?.value === '(' && !isMemberAccess(tokens, i)) {
      const name = parseValueAt(tokens, i + 2);
      if (typeof name.value !== 'string' || !(SETTINGS as readonly string[]).includes(name.value) || tokens[name.end]?.value !== ',') continue;
      const value = parseValueAt(tokens, name.end + 1);
      record(name.value, value.value, token.line, conditional);
    } else if (token.kind === 'variable' && token.value === '$table_prefix' && tokens[i + 1]?.value === '=' && tokens[i + 2]?.value !== '=') {
      record('$table_prefix', parseValueAt(tokens, i + 2).value, token.line, conditional);
    }
  }
  return found;
}

/** `$x->define(`, `X::define(`, `function define(`: not PHP's define(). */
function isMemberAccess(tokens: Token[], i: number): boolean {
  const previous = tokens[i - 1]?.value;
  return previous === '::' || (previous === '>' && tokens[i - 2]?.value === '-') || tokens[i - 1]?.value.toLowerCase() === 'function';
}
