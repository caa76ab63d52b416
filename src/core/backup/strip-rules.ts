// `--strip`: tables whose rows a backup leaves out (their structure, triggers and AUTO_INCREMENT stay), by
// table-name glob or by group. The groups are Magento 2's, named as n98-magerun2's `db:dump --strip`
// names them (what Magento developers already type), written from Magento 2.4's schema; unlike n98's,
// the changelog tables of the indexers (`*_cl`) and their batch tables (`*_index_batches`) are in
// `@stripped`, so a stripped copy does not carry every pending change of the live shop.
import { UsageError } from '../../shared/errors.js';

/** Each group: what it is for, and its table globs and other groups (`@name`). */
export const STRIP_GROUPS: Readonly<Record<string, { description: string; tables: readonly string[] }>> = {
  admin: {
    description: 'admin users, their roles, sessions, bookmarks and the admin action log',
    tables: ['admin_*', 'authorization_role', 'authorization_rule', 'ui_bookmark', 'magento_logging_event', 'magento_logging_event_changes'],
  },
  oauth: { description: 'OAuth consumers and tokens', tables: ['oauth_*'] },
  log: {
    description: 'visitor, report and cron logs',
    tables: ['log_url', 'log_url_info', 'log_visitor', 'log_visitor_info', 'log_visitor_online', 'report_event', 'report_viewed_product_index', 'report_compared_product_index', 'customer_visitor', 'cron_schedule', 'login_as_customer_log'],
  },
  sessions: { description: 'database sessions', tables: ['session', 'persistent_session'] },
  customers: {
    description: 'customers, their addresses, wishlists, stored cards and alerts (use with @sales)',
    tables: [
      'customer_entity',
      'customer_entity_*',
      'customer_address_entity',
      'customer_address_entity_*',
      'customer_grid_flat',
      'customer_log',
      'newsletter_subscriber',
      'newsletter_queue_link',
      'newsletter_problem',
      'product_alert_*',
      'vault_payment_token',
      'vault_payment_token_*',
      'wishlist',
      'wishlist_*',
      'login_as_customer',
      'login_as_customer_assistance_allowed',
      'company',
      'company_*',
      'magento_customerbalance',
      'magento_customerbalance_history',
      'magento_customersegment_customer',
      'magento_giftcardaccount',
      'magento_reward',
      'magento_reward_history',
    ],
  },
  sales: {
    description: 'orders, invoices, shipments, credit memos, payments, returns and their number sequences',
    tables: [
      'sales_order',
      'sales_order_*',
      'sales_invoice',
      'sales_invoice_*',
      'sales_invoiced_*',
      'sales_shipment',
      'sales_shipment_*',
      'sales_shipping_*',
      'sales_creditmemo',
      'sales_creditmemo_*',
      'sales_refunded_*',
      'sales_payment_*',
      'sales_bestsellers_*',
      'sequence_order_*',
      'sequence_invoice_*',
      'sequence_shipment_*',
      'sequence_creditmemo_*',
      'sequence_rma_*',
      'inventory_reservation',
      'downloadable_link_purchased',
      'downloadable_link_purchased_item',
      'paypal_billing_agreement*',
      'paypal_payment_transaction',
      'paypal_settlement_report*',
      'magento_rma',
      'magento_rma_*',
      'magento_sales_*_grid_archive',
    ],
  },
  quotes: { description: 'carts (quotes), negotiable quotes included', tables: ['quote', 'quote_*', 'negotiable_quote', 'negotiable_quote_*'] },
  klarna: { description: 'Klarna payment tables', tables: ['klarna_*'] },
  mailchimp: { description: 'Mailchimp tables', tables: ['mailchimp_*'] },
  trade: { description: 'customers, orders and carts: what a developer copy should not hold', tables: ['@customers', '@sales', '@quotes', '@klarna', '@mailchimp'] },
  search: { description: 'search terms, recommendations and synonyms', tables: ['catalogsearch_*', 'search_query', 'search_synonyms'] },
  idx: { description: "indexers' work tables", tables: ['*_idx', '*_index_batches'] },
  changelog: { description: "the indexers' changelogs (Magento's mview)", tables: ['*_cl'] },
  '2fa': { description: 'two-factor authentication secrets', tables: ['tfa_user_config', 'msp_tfa_*'] },
  newrelic: { description: 'New Relic reporting', tables: ['reporting_*'] },
  dotmailer: {
    description: 'Dotdigital (dotmailer) tables',
    tables: [
      'email_abandoned_cart',
      'email_automation',
      'email_campaign',
      'email_catalog',
      'email_contact',
      'email_contact_consent',
      'email_coupon_attribute',
      'email_failed_auth',
      'email_importer',
      'email_order',
      'email_review',
      'email_rules',
      'email_wishlist',
    ],
  },
  aggregated: {
    description: 'report aggregates, rebuilt by Magento',
    tables: ['*_aggregated', '*_aggregated_updated', '*_aggregated_created', '*_aggregated_daily', '*_aggregated_monthly', '*_aggregated_yearly', '*_aggregated_order'],
  },
  replica: { description: "the indexers' replica tables", tables: ['*_replica'] },
  temp: { description: "the indexers' temporary tables", tables: ['*__temp*'] },
  stripped: {
    description: 'logs, sessions, changelogs and work tables: a smaller dump that keeps all business data',
    tables: ['@log', '@sessions', '@dotmailer', '@newrelic', '@temp', '@changelog', '@idx', 'system_config_snapshot'],
  },
  development: {
    description: 'everything personal or transient: @admin @oauth @trade @stripped @search @2fa @aggregated',
    tables: ['@admin', '@oauth', '@trade', '@stripped', '@search', '@2fa', '@aggregated'],
  },
};

