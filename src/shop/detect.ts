// Which shop a root holds, told by the files present, and what its configuration says. Magento's
// app/etc/env.php is looked for first, then WordPress's wp-config.php, then a Shopware project's .env.
import { isMagento, readMagento } from './magento.js';
import { isShopware, readShopware } from './shopware.js';
import type { ShopConfig, ShopContext } from './shop.js';
import { readWordpress, wordpressConfigFile } from './wordpress.js';

/** The shop in `root` and what its configuration file says; undefined when no known shop is there. */
export function readShopConfig(root: string, context: ShopContext): ShopConfig | undefined {
  if (isMagento(root)) return readMagento(root, context);
  if (wordpressConfigFile(root)) return readWordpress(root, context);
  if (isShopware(root)) return readShopware(root, context);
  return undefined;
}
