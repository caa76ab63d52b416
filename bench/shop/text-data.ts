// The text-heavy database's rows (about 4 million at scale 1, ~1.9 GB of SQL): product descriptions in
// HTML, reviews, order comments, queued e-mails as JSON, CMS pages and blocks, newsletters. INSERT ...
// SELECT over seq_1_to_N, the prose cut from the connection's sentence pool (text-pool.ts); each row also
// carries its own names, numbers and dates, as real rows do.
import { COMMENT_OPENERS, TITLES, TOPICS } from './text-words.js';
import { mix, piece, POOL_JOIN } from './text-pool.js';
import { E_FN, E_PNAME, MAT, STATUS, pick } from './words.js';

export interface TextCounts {
  products: number;
  reviews: number;
  statusHistory: number;
  queueMessages: number;
  cmsPages: number;
  cmsBlocks: number;
  newsletters: number;
}

const BASE: TextCounts = {
  products: 150_000, // 3 text rows each, a 4th for a third of them: 650 k rows with the products
  reviews: 620_000, // review and review_detail
  statusHistory: 1_500_000,
  queueMessages: 600_000,
  cmsPages: 3_000,
  cmsBlocks: 8_000,
  newsletters: 2_000,
};

/** Each count times the scale, rounded half up, at least 1 (as the shop's counts). */
export function textCounts(scale: number): TextCounts {
  const counts = {} as TextCounts;
  for (const key of Object.keys(BASE) as (keyof TextCounts)[]) counts[key] = Math.max(1, Math.floor(BASE[key] * scale + 0.5));
  return counts;
}

/** Rows the statements insert (the translated descriptions: every third product). */
export function textRows(n: TextCounts): number {
  return n.products * 4 + Math.floor(n.products / 3) + n.reviews * 2 + n.statusHistory + n.queueMessages + n.cmsPages + n.cmsBlocks + n.newsletters;
}

/**
 * `html` wrapped as Magento's Page Builder saves it (a row holding a text element, with its style): stores
 * that edit content with it hold much of their HTML in this verbose, repetitive form. `id` is the
 * element's random 7-character style key.
 */
function pageBuilder(html: string, id: string): string {
  return `CONCAT('<style>#html-body [data-pb-style=', ${id}, ']{justify-content:flex-start;display:flex;flex-direction:column;background-position:left top;background-size:cover;background-repeat:no-repeat;background-attachment:scroll}</style>',
    '<div data-content-type="row" data-appearance="contained" data-element="main"><div data-enable-parallax="0" data-parallax-speed="0.5" data-background-images="{}" data-background-type="image" data-video-loop="true" data-video-play-only-visible="true" data-video-lazy-load="true" data-video-fallback-src="" data-element="inner" data-pb-style="', ${id}, '">',
    '<div data-content-type="text" data-appearance="default" data-element="main">', ${html}, '</div></div></div>')`;
}

/** A Page Builder style key for `expr`. */
function styleId(key: string, expr: string): string {
  return `UPPER(SUBSTR(MD5(CONCAT('${key}', ${expr})), 1, 7))`;
}

/** A product's HTML description (about 1.5 KB) for product `p.seq`; `k` keys a second version. */
function description(k: string): string {
  return `CONCAT('<div class="product-description">\n<h2>', ${E_PNAME}, '</h2>\n<p>', ${piece(`${k}1`, 'p.seq', 150, 500)}, '</p>\n<p>', ${piece(`${k}2`, 'p.seq', 80, 400)},
    '</p>\n<ul>\n<li>', ${piece(`${k}3`, 'p.seq', 20, 60)}, '</li>\n<li>', ${piece(`${k}4`, 'p.seq', 20, 60)}, '</li>\n<li>', ${piece(`${k}5`, 'p.seq', 20, 60)}, '</li>\n</ul>\n',
    IF(${mix(`${k}6`, 'p.seq')} % 2 = 0, CONCAT('<p>', ${piece(`${k}7`, 'p.seq', 100, 600)}, '</p>\n'), ''),
    '<p><strong>Material:</strong> ', ${pick(mix(`${k}m`, 'p.seq'), MAT)}, '. <strong>Care:</strong> ', ${piece(`${k}8`, 'p.seq', 20, 80)}, '</p>\n</div>')`;
}

