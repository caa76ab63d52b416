// The shop's small configuration tables (config, EAV metadata, CMS, admin, cron ...): INSERT ... SELECT
// statements over MariaDB's SEQUENCE engine, as in the team's gen-shop-db.sh. Only cron_schedule grows
// with the scale.
import type { ShopCounts } from './counts.js';
import { CITY, COLOR, E_FN, E_LN, MAT, h, pick } from './words.js';

export function configStatements(n: ShopCounts): string[] {
  return [
    String.raw`INSERT INTO core_config_data (scope, scope_id, path, value, updated_at)
  SELECT ELT(1+s.seq%3,'default','websites','stores'), s.seq%3, CONCAT(${pick(h('cp', 's.seq'), ['general', 'web', 'catalog', 'sales', 'payment', 'carriers', 'dev', 'system', 'customer', 'checkout'])}, '/', ${pick(h('cq', 's.seq'), ['options', 'settings', 'secure', 'unsecure', 'config', 'frontend'])}, '/field_', s.seq),
         CASE WHEN s.seq%17=0 THEN NULL WHEN s.seq%13=0 THEN '{"a":"b\\/c","n":[1,2,3]}' WHEN s.seq%7=0 THEN CONCAT('https://shop.example.com/', s.seq, '/') ELSE CAST(s.seq%5 AS CHAR) END,
         '2023-01-01 00:00:00' + INTERVAL s.seq MINUTE
  FROM seq_1_to_2000 s`,
    String.raw`INSERT INTO eav_entity_type (entity_type_id, entity_type_code, entity_model, entity_table, value_table_prefix, default_attribute_set_id) VALUES
 (1,'customer','Magento\\Customer\\Model\\ResourceModel\\Customer','customer_entity',NULL,1),(2,'customer_address','Magento\\Customer\\Model\\ResourceModel\\Address','customer_address_entity',NULL,2),
 (3,'catalog_category','Magento\\Catalog\\Model\\ResourceModel\\Category','catalog_category_entity',NULL,3),(4,'catalog_product','Magento\\Catalog\\Model\\ResourceModel\\Product','catalog_product_entity',NULL,4),
 (5,'order','Magento\\Sales\\Model\\ResourceModel\\Order','sales_order',NULL,0),(6,'invoice','Magento\\Sales\\Model\\ResourceModel\\Order','sales_invoice',NULL,0),
 (7,'creditmemo','Magento\\Sales\\Model\\ResourceModel\\Order\\Creditmemo','sales_creditmemo',NULL,0),(8,'shipment','Magento\\Sales\\Model\\ResourceModel\\Order\\Shipment','sales_shipment',NULL,0)`,
    String.raw`INSERT INTO eav_attribute (attribute_id, entity_type_id, attribute_code, backend_type, frontend_input, frontend_label, is_required, is_user_defined, default_value, note)
  SELECT s.seq, 1 + s.seq % 4, CONCAT('attr_', s.seq, '_', ${pick(h('ac', 's.seq'), ['name', 'description', 'price', 'weight', 'color', 'size', 'manufacturer', 'status', 'visibility', 'url_key', 'meta_title'])}),
         ${pick(h('bt', 's.seq'), ['varchar', 'int', 'decimal', 'text', 'datetime', 'static'])}, ${pick(h('fi', 's.seq'), ['text', 'select', 'multiselect', 'price', 'date', 'textarea', 'boolean'])},
         CONCAT(${pick(h('fl', 's.seq'), ['Name', 'Größe', 'Couleur', 'Farbe', 'Price', 'Gewicht', 'Description'])}, ' ', s.seq), s.seq%2, s.seq%3=0, IF(s.seq%5=0, NULL, ''), IF(s.seq%11=0, 'Note: "use" with care\\', NULL)
  FROM seq_1_to_200 s`,
    `INSERT INTO eav_attribute_set (attribute_set_id, entity_type_id, attribute_set_name, sort_order) SELECT s.seq, 1 + s.seq%4, CONCAT('Set ', s.seq), s.seq FROM seq_1_to_20 s`,
    `INSERT INTO eav_attribute_group (attribute_set_id, attribute_group_name, sort_order, attribute_group_code, tab_group_code) SELECT 1 + s.seq%20, CONCAT('Group ', s.seq), s.seq, CONCAT('group-', s.seq), IF(s.seq%2,'basic','advanced') FROM seq_1_to_120 s`,
    `INSERT INTO eav_attribute_option (option_id, attribute_id, sort_order) SELECT s.seq, 1 + s.seq%200, s.seq%10 FROM seq_1_to_600 s`,
    `INSERT INTO eav_attribute_option_value (option_id, store_id, value) SELECT 1 + (s.seq-1)%600, (s.seq-1) DIV 600, CONCAT(${pick(h('ov', 's.seq'), [...COLOR, ...MAT])}, ' ', s.seq) FROM seq_1_to_1800 s`,
    `INSERT INTO directory_country SELECT DISTINCT CONCAT(CHAR(65 + a.seq), CHAR(65 + b.seq)), CONCAT(CHAR(65 + a.seq), CHAR(65 + b.seq)), CONCAT(CHAR(65 + a.seq), CHAR(65 + b.seq), 'X') FROM seq_0_to_25 a JOIN seq_0_to_9 b`,
    `INSERT INTO directory_country_region (country_id, code, default_name) SELECT CONCAT(CHAR(65 + s.seq%26), CHAR(65 + s.seq%10)), CONCAT('R', s.seq), CONCAT(${pick(h('rg', 's.seq'), CITY)}, ' Region ', s.seq) FROM seq_1_to_1000 s`,
    `INSERT INTO directory_currency_rate VALUES ('EUR','EUR',1),('EUR','USD',1.085000000000),('USD','EUR',0.921658986175),('USD','USD',1),('EUR','GBP',0.857300000000),('EUR','PLN',4.338100000000),('EUR','JPY',161.230000000000)`,
    `INSERT INTO tax_calculation_rate (tax_country_id, tax_region_id, tax_postcode, code, rate, zip_is_range) SELECT CONCAT(CHAR(65 + s.seq%26), CHAR(65 + s.seq%10)), s.seq%10, IF(s.seq%3=0,'*',CONCAT(10000+s.seq,'-',10100+s.seq)), CONCAT('Rate ', s.seq), (s.seq % 25) + 0.5, IF(s.seq%3=0,NULL,1) FROM seq_1_to_120 s`,
    String.raw`INSERT INTO cms_page (title, page_layout, meta_keywords, meta_description, identifier, content_heading, content, creation_time, update_time, is_active)
  SELECT CONCAT('Page ', s.seq, ' – Über uns'), '1column', 'shop, über, café', NULL, CONCAT('page-', s.seq),
         'Heading', CONCAT('<div class="cms">', REPEAT(CONCAT('<p>Lorem ipsum dolor sit amet, page ', s.seq, ' «quoted» \'single\' text.</p>\n'), 20 + s.seq % 40), '</div>'),
         '2020-01-01' + INTERVAL s.seq DAY, '2021-01-01' + INTERVAL s.seq DAY, s.seq%5<>0 FROM seq_1_to_60 s`,
    String.raw`INSERT INTO cms_block (title, identifier, content, creation_time, update_time) SELECT CONCAT('Block ', s.seq), CONCAT('block-', s.seq), CONCAT('{{widget type="Magento\\\\Cms\\\\Block\\\\Widget\\\\Block" template="widget/static_block/default.phtml" block_id="', s.seq, '"}}\n<p>Block \\ content</p>'), '2020-01-01' + INTERVAL s.seq HOUR, '2020-02-01' + INTERVAL s.seq HOUR FROM seq_1_to_120 s`,
    `INSERT INTO admin_user (firstname, lastname, email, username, password, created, modified, logdate, lognum, extra, rp_token) SELECT ${E_FN}, ${E_LN}, CONCAT('admin', s.seq, '@example.com'), CONCAT('admin', s.seq), SHA2(CONCAT('pw', s.seq), 256), '2020-01-01', '2020-01-02', IF(s.seq%2, '2024-01-01 10:00:00', NULL), s.seq, '{"configState":{"dev_debug":"0"}}', NULL FROM seq_1_to_8 s`,
    `INSERT INTO authorization_role (parent_id, tree_level, sort_order, role_type, user_id, user_type, role_name) SELECT IF(s.seq>1, 1, 0), IF(s.seq>1, 2, 1), 0, IF(s.seq>1,'U','G'), s.seq-1, '2', CONCAT('Role ', s.seq) FROM seq_1_to_12 s`,
    `INSERT INTO authorization_rule (role_id, resource_id, privileges, permission) SELECT 1 + s.seq%12, CONCAT('Magento_', ${pick(h('ar', 's.seq'), ['Backend', 'Sales', 'Catalog', 'Customer', 'Cms', 'Reports', 'Cart'])}, '::', s.seq), NULL, IF(s.seq%3,'allow','deny') FROM seq_1_to_1200 s`,
    String.raw`INSERT INTO flag (flag_code, state, flag_data, last_update) SELECT CONCAT('flag_', s.seq), s.seq%2, CONCAT('{"current_version":"2.4.', s.seq, '","path":"C:\\\\magento\\\\var","msg":"l\\u00e4uft"}'), '2024-03-01' + INTERVAL s.seq HOUR FROM seq_1_to_12 s`,
    `INSERT INTO setup_module SELECT CONCAT('Magento_Module', s.seq), CONCAT('2.', s.seq%5, '.', s.seq%10), CONCAT('2.', s.seq%5, '.', s.seq%10) FROM seq_1_to_320 s`,
    String.raw`INSERT INTO patch_list (patch_name) SELECT CONCAT('Magento\\Module', s.seq%300, '\\Setup\\Patch\\Data\\', ${pick(h('pl', 's.seq'), ['AddData', 'UpdateAttributes', 'InstallDefault', 'MigrateSerialized'])}, s.seq) FROM seq_1_to_900 s`,
    `INSERT INTO theme (parent_id, theme_path, theme_title, preview_image, is_featured, area, type, code) VALUES (NULL,'Magento/blank','Magento Blank','preview_image_1.jpeg',0,'frontend',0,'Magento/blank'),(1,'Magento/luma','Magento Luma','preview_image_2.jpeg',0,'frontend',0,'Magento/luma'),(NULL,'Magento/backend','Magento 2 backend',NULL,0,'adminhtml',0,'Magento/backend')`,
    `INSERT INTO indexer_state (indexer_id, status, updated, hash_config) SELECT CONCAT('indexer_', s.seq), ELT(1+s.seq%3,'valid','invalid','working'), '2024-01-01' + INTERVAL s.seq MINUTE, MD5(s.seq) FROM seq_1_to_16 s`,
    `INSERT INTO mview_state (view_id, mode, status, updated, version_id) SELECT CONCAT('view_', s.seq), IF(s.seq%2,'enabled','disabled'), 'idle', '2024-01-01' + INTERVAL s.seq MINUTE, s.seq*100 FROM seq_1_to_16 s`,
    String.raw`INSERT INTO email_template (template_code, template_text, template_type, template_subject, template_sender_name, template_sender_email, added_at, modified_at, orig_template_code)
  SELECT CONCAT('tpl_', s.seq), CONCAT('{{template config_path="design/email/header_template"}}\n<p>{{trans "Hallo %name," name=$order.getCustomerName()}}</p>\n{{var order.increment_id}} — ', s.seq), 2, CONCAT('Ihre Bestellung #', s.seq), 'Shop', 'shop@example.com', '2022-01-01', '2022-02-01', NULL FROM seq_1_to_25 s`,
    `INSERT INTO legacy_myisam_log (msg, created_at) SELECT CONCAT('legacy message ', s.seq), '2015-01-01' + INTERVAL s.seq HOUR FROM seq_1_to_1000 s`,
    String.raw`INSERT INTO cron_schedule (job_code, status, messages, created_at, scheduled_at, executed_at, finished_at)
  SELECT ${pick(h('cj', 's.seq'), ['indexer_reindex_all_invalid', 'catalog_product_alert', 'sales_clean_quotes', 'newsletter_send_all', 'consumers_runner'])}, ELT(1+s.seq%4,'success','pending','error','missed'),
         IF(s.seq%4=2, CONCAT('Exception: SQLSTATE[HY000]: General error: 2006 MySQL server has gone away\n#0 /var/www/html/vendor/magento/framework/DB/Adapter/Pdo/Mysql.php(', s.seq%900, '): PDOStatement->execute()\n#1 {main}'), NULL),
         '2024-01-01' + INTERVAL s.seq MINUTE, '2024-01-01' + INTERVAL s.seq+1 MINUTE, IF(s.seq%4=1,NULL,'2024-01-01' + INTERVAL s.seq+1 MINUTE), IF(s.seq%4=1,NULL,'2024-01-01' + INTERVAL s.seq+2 MINUTE)
  FROM seq_1_to_${n.cron} s`,
  ];
}
