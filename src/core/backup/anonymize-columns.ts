// `--anonymize`: which columns of a Magento 2.4 shop hold personal data, and what each becomes (the
// kinds are in shared/types.ts, their fake values in engines/mysql/fake-values.ts). A column a shop's
// table lacks is skipped; a config file's `anonymize` setting adds columns ("table.column": kind).
import type { FakeKind } from '../../shared/types.js';

type Columns = Readonly<Record<string, FakeKind>>;

const PERSON: Columns = { firstname: 'firstname', lastname: 'lastname', middlename: 'firstname' };
const ADDRESS: Columns = { ...PERSON, email: 'email', street: 'street', telephone: 'phone', fax: 'phone', company: 'company', vat_id: 'id' };
const ORDER_CUSTOMER: Columns = {
  customer_email: 'email',
  customer_firstname: 'firstname',
  customer_lastname: 'lastname',
  customer_middlename: 'firstname',
  customer_dob: 'date',
  customer_taxvat: 'id',
  remote_ip: 'ip',
  x_forwarded_for: 'ip',
};
const SALES_GRID: Columns = {
  customer_email: 'email',
  customer_name: 'name',
  billing_name: 'name',
  shipping_name: 'name',
  billing_address: 'address',
  shipping_address: 'address',
};

/** Magento 2.4's tables with personal data, column by column. */
export const MAGENTO_ANONYMIZED: Readonly<Record<string, Columns>> = {
  customer_entity: { ...PERSON, email: 'email', dob: 'date', taxvat: 'id', password_hash: 'null', rp_token: 'null' },
  customer_address_entity: ADDRESS,
  customer_grid_flat: {
    name: 'name',
    email: 'email',
    dob: 'date',
    taxvat: 'id',
    billing_full: 'address',
    billing_firstname: 'firstname',
    billing_lastname: 'lastname',
    billing_telephone: 'phone',
    billing_fax: 'phone',
    billing_street: 'street',
    billing_company: 'company',
    billing_vat_id: 'id',
    shipping_full: 'address',
  },
  sales_order: ORDER_CUSTOMER,
  sales_order_address: ADDRESS,
  sales_order_grid: SALES_GRID,
  sales_invoice_grid: SALES_GRID,
  sales_shipment_grid: SALES_GRID,
  sales_creditmemo_grid: SALES_GRID,
  sales_order_payment: { cc_owner: 'name', cc_last_4: 'null', echeck_account_name: 'name' },
  quote: ORDER_CUSTOMER,
  quote_address: ADDRESS,
  newsletter_subscriber: { subscriber_email: 'email' },
  review_detail: { nickname: 'firstname' },
};

/**
 * The columns to anonymize per table: Magento's and `extra` ("table.column": kind) on top. The shop's
 * table prefix, if any, is ignored in front of a table's name.
 */
export function anonymizedColumns(extra: Readonly<Record<string, FakeKind>> = {}, tablePrefix = ''): (table: string) => ReadonlyMap<string, FakeKind> | undefined {
  const byTable = new Map<string, Map<string, FakeKind>>();
  for (const [table, columns] of Object.entries(MAGENTO_ANONYMIZED)) byTable.set(table, new Map(Object.entries(columns)));
  for (const [key, kind] of Object.entries(extra)) {
    const dot = key.lastIndexOf('.');
    const table = key.slice(0, dot);
    if (!byTable.has(table)) byTable.set(table, new Map());
    byTable.get(table)?.set(key.slice(dot + 1), kind);
  }
  return (table) => byTable.get(table) ?? (tablePrefix !== '' && table.startsWith(tablePrefix) ? byTable.get(table.slice(tablePrefix.length)) : undefined);
}