/** Products and their texts: description, short description and meta description, a translation for every third. */
function productStatements(n: TextCounts): string[] {
  return [
    `INSERT INTO catalog_product_entity (entity_id, attribute_set_id, type_id, sku, has_options, required_options, created_at, updated_at)
  SELECT p.seq, 1 + p.seq % 20, ELT(1 + p.seq % 5, 'simple', 'simple', 'configurable', 'simple', 'virtual'), CONCAT('SKU-', LPAD(p.seq, 7, '0')), p.seq % 4 = 0, 0,
         '2018-01-01' + INTERVAL p.seq * 7 MINUTE, '2023-01-01' + INTERVAL p.seq * 3 MINUTE FROM seq_1_to_${n.products} p`,
    `INSERT INTO catalog_product_entity_text (attribute_id, store_id, entity_id, value)
  SELECT ELT(1 + a.seq, 75, 76, 84), 0, p.seq, CASE a.seq
      WHEN 0 THEN IF(p.seq % 2 = 0, ${pageBuilder(description('d'), styleId('pb', 'p.seq'))}, ${description('d')})
      WHEN 1 THEN CONCAT('<p>', ${piece('s1', 'p.seq', 60, 200)}, '</p>')
      ELSE ${piece('m1', 'p.seq', 60, 80)} END
  FROM seq_1_to_${n.products} p JOIN seq_0_to_2 a ${POOL_JOIN}
  UNION ALL
  SELECT 75, 1, p.seq, ${description('t')} FROM seq_1_to_${n.products} p ${POOL_JOIN} WHERE p.seq % 3 = 0`,
  ];
}

/** HTML sections (a heading and a paragraph each, in Page Builder's markup unless not `builder`) for row `x.seq`, `fewest` to `most` of them, GROUP_CONCATed per row. */
function sections(key: string, table: string, rows: number, fewest: number, most: number, paragraph: [number, number], builder = true): string {
  const at = `CONCAT(x.seq, '-', k.seq)`;
  const html = `CONCAT('<h2>', ${piece(`${key}h`, at, 10)}, '</h2>\n<p>', ${piece(`${key}p`, at, ...paragraph)}, '</p>')`;
  return `SELECT x.seq, GROUP_CONCAT(${builder ? pageBuilder(html, styleId(key, at)) : html} ORDER BY k.seq SEPARATOR '\n') AS html
    FROM seq_1_to_${rows} x JOIN seq_1_to_${most} k ON k.seq <= ${fewest} + ${mix(`${key}n`, 'x.seq')} % ${most - fewest + 1} ${POOL_JOIN} GROUP BY x.seq) ${table}`;
}

/** CMS pages (about 15 KB of HTML each), blocks with widgets, newsletters. */
function contentStatements(n: TextCounts): string[] {
  return [
    String.raw`INSERT INTO cms_page (page_id, title, page_layout, meta_keywords, meta_description, identifier, content_heading, content, creation_time, update_time, is_active, sort_order)
  SELECT c.seq, CONCAT(${pick(mix('ct', 'c.seq'), ['About us', 'Shipping', 'Returns', 'Size guide', 'Care guide', 'Über uns', 'Livraison', 'Lookbook'])}, ' ', c.seq), IF(c.seq % 4 = 0, '2columns-right', '1column'),
         CONCAT_WS(', ', ${pick(mix('ck1', 'c.seq'), MAT)}, ${pick(mix('ck2', 'c.seq'), STATUS)}, 'shop'), ${piece('cmd', 'c.seq', 60, 80)}, CONCAT('page-', c.seq), ${piece('chd', 'c.seq', 10)},
         CONCAT('<div class="cms-content">\n', pages.html, '\n</div>'), '2019-01-01' + INTERVAL c.seq HOUR, '2024-01-01' + INTERVAL c.seq MINUTE, c.seq % 10 <> 0, c.seq % 20
  FROM seq_1_to_${n.cmsPages} c ${POOL_JOIN} JOIN (${sections('cp', 'pages', n.cmsPages, 4, 24, [300, 1500])} ON pages.seq = c.seq`,
    String.raw`INSERT INTO cms_block (block_id, title, identifier, content, creation_time, update_time, is_active)
  SELECT c.seq, CONCAT('Block ', c.seq), CONCAT('block-', c.seq),
         CONCAT(blocks.html, IF(c.seq % 3 = 0, CONCAT('\n{{widget type="Magento\\CatalogWidget\\Block\\Product\\ProductsList" products_count="', 1 + c.seq % 12,
           '" template="Magento_CatalogWidget::product/widget/content/grid.phtml"}}'), '')),
         '2019-01-01' + INTERVAL c.seq HOUR, '2024-01-01' + INTERVAL c.seq MINUTE, 1
  FROM seq_1_to_${n.cmsBlocks} c JOIN (${sections('cb', 'blocks', n.cmsBlocks, 1, 5, [100, 800])} ON blocks.seq = c.seq`,
    `INSERT INTO newsletter_queue (queue_id, template_id, newsletter_type, newsletter_text, newsletter_styles, newsletter_subject, newsletter_sender_name, newsletter_sender_email, queue_status, queue_start_at, queue_finish_at)
  SELECT c.seq, 1 + c.seq % 7, 2, CONCAT('<table class="newsletter"><tr><td>\n', letters.html, '\n<p><a href="{{var subscriber.getUnsubscriptionLink()}}">Unsubscribe</a></p>\n</td></tr></table>'),
         'body { font-family: Arial, sans-serif; color: #333; }', CONCAT(${piece('nls', 'c.seq', 10)}), 'Shop Team', 'news@example.com', 2,
         '2022-01-01' + INTERVAL c.seq DAY, '2022-01-01' + INTERVAL c.seq DAY + INTERVAL 3 HOUR
  FROM seq_1_to_${n.newsletters} c ${POOL_JOIN} JOIN (${sections('nl', 'letters', n.newsletters, 3, 10, [200, 900], false)} ON letters.seq = c.seq`,
  ];
}

