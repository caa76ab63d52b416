// Prose for the text-heavy database, generated on the server: a pool of about 23 MB of sentences built
// once per connection (a TEMPORARY one-row table, so it is never dumped), and SQL expressions that cut
// sentence-aligned pieces out of it at pseudo-random offsets. The sentences are runs of a small
// phrasebook (text_phrases), so that word sequences repeat as in real prose.
//
// Why a pool: building every row's text word by word would need hundreds of word picks per row, and
// pieces of one big string cost three LOCATEs each. Why a table: MariaDB copies a user variable's value
// each time an expression reads it (7 ms per row with a 14 MB @pool); a one-row table is a constant
// table, read once. Why so big: gzip sees 32 KiB at a time, so it never finds the pool's repeats, but
// zstd -3 looks back 2 MiB at a time, and a small pool would hand it repeats that real text lacks. Why in
// four chunks: GROUP_CONCAT, like every string function, gives up beyond max_allowed_packet (16 MiB by
// default); each chunk is about 6 MB.
import { OPENERS, VOCAB } from './text-words.js';
import { pick } from './words.js';

/** The pool's chunks (columns c1..c4 of its one row), and the sentences in each: about 6 MB of text. */
const CHUNKS = 4;
const SENTENCES = 65_536;
const COLUMNS = Array.from({ length: CHUNKS }, (_, i) => `c${i + 1}`);
/** Bytes at the pool's end that no piece starts in: longer than any piece asked for plus a sentence. */
const MARGIN = 65_536;

/**
 * A well-mixed unsigned 32-bit hash of `expr`. CRC32 alone is linear: the CRCs of 'w1-5' and 'w2-5' differ
 * by a constant, so words picked by key and row come out correlated ("w0 w0 w1 w1 w131 w132"); the
 * multiplication (its product stays under 2^63) spreads each difference over the high bits.
 */
export function mix(key: string, expr: string): string {
  return `(CRC32(CONCAT('${key}',${expr})) * 1540483477 % 4294967296)`;
}

/** A word of VOCAB for `hash` (32 bits): index n·u³, u uniform in [0,1): the list's front is the most frequent. */
function zipfWord(hash: string): string {
  return pick(`FLOOR(${VOCAB.length} * POW((${hash}) / 4.294967296e9, 3))`, VOCAB);
}

/** Words of the phrasebook (text_phrases): 2 to 5 words each, picked as zipfWord does. */
const PHRASES = 4_096;

/**
 * A run of 1 to 4 words of the phrasebook, from an offset near its front more often than not (u²): real
 * prose repeats word sequences ("free returns within 30 days", "the quality is"), which gzip finds as
 * long matches; words picked one by one never repeat two in a row.
 */
function phrase(i: number): string {
  const from = `(LOCATE(' ', tph.txt, 1 + FLOOR(tph.span * POW(${mix(`p${i}-`, 's.seq')} / 4.294967296e9, 2))) + 1)`;
  return `SUBSTRING(tph.txt, ${from}, LOCATE(' ', tph.txt, ${from} + 1 + ${mix(`q${i}-`, 's.seq')} % 24) - ${from})`;
}

/**
 * Creates the connection's pool: `text_phrases` (one row: txt, the phrasebook; span, where runs may
 * start) and `text_pool` (one row: c1..c4, the chunks of sentences; span, where pieces may start in each).
 */
export function poolStatements(): string[] {
  const words = Array.from({ length: 5 }, (_, i) => {
    const word = zipfWord(mix(`w${i}-`, 's.seq'));
    return i < 2 ? word : `IF(${i} < 2 + ${mix('pl', 's.seq')} % 4, ${word}, NULL)`;
  });
  // An opener and 3 to 7 runs of the phrasebook: 4 to 25 words.
  const runs = Array.from({ length: 7 }, (_, i) => (i < 3 ? phrase(i) : `IF(${i} < 3 + ${mix('len', 's.seq')} % 5, ${phrase(i)}, NULL)`));
  const sentence = `CONCAT_WS(' ', ${pick(mix('op', 's.seq'), OPENERS)}, ${runs.join(', ')})`;
  const chunks = Array.from({ length: CHUNKS }, (_, i) => {
    const from = i * SENTENCES + 1;
    // Binary, so that SUBSTRING and LOCATE count bytes and jump straight to an offset (a utf8mb4 string
    // is scanned from its start). Pieces begin and end at '. ', so no UTF-8 character is cut.
    return `(SELECT CAST(CONCAT(GROUP_CONCAT(${sentence} ORDER BY s.seq SEPARATOR '. '), '. ') AS BINARY) AS txt
    FROM seq_${from}_to_${from + SENTENCES - 1} s JOIN text_phrases tph ON tph.id = 1) c${i + 1}`;
  });
  return [
    // Room for a chunk in one GROUP_CONCAT; session only.
    'SET SESSION group_concat_max_len = 64 * 1024 * 1024',
    'DROP TEMPORARY TABLE IF EXISTS text_phrases, text_pool',
    // Not blob: MariaDB 10.11 stores a value of more than 64 KiB from a derived table into a blob column
    // cut to its length modulo 65536, without an error or warning even in strict mode.
    'CREATE TEMPORARY TABLE text_phrases (id tinyint NOT NULL PRIMARY KEY, txt mediumblob NOT NULL, span int unsigned NOT NULL) ENGINE=InnoDB',
    // Ends with a space, and no run starts in its last 64 bytes: every run ends at a space.
    `INSERT INTO text_phrases SELECT 1, t.txt, LENGTH(t.txt) - 64
  FROM (SELECT CAST(CONCAT(GROUP_CONCAT(CONCAT_WS(' ', ${words.join(', ')}) ORDER BY s.seq SEPARATOR ' '), ' ') AS BINARY) AS txt FROM seq_1_to_${PHRASES} s) t`,
    `CREATE TEMPORARY TABLE text_pool (id tinyint NOT NULL PRIMARY KEY, ${COLUMNS.map((c) => `${c} longblob NOT NULL`).join(', ')}, span int unsigned NOT NULL) ENGINE=InnoDB`,
    `INSERT INTO text_pool SELECT 1, ${COLUMNS.map((c) => `${c}.txt`).join(', ')}, LEAST(${COLUMNS.map((c) => `LENGTH(${c}.txt)`).join(', ')}) - ${MARGIN}
  FROM ${chunks.join('\n  JOIN ')}`,
  ];
}

/** Join this to a statement's FROM for `piece()`: the pool as the constant table `tp`. */
export const POOL_JOIN = 'JOIN text_pool tp ON tp.id = 1';

/**
 * Whole sentences from the pool, at least `min` + hash % `spread` bytes (up to a sentence more), from the
 * chunk and offset that `expr` and `key` hash to. The hashes are computed anew where repeated (SQL has no
 * local names), which is cheap beside the row's INSERT.
 */
export function piece(key: string, expr: string, min: number, spread = 1): string {
  const hash = mix(key, expr);
  // The hash's top two bits choose the chunk; ELT hands over the column's value without copying it.
  const chunk = `ELT(1 + ${hash} DIV ${2 ** 32 / CHUNKS}, ${COLUMNS.map((c) => `tp.${c}`).join(', ')})`;
  const start = `(LOCATE('. ', ${chunk}, 1 + ${hash} % tp.span) + 2)`;
  const length = spread > 1 ? `${min} + ${mix(`${key}l`, expr)} % ${spread}` : String(min);
  // From the start to the '.' ending the sentence where `length` runs out.
  return `SUBSTRING(${chunk}, ${start}, LOCATE('. ', ${chunk}, ${start} + ${length}) - ${start} + 1)`;
}
