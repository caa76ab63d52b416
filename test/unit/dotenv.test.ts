// The .env reader on the forms Symfony's Dotenv reads (Shopware 6's .env and .env.local), and its refusals.
import { describe, expect, it } from 'vitest';
import { DotenvError, parseDotenv, type DotenvContext } from '../../src/shop/dotenv.js';

function read(text: string, context: DotenvContext = { env: {} }): Record<string, string> {
  return Object.fromEntries([...parseDotenv(text, context)].map(([name, { value }]) => [name, value]));
}

function failure(text: string): DotenvError {
  try {
    parseDotenv(text, { env: {} });
  } catch (error) {
    if (error instanceof DotenvError) return error;
    throw error;
  }
  throw new Error('expected a DotenvError');
}

describe('.env files', () => {
  it("reads Shopware 6's .env as the installer writes it", () => {
    const text = `###> symfony/lock ###
# Choose one of the stores below
# postgresql+advisory://db_user:db_password@localhost/db_name
LOCK_DSN=flock
###< symfony/lock ###

###> shopware/core ###
APP_ENV=prod
APP_URL=http://127.0.0.1:8000
APP_SECRET=def00000bb5acb32b54ff8ee130270586eec0e878f7337dc7a837acc
INSTANCE_ID=hG8Qm7f0cz3TjUSL1hTfYPSYnJYFbmWu
BLUE_GREEN_DEPLOYMENT=0
DATABASE_URL=mysql://shopware:shopware@localhost:3306/shopware
###< shopware/core ###

###> shopware/elasticsearch ###
OPENSEARCH_URL=http://localhost:9200
SHOPWARE_ES_ENABLED=0
###< shopware/elasticsearch ###
`;
    const values = parseDotenv(text, { env: {} });
    expect(values.get('DATABASE_URL')).toEqual({ value: 'mysql://shopware:shopware@localhost:3306/shopware', line: 13 });
    expect(values.get('APP_ENV')?.value).toBe('prod');
    expect(values.get('LOCK_DSN')?.value).toBe('flock');
  });

  it('reads quotes, escapes, export, comments and empty values', () => {
    expect(
      read(`export A=plain
B='single $A \\n "kept"' # comment
C="double \\"q\\" \\n \\\\ \\$A $A"
D=unquoted#not-a-comment
E=unquoted # a comment
F=
G= # only a comment
H=""
I='a'"b"c
J="two
lines"
  K=indented
L=a\\"b
`),
    ).toEqual({
      A: 'plain',
      B: 'single $A \\n "kept"',
      C: 'double "q" \n \\ $A plain',
      D: 'unquoted#not-a-comment',
      E: 'unquoted',
      F: '',
      G: '',
      H: '',
      I: 'abc',
      J: 'two\nlines',
      K: 'indented',
      L: 'a"b',
    });
    expect(read('A=1\r\nB=2\r\n')).toEqual({ A: '1', B: '2' });
    expect(read('export A\nB=1')).toEqual({ B: '1' });
  });

  it('expands variables as Symfony does, the process environment first', () => {
    const text = `DB_USER=shop
DB_PASS=p@ss
DB_HOST=db
DATABASE_URL="mysql://\${DB_USER}:$DB_PASS@\${DB_HOST:-localhost}:\${DB_PORT:-3306}/\${DB_NAME:=shopware}"
COPY=$DB_NAME
ESCAPED=\\$DB_USER
LONE=$ and \${UNSET}x
`;
    expect(read(text)).toMatchObject({
      DATABASE_URL: 'mysql://shop:p@ss@db:3306/shopware',
      DB_NAME: 'shopware',
      COPY: 'shopware',
      ESCAPED: '$DB_USER',
    });
    expect(read('LONE="$ and ${UNSET}x"').LONE).toBe('$ and x');
    expect(read(text, { env: { DB_HOST: 'mysql', DB_PASS: 'from-env' } }).DATABASE_URL).toBe('mysql://shop:from-env@mysql:3306/shopware');
    expect(read('URL=mysql://$DB_USER@h/db', { env: {}, earlier: new Map([['DB_USER', 'earlier']]) }).URL).toBe('mysql://earlier@h/db');
  });

  it('refuses what it cannot read, with the line', () => {
    expect(failure('A=1\nB = 2')).toMatchObject({ message: 'has a space after B: write B=value', line: 2 });
    expect(failure('A=1\n\nB')).toMatchObject({ message: 'has no "=" after B', line: 3 });
    expect(failure('A=two words')).toMatchObject({ message: 'has a value with spaces that is not in quotes', line: 1 });
    expect(failure('A= value')).toMatchObject({ line: 1 });
    expect(failure('A=1\nB="never closed\nC=3')).toMatchObject({ message: 'has a double quote that is never closed', line: 2 });
    expect(failure("A='x")).toMatchObject({ message: 'has a single quote that is never closed' });
    expect(failure('A=1\nB=$(cat /etc/secret)')).toMatchObject({ message: 'runs a command ($(...)), which Lifeboat does not do', line: 2 });
    expect(failure('A=${B')).toMatchObject({ message: 'has a "${" that is never closed' });
    expect(failure('A=${B:-"x"}')).toMatchObject({ line: 1 });
    expect(failure('1A=x')).toMatchObject({ message: 'has a line that does not start with a variable name (NAME=value)' });
  });
});