/** Which tables a backup takes without rows: the patterns as given, and a test by table name. */
export interface StripRules {
  patterns: string[];
  /** Whether `table` loses its rows; the shop's table prefix, if any, is ignored in front of the name. */
  matches(table: string): boolean;
  /** The table names and globs given (not groups) that match none of `tables`: most likely typos. */
  unmatched(tables: readonly string[]): string[];
}

/** `*` any run of characters, `?` one; everything else literal, the whole name. */
function globToRegExp(glob: string): string {
  return glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
}

/** The table globs a pattern stands for (a group's, recursively; a glob as itself). */
function expand(pattern: string, seen: Set<string>): string[] {
  if (!pattern.startsWith('@')) return [pattern];
  const name = pattern.slice(1);
  const group = STRIP_GROUPS[name];
  if (!group) {
    throw new UsageError(`--strip ${pattern}: no such group; groups are ${Object.keys(STRIP_GROUPS).map((g) => `@${g}`).join(', ')} (or give a table name, * and ? as wildcards)`);
  }
  if (seen.has(name)) return [];
  seen.add(name);
  return group.tables.flatMap((member) => expand(member, seen));
}

const TABLE_GLOB = /^[A-Za-z0-9_$*?]+$/;

/** Parses `--strip` patterns; refuses an unknown group or a pattern that cannot be a table name. */
export function stripRules(patterns: string[], tablePrefix = ''): StripRules {
  const globs = new Set<string>();
  for (const pattern of patterns) {
    if (!pattern.startsWith('@') && !TABLE_GLOB.test(pattern)) {
      throw new UsageError(`--strip "${pattern}": give a group (@customers, @sales, ...) or a table name with * and ? as wildcards`);
    }
    for (const glob of expand(pattern, new Set())) globs.add(glob);
  }
  const matcher = (test: RegExp) => (table: string) => test.test(table) || (tablePrefix !== '' && table.startsWith(tablePrefix) && test.test(table.slice(tablePrefix.length)));
  const all = matcher(new RegExp(`^(?:${[...globs].map(globToRegExp).join('|')})$`));
  return {
    patterns,
    matches: (table) => globs.size > 0 && all(table),
    unmatched: (tables) =>
      patterns.filter((pattern) => {
        if (pattern.startsWith('@')) return false;
        const one = matcher(new RegExp(`^${globToRegExp(pattern)}$`));
        return !tables.some(one);
      }),
  };
}