/** Reviews (a few hundred bytes of prose each) and order comments. */
function reviewStatements(n: TextCounts): string[] {
  return [
    `INSERT INTO review (review_id, created_at, entity_id, entity_pk_value, status_id)
  SELECT s.seq, '2021-01-01' + INTERVAL s.seq * 3 MINUTE, 1, 1 + ${mix('rv', 's.seq')} % ${n.products}, 1 + s.seq % 3 FROM seq_1_to_${n.reviews} s`,
    `INSERT INTO review_detail (review_id, store_id, title, detail, nickname, customer_id)
  SELECT s.seq, 1 + s.seq % 3, ${pick(mix('rt', 's.seq'), TITLES)},
         CONCAT(${piece('r1', 's.seq', 30, 500)}, IF(${mix('r2', 's.seq')} % 4 = 0, CONCAT('\n\n', ${piece('r3', 's.seq', 40, 300)}), '')),
         ${E_FN}, IF(s.seq % 4 = 0, NULL, 1 + s.seq % 100000)
  FROM seq_1_to_${n.reviews} s ${POOL_JOIN}`,
    `INSERT INTO sales_order_status_history (parent_id, is_customer_notified, is_visible_on_front, comment, status, created_at, entity_name)
  SELECT 1 + ${mix('sh', 's.seq')} % ${Math.max(1, Math.floor(n.statusHistory / 3))}, s.seq % 2, s.seq % 5 = 0,
         IF(s.seq % 10 = 0, NULL, CONCAT(REPLACE(${pick(mix('sho', 's.seq'), COMMENT_OPENERS)}, '{n}', s.seq % 100000), ${piece('sc', 's.seq', 15, 200)})),
         ${pick(mix('sst', 's.seq'), STATUS)}, '2019-01-01' + INTERVAL s.seq * 100 SECOND, ELT(1 + s.seq % 3, 'order', 'invoice', 'shipment')
  FROM seq_1_to_${n.statusHistory} s ${POOL_JOIN}`,
  ];
}

/** Queued e-mails from `first` to `last`: JSON with an escaped HTML body, as Magento's message queue holds them (about 1 KB). */
function queueStatement(first: number, last: number): string {
  return String.raw`INSERT INTO queue_message (id, topic_name, body)
  SELECT s.seq, ${pick(mix('qt', 's.seq'), TOPICS)},
         CONCAT('{"to":"customer', s.seq % 200000, '@example.com","store_id":', 1 + s.seq % 3, ',"vars":{"increment_id":"', LPAD(s.seq, 9, '0'), '","customer_name":"', ${E_FN},
           '"},"html":"<html><body><h1>Hello ', ${E_FN}, '!<\\/h1>\\n<p>', ${piece('q1', 's.seq', 100, 400)}, '<\\/p>\\n<p>', ${piece('q2', 's.seq', 50, 300)},
           '<\\/p>\\n<table><tr><td>SKU-', LPAD(1 + s.seq % 150000, 7, '0'), '<\\/td><td>', 1 + s.seq % 4, '<\\/td><td>', (${mix('qp', 's.seq')} % 50000) / 100, ' EUR<\\/td><\\/tr><\\/table>\\n<p>',
           ${piece('q3', 's.seq', 40, 120)}, '<\\/p>\\n<\\/body><\\/html>"}')
  FROM seq_${first}_to_${last} s ${POOL_JOIN}`;
}

/** The statements in two lanes of about equal bytes, run at once on two connections (after each one's poolStatements()). */
export function textLanes(n: TextCounts): [string[], string[]] {
  const half = Math.floor(n.queueMessages / 2);
  return [
    [...productStatements(n), ...contentStatements(n), ...(half >= 1 ? [queueStatement(1, half)] : [])],
    [...reviewStatements(n), queueStatement(half + 1, n.queueMessages)],
  ];
}
