// The catalog: categories, products and their EAV values (varchar, text, decimal, int, datetime), stock,
// URL rewrites, search terms and reviews, as in the team's gen-shop-db.sh.
import type { ShopCounts } from './counts.js';
import { ADJ, CITY, COLOR, E_FN, E_PNAME, MAT, NOUN, edge, h, pick } from './words.js';

const FEATURES_1 = [
  'Machine washable', 'Two-year warranty', 'Fair-trade certified', 'Größe: S–XXL', 'Dimensions: 20 × 30 cm', 'Water resistant to 50 m',
  'Includes USB-C cable', 'Vegan – no animal products',
];
const FEATURES_2 = [
  'Free returns within 30 days', 'Designed in Copenhagen', 'Fabriqué en France', 'Handmade in Kraków', 'Energy class A++', 'Dishwasher safe', 'Recycled packaging',
];
const REVIEW_TEXT = [
  'I bought this for my wife and she loves it. ', String.raw`Shipping took two weeks.\n`, 'Die Qualität ist hervorragend, würde wieder kaufen. ',
  String.raw`Colour was off \\\\ not as pictured. `, 'Product arrived broken :( ', 'Ça marche très bien. ',
];

/** An HTML product description of a few hundred bytes. */
const PDESC = String.raw`CONCAT('<p>The <strong>', ${E_PNAME}, '</strong> is made of ', ${pick(h('pm', 'p.seq'), MAT)}, ' and ships from ', ${pick(h('pci', 'p.seq'), CITY)}, '.</p>\n<ul>',
  REPEAT(CONCAT('<li>', ${pick(h('pf1', 'p.seq'), FEATURES_1)}, '</li><li>', ${pick(h('pf2', 'p.seq'), FEATURES_2)}, ' (ref. ', SUBSTR(MD5(p.seq), 1, 8), ')</li>'), 1 + ${h('pr', 'p.seq')} % 6),
  '</ul>\n<p>', SUBSTR(SHA2(p.seq, 512), 1, 20 + ${h('pl2', 'p.seq')} % 100), '</p>')`;

