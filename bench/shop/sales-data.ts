// Customers, the big sales tables (orders, ~3 items per order, payments, status history, quotes), logs
// with TEXT payloads and sessions with BLOBs, as in the team's gen-shop-db.sh.
import type { ShopCounts } from './counts.js';
import { ADJ, CITY, E_FN, E_LN, FIRST, LAST, NOUN, STATUS, edge, h, pick, randomBytesExpr } from './words.js';

export function customerStatements(n: ShopCounts): string[] {
  const { customers: NC, addresses: NCA, products: NP } = n;
  return [
    `INSERT INTO customer_entity (entity_id, website_id, email, group_id, store_id, created_at, updated_at, is_active, firstname, lastname, password_hash, dob, gender, default_billing, default_shipping)
  SELECT s.seq, 1 + s.seq%2, CONCAT('customer', s.seq, '@', ${pick(h('em', 's.seq'), ['example.com', 'mail.de', 'gmx.net', 'yahoo.fr', 'outlook.com', 'shop.pl'])}), 1, 1 + s.seq%3,
         '2017-01-01' + INTERVAL s.seq*11 MINUTE, '2022-01-01' + INTERVAL s.seq*5 MINUTE, s.seq%50<>0, ${E_FN}, ${E_LN},
         CONCAT(SHA2(CONCAT('salt', s.seq), 256), ':', SUBSTR(MD5(s.seq), 1, 32), ':1'), IF(s.seq%3=0, NULL, '1950-01-01' + INTERVAL ${h('dob', 's.seq')} % 20000 DAY), IF(s.seq%4=0, NULL, 1 + s.seq%2),
         IF(s.seq <= ${NCA}, s.seq, NULL), IF(s.seq <= ${NCA}, s.seq, NULL)
  FROM seq_1_to_${NC} s`,
    String.raw`INSERT INTO customer_address_entity (entity_id, parent_id, created_at, city, company, country_id, firstname, lastname, postcode, street, telephone)
  SELECT s.seq, IF(s.seq <= ${NC}, s.seq, 1 + ${h('ca', 's.seq')} % ${NC}), '2017-01-01' + INTERVAL s.seq*11 MINUTE, ${pick(h('ci', 's.seq'), CITY)}, IF(s.seq%5=0, CONCAT(${E_LN}, ' GmbH & Co. KG'), NULL),
         ${pick(h('co', 's.seq'), ['DE', 'FR', 'PL', 'DK', 'AT', 'CH', 'GB', 'US', 'JP', 'GR'])}, ${E_FN}, ${E_LN}, LPAD(${h('pc', 's.seq')} % 99999, 5, '0'),
         CONCAT(${pick(h('st', 's.seq'), ['Hauptstraße', 'Rue de lÉglise', 'ul. Piłsudskiego', 'Strøget', 'Main St', 'Via Roma'])}, ' ', 1 + s.seq%200, IF(s.seq%7=0, CONCAT('\n', 'Apt. ', s.seq%50), '')),
         CONCAT('+49 ', ${h('tel', 's.seq')} % 1000000000)
  FROM seq_1_to_${NCA} s`,
    `INSERT INTO newsletter_subscriber (store_id, change_status_at, customer_id, subscriber_email, subscriber_status, subscriber_confirm_code)
  SELECT 1 + s.seq%3, IF(s.seq%2, '2022-01-01' + INTERVAL s.seq MINUTE, NULL), IF(s.seq%3=0, 0, s.seq), CONCAT('news', s.seq, '@example.org'), 1 + s.seq%4, SUBSTR(MD5(CONCAT('nl', s.seq)), 1, 32) FROM seq_1_to_${n.newsletter} s`,
    `INSERT INTO wishlist (wishlist_id, customer_id, shared, sharing_code, updated_at) SELECT s.seq, s.seq, 0, MD5(CONCAT('w', s.seq)), '2023-01-01' + INTERVAL s.seq MINUTE FROM seq_1_to_${n.wishlists} s`,
    `INSERT INTO wishlist_item (wishlist_id, product_id, store_id, added_at, description, qty) SELECT s.seq, 1 + ${h('wi', "CONCAT(s.seq,'-',k.seq)")} % ${NP}, 1, '2023-01-01' + INTERVAL s.seq MINUTE, IF(k.seq=1, 'for Oma''s birthday 🎂', NULL), k.seq FROM seq_1_to_${n.wishlists} s JOIN seq_1_to_3 k`,
  ];
}

