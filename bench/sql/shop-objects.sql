-- Triggers, routines and views, created after the data (so that generation does not fire them), then
-- a few updates that fire the triggers. Verbatim from gen-shop-db.sh, without the client-only DELIMITER:
-- the server parses BEGIN ... END blocks itself in a multi-statement query.
CREATE TRIGGER trg_catalog_product_entity_after_insert AFTER INSERT ON catalog_product_entity FOR EACH ROW
BEGIN
  INSERT IGNORE INTO catalog_product_entity_cl (entity_id) VALUES (NEW.entity_id);
END;
CREATE TRIGGER trg_catalog_product_entity_after_update AFTER UPDATE ON catalog_product_entity FOR EACH ROW
BEGIN
  IF (NEW.sku <=> OLD.sku) = 0 OR (NEW.type_id <=> OLD.type_id) = 0 THEN
    INSERT IGNORE INTO catalog_product_entity_cl (entity_id) VALUES (NEW.entity_id);
  END IF;
END;
CREATE TRIGGER trg_catalog_product_entity_int_after_update AFTER UPDATE ON catalog_product_entity_int FOR EACH ROW
BEGIN
  INSERT IGNORE INTO catalog_product_entity_cl (entity_id) VALUES (NEW.entity_id);
END;
CREATE FUNCTION order_item_count(p_order_id INT UNSIGNED) RETURNS INT READS SQL DATA
BEGIN
  RETURN (SELECT COUNT(*) FROM sales_order_item WHERE order_id = p_order_id);
END;
CREATE PROCEDURE purge_changelog(IN p_keep INT)
BEGIN
  DELETE FROM catalog_product_entity_cl WHERE version_id < (SELECT COALESCE(MAX(version_id),0) - p_keep FROM catalog_product_entity_cl);
END;
CREATE VIEW sales_order_summary_view AS
  SELECT o.entity_id, o.increment_id, o.status, o.grand_total, c.email AS customer_email, COUNT(i.item_id) AS item_count
  FROM sales_order o LEFT JOIN customer_entity c ON c.entity_id = o.customer_id LEFT JOIN sales_order_item i ON i.order_id = o.entity_id
  GROUP BY o.entity_id, o.increment_id, o.status, o.grand_total, c.email;
CREATE VIEW customer_grid_view AS
  SELECT c.entity_id, CONCAT_WS(' ', c.firstname, c.lastname) AS name, c.email, a.city, a.country_id
  FROM customer_entity c LEFT JOIN customer_address_entity a ON a.entity_id = c.default_billing;
-- exercise the triggers a little so the changelog is not empty
UPDATE catalog_product_entity SET sku = CONCAT(sku, '-v2'), updated_at = '2024-06-01 12:00:00' WHERE entity_id % 1000 = 1;
UPDATE catalog_product_entity_int SET value = value + 1 WHERE attribute_id = 80 AND entity_id % 1000 = 2;
