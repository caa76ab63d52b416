// `lifeboat restore --base-url URL`: a Magento copy keeps the production shop's base URLs in
// core_config_data and would redirect every visitor there. The restore sets them in the staged copy,
// before its swap, so the copy is never seen with production's URLs. Checked before any work.
import { UsageError } from '../../shared/errors.js';
import type { ShopConfig } from '../../shop/shop.js';
import type { BackupRecord } from '../../shared/types.js';

const BASE_URL_PATHS = ['web/unsecure/base_url', 'web/secure/base_url'];

/**
 * The URL as Magento stores it: http or https, ending with "/", nothing a SQL string literal would need
 * to escape (quotes, backslashes) or a shop never has in a base URL (spaces, a query, a fragment).
 */
export function checkBaseUrl(value: string): string {
  const advice = 'give the copy\'s address ending with "/", e.g. --base-url https://staging.example.com/';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--base-url "${value}" is not a URL; ${advice}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--base-url "${value}" is not an http or https URL; ${advice}`);
  if (!value.endsWith('/')) throw new UsageError(`--base-url "${value}" must end with "/", as Magento's base URLs do; ${advice}`);
  if (/['"\\\s?#]/.test(value) || url.username || url.password) throw new UsageError(`--base-url "${value}" holds characters a base URL has not (quotes, backslashes, spaces, a query, a fragment or a user); ${advice}`);
  return value;
}

/** The core_config_data table of the shop (with the table prefix of its env.php), refused in one line where the backup has none. */
export function configTableOf(shop: ShopConfig | undefined, record: BackupRecord): string {
  if (shop?.platform !== 'magento') throw new UsageError(`--base-url sets Magento's base URLs, and this shop is ${shop ? shop.label : 'not one Lifeboat recognises'}; leave it out`);
  const prefix = shop.tablePrefix ?? '';
  if (!/^[A-Za-z0-9_]*$/.test(prefix)) throw new UsageError(`--base-url: the table prefix "${prefix}" in ${shop.file} is not a plain name; set the URLs in the copy by hand`);
  const table = `${prefix}core_config_data`;
  const tables = record.manifest?.tables.map((t) => t.name);
  if (tables && !tables.includes(table)) throw new UsageError(`--base-url: ${record.file} holds no table ${table}, where Magento keeps its base URLs; leave --base-url out`);
  return table;
}

/** The statements that set both base URLs in every scope of the staged copy (RestoreOptions.stagedStatements). */
export function baseUrlStatements(table: string, baseUrl: string): string[] {
  return [`UPDATE \`${table}\` SET value = '${baseUrl}' WHERE path IN (${BASE_URL_PATHS.map((p) => `'${p}'`).join(', ')})`];
}