/** Orders, items, payments and status history: most of the database's bytes. */
export function salesStatements(n: ShopCounts): string[] {
  const { orders: NO, customers: NC, products: NP } = n;
  const total = `((${h('ot', 'o.seq')} % 50000) / 100 + 5)`;
  return [
    `INSERT INTO sequence_order_1 (sequence_value) SELECT o.seq FROM seq_1_to_${NO} o`,
    `INSERT INTO sales_order (entity_id, state, status, coupon_code, protect_code, shipping_description, is_virtual, store_id, customer_id,
    base_grand_total, grand_total, subtotal, tax_amount, shipping_amount, discount_amount, total_qty_ordered, customer_is_guest, increment_id,
    customer_email, customer_firstname, customer_lastname, remote_ip, order_currency_code, weight, customer_note, created_at, updated_at)
  SELECT o.seq, IF(x.st='pending','new',IF(x.st='holded','holded',x.st)), x.st,
         IF(${h('cpn', 'o.seq')} % 10 = 0, ${pick(h('cpn2', 'o.seq'), ['SUMMER10', 'WINTER-20', 'BLACK FRIDAY', 'FREESHIP'])}, NULL), SUBSTR(MD5(o.seq), 1, 6),
         ${pick(h('sd', 'o.seq'), ['Flat Rate - Fixed', 'Free Shipping - Free', 'United Parcel Service - Ground', 'DHL Express – Paket', 'Abholung im Geschäft'])},
         0, 1 + o.seq % 3, x.cid,
         ${total}, ${total}, ${total} * 0.84, ${total} * 0.16, 5, IF(${h('cpn', 'o.seq')} % 10 = 0, -5, 0), 1 + o.seq % 5, x.cid IS NULL,
         LPAD(o.seq, 9, '0'), CONCAT('customer', COALESCE(x.cid, o.seq), '@example.com'),
         ${pick(h('fn', 'o.seq'), FIRST)}, ${pick(h('ln', 'o.seq'), LAST)},
         CONCAT('10.', ${h('ip', 'o.seq')} % 256, '.', o.seq % 256, '.', (o.seq DIV 256) % 256), IF(o.seq % 3 = 2, 'USD', 'EUR'), IF(o.seq%9=0, NULL, (${h('wt', 'o.seq')} % 10000)/100),
         IF(${h('nt', 'o.seq')} % 50 = 0, ${edge(h('nte', 'o.seq'))}, NULL),
         '2019-01-01' + INTERVAL o.seq * (150000000 DIV ${NO}) SECOND, '2019-01-02' + INTERVAL o.seq * (150000000 DIV ${NO}) SECOND
  FROM (SELECT o.seq, ${pick(h('ss', 'o.seq'), STATUS)} AS st, IF(${h('gst', 'o.seq')} % 5 = 0, NULL, 1 + ${h('cid', 'o.seq')} % ${NC}) AS cid FROM seq_1_to_${NO} o) x
  JOIN seq_1_to_${NO} o ON o.seq = x.seq`,
    `INSERT INTO sales_order_item (order_id, parent_item_id, store_id, created_at, product_id, product_type, sku, name, qty_ordered, price, row_total, tax_amount, product_options)
  SELECT t.oseq, NULL, 1 + t.oseq % 3, '2019-01-01' + INTERVAL t.oseq * (150000000 DIV ${NO}) SECOND, t.pid, ${pick(h('it', "CONCAT(t.oseq,'-',t.k)"), ['simple', 'simple', 'simple', 'configurable', 'virtual'])},
         CONCAT('SKU-', LPAD(t.pid, 7, '0')), CONCAT(${pick(h('pa', 't.pid'), ADJ)}, ' ', ${pick(h('pn', 't.pid'), NOUN)}), 1 + t.k % 3, t.price, t.price * (1 + t.k % 3), t.price * 0.16,
         IF(t.k % 4 = 0, CONCAT('{"info_buyRequest":{"qty":', 1 + t.k % 3, ',"super_attribute":{"93":"', t.pid % 50, '"}}}'), NULL)
  FROM (SELECT u.oseq, u.k, u.pid, 1 + (${h('pp', 'u.pid')} % 99900) / 100 AS price
        FROM (SELECT o.seq AS oseq, k.seq AS k, 1 + ${h('ip', "CONCAT(o.seq,'-',k.seq)")} % ${NP} AS pid
              FROM seq_1_to_${NO} o JOIN seq_1_to_5 k ON k.seq <= 1 + ${h('ni', 'o.seq')} % 5) u) t
  ORDER BY t.oseq, t.k`,
    `INSERT INTO sales_order_payment (parent_id, base_amount_ordered, amount_paid, method, cc_last_4, last_trans_id)
  SELECT o.seq, ${total}, IF(o.seq%8=0, NULL, ${total}), ${pick(h('pmt', 'o.seq'), ['checkmate', 'banktransfer', 'paypal_express', 'braintree', 'stripe_payments', 'cashondelivery'])}, IF(o.seq%4=0, LPAD(o.seq%10000,4,'0'), NULL), IF(o.seq%3=0, NULL, CONCAT('txn_', SUBSTR(SHA2(o.seq,256),1,16)))
  FROM seq_1_to_${NO} o`,
    `INSERT INTO sales_order_status_history (parent_id, is_customer_notified, is_visible_on_front, comment, status, created_at, entity_name)
  SELECT 1 + ${h('sh', 's.seq')} % ${NO}, s.seq%2, 0, IF(s.seq%3=0, NULL, IF(s.seq%97=0, ${edge(h('she', 's.seq'))}, CONCAT(${pick(h('shc', 's.seq'), ['Captured amount of €', String.raw`Authorized amount of \$`, 'We refunded ', 'Order shipped via DHL, tracking ', 'Kunde hat angerufen: Lieferung an Nachbarn.'])}, s.seq % 1000, '.'))),
         ${pick(h('sst', 's.seq'), STATUS)}, '2019-01-01' + INTERVAL s.seq * 400 SECOND, ELT(1+s.seq%3,'order','invoice','shipment') FROM seq_1_to_${n.statusHistory} s`,
    `INSERT INTO quote (store_id, created_at, updated_at, is_active, items_count, items_qty, grand_total, customer_id, customer_email, remote_ip, reserved_order_id)
  SELECT 1 + s.seq%3, '2023-01-01' + INTERVAL s.seq*3 MINUTE, '2023-01-02' + INTERVAL s.seq*3 MINUTE, s.seq%3<>0, 1 + s.seq%4, 1 + s.seq%4, (${h('qg', 's.seq')} % 50000)/100, IF(s.seq%2, NULL, 1 + s.seq % ${NC}), IF(s.seq%2, NULL, CONCAT('customer', s.seq, '@example.com')), CONCAT('192.168.', s.seq%256, '.', s.seq%200), NULL FROM seq_1_to_${n.quotes} s`,
  ];
}

