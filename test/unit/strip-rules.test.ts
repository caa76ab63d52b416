// --strip patterns (strip-rules.ts): groups, nested groups, globs, the shop's table prefix, refusals.
import { describe, expect, it } from 'vitest';
import { STRIP_GROUPS, stripRules } from '../../src/core/backup/strip-rules.js';

describe('strip rules', () => {
  it('expands groups, also within groups, to Magento 2.4 tables', () => {
    const trade = stripRules(['@trade']);
    for (const table of ['customer_entity', 'customer_entity_varchar', 'customer_address_entity_int', 'sales_order', 'sales_order_item', 'sequence_order_1', 'quote_item', 'wishlist_item', 'klarna_core_order']) {
      expect(trade.matches(table), table).toBe(true);
    }
    for (const table of ['catalog_product_entity', 'core_config_data', 'store', 'sales_sequence_meta', 'eav_attribute']) expect(trade.matches(table), table).toBe(false);
  });

  it('puts changelogs and index batches into @stripped, and @stripped and @trade into @development', () => {
    const stripped = stripRules(['@stripped']);
    expect(stripped.matches('catalog_product_price_cl')).toBe(true);
    expect(stripped.matches('catalogrule_product_index_batches')).toBe(true);
    expect(stripped.matches('session')).toBe(true);
    expect(stripped.matches('sales_order')).toBe(false);
    const development = stripRules(['@development']);
    for (const table of ['catalog_product_price_cl', 'admin_user', 'oauth_token', 'sales_order', 'search_query', 'tfa_user_config', 'sales_order_aggregated_created']) {
      expect(development.matches(table), table).toBe(true);
    }
  });

  it('leaves Magento tables that only look alike', () => {
    const rules = stripRules(['@dotmailer', '@log']);
    expect(rules.matches('email_contact')).toBe(true);
    expect(rules.matches('email_template')).toBe(false); // Magento's own e-mail templates
    expect(rules.matches('logging_event')).toBe(false);
  });

  it('takes table globs and ignores the shop table prefix', () => {
    const rules = stripRules(['report_*', 'custom_?'], 'm2_');
    expect(rules.matches('report_event')).toBe(true);
    expect(rules.matches('m2_report_event')).toBe(true);
    expect(rules.matches('custom_a')).toBe(true);
    expect(rules.matches('custom_ab')).toBe(false);
    expect(stripRules(['@customers'], 'm2_').matches('m2_customer_entity')).toBe(true);
    // A name given without the prefix matched a prefixed table: not reported as matching nothing.
    expect(stripRules(['report_*', 'custom_?', 'typo_table', '@sales'], 'm2_').unmatched(['m2_report_event', 'custom_a'])).toEqual(['typo_table']);
  });

  it('refuses an unknown group and a pattern that cannot be a table name, naming the groups', () => {
    expect(() => stripRules(['@customer'])).toThrow(/--strip @customer: no such group; groups are @admin,/);
    expect(() => stripRules(['sales order'])).toThrow(/give a group .* or a table name/);
    expect(Object.keys(STRIP_GROUPS)).toEqual(expect.arrayContaining(['customers', 'sales', 'quotes', 'log', 'sessions', 'trade', 'admin', 'oauth', 'search', 'idx', '2fa', 'newrelic', 'dotmailer', 'aggregated', 'replica', 'development', 'stripped']));
  });

  it('refers only to groups that exist', () => {
    for (const [name, group] of Object.entries(STRIP_GROUPS)) {
      for (const member of group.tables.filter((t) => t.startsWith('@'))) expect(STRIP_GROUPS[member.slice(1)], `${name} -> ${member}`).toBeDefined();
    }
  });
});