export function catalogStatements(n: ShopCounts): string[] {
  const NP = n.products;
  const NCAT = n.categories;
  const slug = (extra: string) =>
    `LOWER(REPLACE(CONCAT_WS('-', ${pick(h('pa', 'p.seq'), ADJ)}, ${pick(h('pc', 'p.seq'), COLOR)}, ${pick(h('pn', 'p.seq'), NOUN)}, ${extra}p.seq), ' ', '-'))`;
  return [
    `INSERT INTO catalog_category_entity (entity_id, attribute_set_id, parent_id, created_at, updated_at, path, position, level, children_count)
  SELECT s.seq, 3, IF(s.seq<=2, s.seq-1, 2 + s.seq % 40), '2019-01-01' + INTERVAL s.seq HOUR, '2019-06-01' + INTERVAL s.seq HOUR, CONCAT('1/2/', 2 + s.seq % 40, '/', s.seq), s.seq % 50, IF(s.seq<=2, s.seq-1, 3), 0 FROM seq_1_to_${NCAT} s`,
    `INSERT INTO catalog_category_entity_varchar (attribute_id, store_id, entity_id, value)
  SELECT 1 + a.seq * 7, 0, s.seq, CASE a.seq WHEN 0 THEN CONCAT(${pick(h('cn', 's.seq'), NOUN)}, ' & ', ${pick(h('cn2', 's.seq'), ADJ)}, ' ', s.seq) ELSE CONCAT('category-', s.seq, '-', ${pick(h('cu', 's.seq'), ['men', 'women', 'kids', 'home', 'garden', 'sale', 'neu'])}) END
  FROM seq_1_to_${NCAT} s JOIN seq_0_to_2 a`,
    `INSERT INTO catalog_product_entity (entity_id, attribute_set_id, type_id, sku, has_options, required_options, created_at, updated_at)
  SELECT p.seq, 1 + p.seq % 20, ${pick(h('pt', 'p.seq'), ['simple', 'simple', 'simple', 'simple', 'configurable', 'virtual', 'bundle', 'downloadable'])}, CONCAT('SKU-', LPAD(p.seq, 7, '0'), IF(p.seq%97=0, '-ÄÖÜ', '')), p.seq%4=0, 0,
         '2018-01-01' + INTERVAL p.seq*7 MINUTE, '2023-01-01' + INTERVAL p.seq*3 MINUTE FROM seq_1_to_${NP} p`,
    // varchar: name, url_key, meta_title, image, small_image for store 0; translated name for stores 2/3 (30%)
    `INSERT INTO catalog_product_entity_varchar (attribute_id, store_id, entity_id, value)
  SELECT 60 + a.seq, 0, p.seq, CASE a.seq
      WHEN 0 THEN ${E_PNAME}
      WHEN 1 THEN ${slug('')}
      WHEN 2 THEN CONCAT(${E_PNAME}, ' | Shop')
      ELSE CONCAT('/', SUBSTR(MD5(p.seq),1,1), '/', SUBSTR(MD5(p.seq),2,1), '/', SUBSTR(MD5(p.seq), 1, 12), IF(a.seq=3, '.jpg', '_small.jpg')) END
  FROM seq_1_to_${NP} p JOIN seq_0_to_4 a
  UNION ALL
  SELECT 60, st.seq, p.seq, CONCAT(${pick(h('tr', 'p.seq'), ['Klassisches', 'Élégant', 'Großes', 'Petit', 'Schönes', 'Très bon'])}, ' ', ${pick(h('pn', 'p.seq'), NOUN)}, ' ', p.seq)
  FROM seq_1_to_${NP} p JOIN seq_2_to_3 st WHERE ${h('tx', 'p.seq')} % 10 < 3`,
    `INSERT INTO catalog_product_entity_text (attribute_id, store_id, entity_id, value)
  SELECT 75 + a.seq, 0, p.seq, IF(a.seq=0, ${PDESC}, IF(${h('sd', 'p.seq')} % 10 = 0, NULL, CONCAT('Short: ', ${E_PNAME}, '. ', ${pick(h('sd2', 'p.seq'), ['Bestseller!', 'New arrival', 'Limited "edition"', "Editor's pick", String.raw`Back\\\\in stock`, ''])}))) FROM seq_1_to_${NP} p JOIN seq_0_to_1 a`,
    `INSERT INTO catalog_product_entity_decimal (attribute_id, store_id, entity_id, value)
  SELECT 77 + a.seq, 0, p.seq, CASE a.seq WHEN 0 THEN 1 + (${h('pp', 'p.seq')} % 99900) / 100 WHEN 1 THEN IF(p.seq%5=0, (${h('pp', 'p.seq')} % 99900) / 125, NULL) ELSE (${h('pw', 'p.seq')} % 20000) / 1000 END
  FROM seq_1_to_${NP} p JOIN seq_0_to_2 a`,
    `INSERT INTO catalog_product_entity_int (attribute_id, store_id, entity_id, value)
  SELECT 80 + a.seq, 0, p.seq, CASE a.seq WHEN 0 THEN 1 + (p.seq%10=0) WHEN 1 THEN 1 + p.seq%4 WHEN 2 THEN 2 ELSE 1 + ${h('pi', 'p.seq')} % 600 END
  FROM seq_1_to_${NP} p JOIN seq_0_to_5 a`,
    `INSERT INTO catalog_product_entity_datetime (attribute_id, store_id, entity_id, value)
  SELECT 90, 0, p.seq, IF(p.seq%3=0, NULL, '2020-01-01' + INTERVAL ${h('pd', 'p.seq')} % 100000000 SECOND) FROM seq_1_to_${NP} p`,
    `INSERT INTO catalog_product_website SELECT p.seq, w.seq FROM seq_1_to_${NP} p JOIN seq_1_to_2 w WHERE w.seq=1 OR p.seq%2=0`,
    `INSERT INTO catalog_category_product (category_id, product_id, position) SELECT 1 + (${h('cc', "CONCAT(p.seq,'-',k.seq)")} % ${NCAT}) AS cat, p.seq, MIN(k.seq) FROM seq_1_to_${NP} p JOIN seq_1_to_3 k GROUP BY cat, p.seq ORDER BY p.seq, cat`,
    `INSERT INTO cataloginventory_stock_item (product_id, stock_id, qty, min_qty, is_in_stock, low_stock_date, website_id)
  SELECT p.seq, 1, ${h('sq', 'p.seq')} % 1000, 0, ${h('sq', 'p.seq')} % 1000 > 0, IF(${h('sq', 'p.seq')} % 1000 = 0, '2023-05-05 05:05:05', NULL), 0 FROM seq_1_to_${NP} p`,
    `INSERT INTO url_rewrite (entity_type, entity_id, request_path, target_path, redirect_type, store_id, description, is_autogenerated, metadata)
  SELECT 'product', p.seq,
         CONCAT(${pick(h('u1', 'p.seq'), ['men', 'women', 'kids', 'home', 'garden', 'sale', 'outdoor', 'electronics'])}, '/', ${pick(h('u2', 'p.seq'), ['tops', 'bottoms', 'accessories', 'furniture', 'lighting', 'kitchen', 'audio', 'bikes'])}, '/',
                ${slug("'with-extra-long-seo-friendly-suffix', ")}, '.html'),
         CONCAT('catalog/product/view/id/', p.seq, '/category/', 1 + p.seq % ${NCAT}), 0, st.seq, NULL, 1, IF(p.seq%2=0, CONCAT('{"category_id":"', 1 + p.seq % ${NCAT}, '"}'), NULL)
  FROM seq_1_to_${NP} p JOIN seq_1_to_3 st
  UNION ALL
  SELECT 'category', s.seq, CONCAT('category-', s.seq, '.html'), CONCAT('catalog/category/view/id/', s.seq), 0, st.seq, NULL, 1, NULL FROM seq_1_to_${NCAT} s JOIN seq_1_to_3 st
  UNION ALL
  SELECT 'custom', 0, CONCAT('old-shop/index.php?route=product/', s.seq, '&lang=de'), CONCAT('legacy/', s.seq), 301, 1, 'Legacy redirect – «alt»', 0, NULL FROM seq_1_to_500 s`,
    `INSERT INTO search_query (query_text, num_results, popularity, redirect, store_id, display_in_terms, is_active, updated_at)
  SELECT CONCAT(${pick(h('sq1', 's.seq'), ADJ)}, ' ', ${pick(h('sq2', 's.seq'), NOUN)}, ' ', s.seq), ${h('sq3', 's.seq')} % 500, ${h('sq4', 's.seq')} % 10000, NULL, 1 + s.seq%3, 1, 1, '2024-01-01' + INTERVAL s.seq MINUTE FROM seq_1_to_${n.searches} s`,
    `INSERT INTO review (review_id, created_at, entity_id, entity_pk_value, status_id) SELECT s.seq, '2021-01-01' + INTERVAL s.seq*17 MINUTE, 1, 1 + ${h('rv', 's.seq')} % ${NP}, 1 + s.seq%3 FROM seq_1_to_${n.reviews} s`,
    `INSERT INTO review_detail (review_id, store_id, title, detail, nickname, customer_id)
  SELECT s.seq, 1 + s.seq%3, CONCAT(${pick(h('rt', 's.seq'), ['Great!', 'Not bad', 'Terrible "quality"', 'Très bien', 'Super Qualität 👍', "Didn't fit"])}, ' ', s.seq),
         CONCAT(REPEAT(CONCAT(${pick(h('rd', 's.seq'), REVIEW_TEXT)}, ''), 1 + s.seq % 5), IF(s.seq%50=0, ${edge(h('rde', 's.seq'))}, '')),
         ${E_FN}, IF(s.seq%4=0, NULL, 1 + s.seq % ${n.customers}) FROM seq_1_to_${n.reviews} s`,
  ];
}