/** Logs with ~2-3 KB TEXT payloads, sessions with BLOBs, and one 4 MiB session row. */
export function logStatements(n: ShopCounts): string[] {
  const rbin = randomBytesExpr('b', 's.seq');
  return [
    String.raw`INSERT INTO log_event (created_at, level, channel, message, context)
  SELECT '2024-01-01 00:00:00' + INTERVAL s.seq * 1234567 MICROSECOND, ELT(1 + ${h('lv', 's.seq')} % 6, 'debug','info','notice','warning','error','critical'), ${pick(h('lc', 's.seq'), ['main', 'cron', 'payment', 'indexer', 'api', 'exception'])},
         CONCAT(${pick(h('lm', 's.seq'), ['Payment gateway timeout for order ', 'Reindex finished for ', 'Unable to send email to ', 'API request failed: ', 'Deprecated functionality: ', 'Cache flushed by '])}, s.seq, IF(s.seq%100=0, ${edge(h('lme', 's.seq'))}, '')),
         CONCAT('{"request":{"uri":"/rest/V1/orders/', s.seq, '?searchCriteria[pageSize]=', s.seq%100, '","ip":"10.', s.seq%256, '.0.1","ua":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"},',
                '"session":"', SHA2(CONCAT('sess', s.seq), 256), '","payload":"', TO_BASE64(SUBSTR(${rbin}, 1, 100 + ${h('lp', 's.seq')} % 600)), '",',
                '"trace":"', REPEAT(CONCAT('#', ${h('ln1', 's.seq')} % 40, ' /var/www/html/vendor/magento/module-', ${pick(h('lmod', 's.seq'), ['sales', 'catalog', 'checkout', 'customer', 'quote', 'payment'])}, '/Model/', ${pick(h('lcls', 's.seq'), ['Order', 'Service', 'Repository', 'Quote', 'Manager'])}, '.php(', ${h('lln', 's.seq')} % 900, '): Magento\\\\Framework\\\\Interception\\\\Interceptor->___callPlugins()\\n'), 2 + s.seq % 12), '"}')
  FROM seq_1_to_${n.logs} s`,
    `INSERT INTO session (session_id, session_expires, session_data)
  SELECT SHA2(CONCAT('sid', s.seq), 256), 1700000000 + s.seq, CONCAT('_session_validator_data|a:2:{s:11:"remote_addr";s:9:"127.0.0.1";}', SUBSTR(${rbin}, 1, 64 + ${h('sl', 's.seq')} % 960))
  FROM seq_1_to_${n.sessions} s`,
    // one 4 MiB session row (bigger than mysqldump's 1 MB extended-insert / net_buffer_length)
    `INSERT INTO session (session_id, session_expires, session_data)
  SELECT 'huge-session', 1800000000, REPEAT(SUBSTR(${randomBytesExpr('h', '1')}, 1, 1024), 4096)`,
  ];
}
