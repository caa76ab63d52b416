// The PHP literal reader on the shapes shops' configuration files take, and on what it must not evaluate.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isArray, lookup, NotLiteralError, parseReturnFile, PhpSyntaxError, type PhpValue } from '../../src/shop/php-literal.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/shop-config');

const value = (php: string, ...keys: string[]) => lookup(parseReturnFile(`<?php\nreturn ${php};\n`), keys);

function notLiteral(php: string, ...keys: string[]): NotLiteralError {
  try {
    value(php, ...keys);
  } catch (error) {
    if (error instanceof NotLiteralError) return error;
    throw error;
  }
  throw new Error('expected a NotLiteralError');
}

function syntaxError(text: string): PhpSyntaxError {
  try {
    parseReturnFile(text);
  } catch (error) {
    if (error instanceof PhpSyntaxError) return error;
    throw error;
  }
  throw new Error('expected a PhpSyntaxError');
}

/** The array as a plain object, for comparing. */
function plain(v: PhpValue | undefined): unknown {
  if (!isArray(v)) return v;
  return Object.fromEntries([...v.entries].map(([k, item]) => [k, plain(item)]));
}

describe('PHP literals', () => {
  it("reads Magento 2.4's installer output whole", () => {
    const env = parseReturnFile(readFileSync(path.join(FIXTURES, 'magento-2.4-installer.env.php'), 'utf8'));
    expect(plain(lookup(env, ['db', 'connection', 'default']))).toEqual({
      host: 'localhost',
      dbname: 'magento',
      username: 'magento',
      password: 'Mag3nto!',
      model: 'mysql4',
      engine: 'innodb',
      initStatements: 'SET NAMES utf8;',
      active: '1',
      driver_options: { '1014': false },
    });
    expect(lookup(env, ['db', 'table_prefix'])).toBe('');
    expect(lookup(env, ['cache', 'frontend', 'default', 'backend'])).toBe('Magento\\Framework\\Cache\\Backend\\Redis');
    expect(lookup(env, ['directories', 'document_root_is_pub'])).toBe(true);
    expect(lookup(env, ['downloadable_domains', '0'])).toBe('shop.example.com');
    expect(lookup(env, ['cache_types', 'translate'])).toBe(1);
    expect(lookup(env, ['db', 'connection', 'checkout'])).toBeUndefined();
  });

  it('reads the old array() style with comments, NULL, trailing commas and escaped quotes', () => {
    const env = parseReturnFile(readFileSync(path.join(FIXTURES, 'magento-old-style.env.php'), 'utf8'));
    expect(lookup(env, ['db', 'connection', 'default', 'password'])).toBe('it\'s a "secret" \\ $HOME');
    expect(lookup(env, ['db', 'connection', 'indexer', 'persistent'])).toBeNull();
    expect(lookup(env, ['db', 'table_prefix'])).toBe('m2_');
    expect(lookup(env, ['MAGE_MODE'])).toBe('default');
  });

  it('decodes both quote styles as PHP does', () => {
    expect(value(String.raw`'a\'b\\c\nd\$'`)).toBe(String.raw`a'b\c\nd\$`);
    expect(value(String.raw`"tab\there\nline \"q\" \\ \$x \x41\101\u{1F600} \q \e"`)).toBe('tab\there\nline "q" \\ $x AA\u{1F600} \\q \x1b');
    expect(value(String.raw`"\xC3\xA9t\xC3\xA9"`)).toBe('été');
    expect(value(`'ünïcödé ⚓ 密码'`)).toBe('ünïcödé ⚓ 密码');
    expect(value(`"a $ sign, {braces} and 100%"`)).toBe('a $ sign, {braces} and 100%');
    expect(value(`'spans\ntwo lines'`)).toBe('spans\ntwo lines');
  });

  it('reads numbers, booleans and null in their spellings', () => {
    expect(plain(value(`[3306, -1, +2, 1.5, .5, 1e3, 0x1F, 0b101, 0o17, 0755, 1_000_000, TRUE, False, \\true, NULL, null]`))).toEqual({
      0: 3306, 1: -1, 2: 2, 3: 1.5, 4: 0.5, 5: 1000, 6: 31, 7: 5, 8: 15, 9: 493, 10: 1000000, 11: true, 12: false, 13: true, 14: null, 15: null,
    });
  });

  it('keys arrays as PHP does: implicit indexes, "5" and 5 alike, the last duplicate winning', () => {
    expect(plain(value(`['a', 'b', 10 => 'c', 'd', '5' => 'e', '05' => 'f', true => 'g', null => 'h', 'x' => 1, 'x' => 2,]`))).toEqual({
      0: 'a', 1: 'g', 10: 'c', 11: 'd', 5: 'e', '05': 'f', '': 'h', x: 2,
    });
    expect(plain(value('array()'))).toEqual({});
    expect(plain(value('[[[]], array(array(1,),),]'))).toEqual({ 0: { 0: {} }, 1: { 0: { 0: 1 } } });
  });

  it('skips comments of every kind and what follows the array', () => {
    const text = `<?php // env
# generated
/* block
   comment */ return [ // the config
  'a' /* inline */ => 'b', # after
];
?>
trailing output`;
    expect(lookup(parseReturnFile(text), ['a'])).toBe('b');
    expect(lookup(parseReturnFile("<?php\nreturn ['a' => 1];\nreturn ['a' => 2];"), ['a'])).toBe(1); // never reached
    expect(lookup(parseReturnFile("\uFEFF<?php\ndeclare(strict_types=1);\n\nreturn ['x' => 1];"), ['x'])).toBe(1);
  });

  it('keeps what is not a literal as such, and fails only where it is needed', () => {
    const php = `[
      'db' => ['connection' => ['default' => ['host' => 'db', 'password' => getenv('DB_PASSWORD')]]],
      'cache' => ['server' => $_ENV['REDIS'] ?? 'redis'],
    ]`;
    expect(value(php, 'db', 'connection', 'default', 'host')).toBe('db');
    const error = notLiteral(php, 'db', 'connection', 'default', 'password');
    expect(error.message).toBe('db/connection/default/password is a call to getenv()');
    expect(error.notLiteral.line).toBe(3);
  });

  it('says what each kind of code is, never quoting its strings', () => {
    const cases: [string, string][] = [
      [`DB_PASSWORD`, 'the constant DB_PASSWORD'],
      [`\\Vendor\\Config::PASSWORD`, 'the constant \\Vendor\\Config::PASSWORD'],
      [`'top' . 'secret'`, 'a concatenation (.)'],
      [`'top' ?? 'secret'`, 'an expression (??)'],
      [`$password`, 'the variable $password'],
      [`"top$secret"`, 'a string with variables in it, or a heredoc'],
      [`"top{$secret}"`, 'a string with variables in it, or a heredoc'],
      [`<<<EOT\ntopsecret\nEOT`, 'a string with variables in it, or a heredoc'],
      [`<<<'EOT'\ntopsecret\nEOT`, 'a string with variables in it, or a heredoc'],
      [`1 + 2`, 'an expression (+)'],
      [`new Secret('top')`, 'an object (new ...)'],
      [`function () { return 'topsecret'; }`, 'a function'],
      [`strrev('terces')`, 'a call to strrev()'],
      [`require 'secret.php'`, "another file (require)"],
    ];
    for (const [php, what] of cases) {
      const error = notLiteral(`['password' => ${php}]`, 'password');
      expect(error.message).toBe(`password is ${what}`);
      expect(error.message).not.toMatch(/top|terces/);
    }
  });

  it('refuses to guess a key that a spread or a constant key may hold', () => {
    expect(notLiteral(`['a' => 1, ...$more]`, 'b').message).toBe('the returned value (which may hold b) is an unpacked array (...)');
    expect(value(`['a' => 1, ...$more]`, 'a')).toBe(1);
    const keyed = `['driver_options' => [\\PDO::MYSQL_ATTR_SSL_CA => '/etc/ssl/ca.pem', 1014 => false]]`;
    expect(value(keyed, 'driver_options', '1014')).toBe(false);
    expect(notLiteral(keyed, 'driver_options', '1012').message).toBe('driver_options (which may hold 1012) is the constant \\PDO::MYSQL_ATTR_SSL_CA');
    expect(notLiteral(`getenv('CONFIG')`, 'db').message).toBe('the returned value is a call to getenv()');
    expect(notLiteral(`array_merge(['a' => 1], ['b' => 2])`, 'a').message).toBe('the returned value is a call to array_merge()');
    expect(notLiteral(`['a' => 1] + $defaults`, 'a').message).toBe('the returned value is an expression (+)');
  });

  it('reports a file that is not one returned array, with the line', () => {
    expect(syntaxError('return [];')).toMatchObject({ message: 'does not start with "<?php"', line: 1 });
    expect(syntaxError('<?php\n$config = [];\nreturn $config;')).toMatchObject({ message: 'does more than return an array: it starts with the variable $config', line: 2 });
    expect(syntaxError("<?php\n\nrequire 'other.php';")).toMatchObject({ message: 'does more than return an array: it starts with another file (require)', line: 3 });
    expect(syntaxError('<?php\nreturn [\n  "a" => 1,\n')).toMatchObject({ message: 'has an array (line 2) that is never closed', line: 2 });
    expect(syntaxError("<?php\nreturn [\n  'a' => 1\n  'b' => 2];")).toMatchObject({ message: 'has a string right after another value (a missing ","?)', line: 4 });
    expect(syntaxError("<?php\nreturn [\n  'a' => 1,\n  'b' => 2 => 3];")).toMatchObject({ message: 'has "=>" where "," or "]" should follow an array item', line: 4 });
    expect(syntaxError("<?php\nreturn ['a' => 'open];")).toMatchObject({ message: 'has a string that is never closed', line: 2 });
    expect(syntaxError('<?php /* never closed\nreturn [];')).toMatchObject({ message: 'has a comment "/*" that is never closed', line: 1 });
    expect(syntaxError('<?php\n// nothing')).toMatchObject({ message: 'holds no code' });
  });
});
