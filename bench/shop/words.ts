// Building blocks of the generated shop data: word lists and the SQL expressions that pick from them.
// Everything is derived from CRC32 of the row number on the server, so two runs at the same scale
// produce identical tables (the same CHECKSUM TABLE values as the team's gen-shop-db.sh).

/** `CRC32(CONCAT('key',expr))`: a pseudo-random unsigned int derived from `expr`. */
export function h(key: string, expr: string): string {
  return `CRC32(CONCAT('${key}',${expr}))`;
}

/** SQL string literal body: quotes doubled, backslashes doubled. */
function escapeWord(word: string): string {
  return word.replace(/\\/g, '\\\\').replace(/'/g, "''");
}

/** `ELT(1+(hash)%n,'w1',...)`: one of the words, chosen by a hash expression. */
export function pick(hash: string, words: readonly string[]): string {
  return `ELT(1+(${hash})%${words.length},${words.map((w) => `'${escapeWord(w)}'`).join(',')})`;
}

export const FIRST = [
  'John', 'Mary', 'José', 'Zoë', 'Łukasz', 'Søren', 'François', 'Jürgen', 'Ana', 'Émilie', 'Björn', 'Çağla', 'Ηλίας', 'Иван', '山田', '李',
  "O'Brien", "D'Angelo", 'Nguyễn', 'Aoife', 'Priya', 'Mohammed', 'Olga', 'Pierre', 'Hans', 'Sofía', 'Chloé', 'Mateus', 'Anna', 'Giulia', 'Kenji', 'Fatma',
] as const;
export const LAST = [
  'Smith', 'Müller', 'García', 'Kowalski', 'Jensen', 'Dubois', 'Schröder', 'Ørsted', 'Novák', 'Dvořák', 'Papadopoulos', 'Иванов', '田中', '王',
  "O'Neil", "d'Alembert", 'Trần', 'Murphy', 'Sharma', 'Khan', 'Petrova', 'Lefèvre', 'Weiß', 'Fernández', 'Costa', 'Rossi', 'Sato', 'Yılmaz', 'Nilsson', 'Brown',
] as const;
export const ADJ = [
  'Classic', 'Premium', 'Organic', 'Vintage', 'Ultra', 'Eco', 'Smart', 'Deluxe', 'Compact', 'Wireless', 'Handmade', 'Lightweight',
  'Waterproof', 'Ergonomic', 'Modern', 'Rustic', 'Élégant', 'Großer', 'Café', 'Naïve', 'Nordic', 'Urban', 'Pro', 'Mini',
] as const;
export const NOUN = [
  'Shirt', 'Jacket', 'Backpack', 'Lamp', 'Chair', 'Table', 'Watch', 'Headphones', 'Mug', 'Bottle', 'Sneakers', 'Dress', 'Scarf', 'Wallet',
  'Speaker', 'Keyboard', 'Tent', 'Bike', 'Helmet', 'Sofa', 'Blender', 'Kettle', 'Drone', 'Notebook',
] as const;
export const COLOR = ['Red', 'Blue', 'Black', 'White', 'Green', 'Grey', 'Navy', 'Beige', 'Rosé', 'Türkis', 'Gold', 'Silver', 'Orange', 'Purple'] as const;
export const MAT = ['cotton', 'leather', 'steel', 'oak', 'bamboo', 'wool', 'recycled plastic', 'aluminium', 'linen', 'ceramic', 'glass', 'silk'] as const;
export const CITY = [
  'Berlin', 'München', 'Paris', 'Łódź', 'København', 'Zürich', 'London', 'New York', 'Kraków', 'São Paulo', 'Tōkyō', 'Αθήνα', 'Москва', 'Dublin', 'Wien', 'Milano',
] as const;
export const STATUS = ['pending', 'processing', 'complete', 'complete', 'complete', 'canceled', 'closed', 'holded'] as const;

/** A first name for row `s.seq`. */
export const E_FN = pick(h('fn', 's.seq'), FIRST);
/** A last name for row `s.seq`. */
export const E_LN = pick(h('ln', 's.seq'), LAST);
/** A product name for product `p.seq`. */
export const E_PNAME = `CONCAT_WS(' ', ${pick(h('pa', 'p.seq'), ADJ)}, ${pick(h('pc', 'p.seq'), COLOR)}, ${pick(h('pn', 'p.seq'), NOUN)}, p.seq)`;

/** Edge-case strings used in a few % of rows (quotes, backslashes, newlines, NUL, ^Z, emoji ...). */
export function edge(hash: string): string {
  return String.raw`ELT(1+(${hash})%12, 'It''s a "quoted" note', 'back\\slash C:\\temp\\new', 'line1\nline2\r\nline3', CONCAT('nul', CHAR(0), 'byte'), CONCAT('ctrl-z', CHAR(26)), 'tab\tseparated\tvalue', 'emoji 😀🚀 ✓ 中文 العربية', '''; DROP TABLE sales_order; --', '<script>alert("x")</script>', '100% _wild_ card', '', 'trailing space ')`;
}

/** 1024 pseudo-random bytes derived from `expr` (16 × SHA-512). */
export function randomBytesExpr(prefix: string, expr: string): string {
  const parts = Array.from({ length: 16 }, (_, i) => `UNHEX(SHA2(CONCAT('${prefix}${i + 1}',${expr}),512))`);
  return `CONCAT(${parts.join(',')})`;
}
