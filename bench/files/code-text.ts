// Source-like text for the benchmark shop tree (PHP, XML, JS, LESS, phtml, CSV), compressible roughly like
// real Magento code: a port of the text generator of the team's gen-shop-files.sh, on a seeded PRNG.

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same tree. */
export class Rng {
  constructor(private state: number) {}

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  choice<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  hex(chars: number): string {
    let s = '';
    while (s.length < chars) s += Math.floor(this.next() * 0x100000000).toString(16).padStart(8, '0');
    return s.slice(0, chars);
  }
}

export const VENDORS = ['Magento', 'Acme', 'Vendor', 'Amasty', 'Mageplaza', 'Smile', 'Yireo', 'Klarna', 'PayPal', 'Fooman'];
export const MODULES = [
  'Catalog', 'Sales', 'Checkout', 'Customer', 'Cms', 'Payment', 'Shipping', 'Quote', 'Tax', 'Search', 'Review', 'Wishlist', 'Newsletter', 'Backend', 'Theme',
  'Store', 'Eav', 'Indexer', 'Cron', 'Email', 'GiftCard', 'Rma', 'Reward', 'Banner', 'Import', 'Export', 'Reports', 'Sitemap', 'Swatches', 'Msrp',
];
export const SUBDIRS = [
  'Block/Adminhtml/Edit/Tab', 'Block/Product/View', 'Controller/Adminhtml/Index', 'Controller/Index', 'Model/ResourceModel/Collection', 'Model/Config/Source',
  'Model/Service', 'Observer', 'Plugin/Model', 'Setup/Patch/Data', 'Setup/Patch/Schema', 'Api/Data', 'Helper', 'Console/Command', 'Cron',
  'Test/Unit/Model/ResourceModel', 'Test/Integration/Controller', 'ViewModel', 'CustomerData', 'Ui/Component/Listing/Column', 'etc/adminhtml', 'etc/frontend',
  'etc/di', 'i18n', 'view/frontend/templates/product/view', 'view/adminhtml/templates/order', 'view/frontend/web/js/view/checkout',
  'view/frontend/web/css/source/module', 'view/frontend/layout', 'view/adminhtml/ui_component',
];

const BASE_WORDS = (
  'product order customer quote item price total tax shipping payment store website config collection repository factory manager provider resolver ' +
  'builder validator converter processor handler observer plugin request response result data model resource entity attribute option value category ' +
  'stock source index search filter sort page size cache session logger event area scope context registry serializer invoice shipment creditmemo refund ' +
  'capture authorize gateway token secret carrier rate method address region country currency locale translate url rewrite media gallery image thumbnail ' +
  'swatch variation bundle grouped downloadable link sample review rating vote wishlist compare newsletter subscriber queue consumer publisher topic ' +
  'message bulk operation schedule job cron indexer mview changelog subscription batch chunk file directory reader writer adapter driver connection ' +
  'transaction lock mutex semaphore counter metric tracker visitor customer_group segment rule condition action coupon discount promo banner widget ' +
  'block template layout container element argument node tree path parent child sibling position level sequence increment identifier'
).split(' ');
export const WORDS = [...BASE_WORDS, ...BASE_WORDS.slice(0, 60).flatMap((w) => ['s', 'Id', 'Map', 'List'].map((s) => w + s))];

const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase();

export function ident(r: Rng, n = 2, capitalize = true): string {
  const w = Array.from({ length: n }, () => r.choice(WORDS));
  return capitalize ? w.map(cap).join('') : w[0] + w.slice(1).map(cap).join('');
}

/** File extension by the folder it lives in. */
export function extensionFor(dir: string): string {
  if (dir.startsWith('etc') || dir.endsWith('layout') || dir.endsWith('ui_component')) return '.xml';
  if (dir === 'i18n') return '.csv';
  if (dir.includes('templates')) return '.phtml';
  if (dir.includes('/js')) return '.js';
  if (dir.includes('/css')) return '.less';
  return '.php';
}

function phpLine(r: Rng, depth: number): string {
  const ind = '    '.repeat(depth);
  const k = r.next();
  const v = () => ident(r, 1, false);
  if (k < 0.15) return `${ind}$this->${ident(r, 2, false)} = $${v()};`;
  if (k < 0.3) return `${ind}$${ident(r, 2, false)} = $this->${ident(r, 2, false)}->get${ident(r)}($${v()});`;
  if (k < 0.4) return `${ind}if ($${v()} === null || !$this->${ident(r, 2, false)}->is${ident(r, 1)}()) {`;
  if (k < 0.47) return `${ind}throw new \\Magento\\Framework\\Exception\\LocalizedException(__('The "%1" ${r.choice(WORDS)} doesn\\'t exist.', $${v()}));`;
  if (k < 0.55) return `${ind}return $this->${ident(r, 2, false)}->${r.choice(['create', 'load', 'save', 'getList', 'execute'])}($${v()}, ${r.int(0, 999)});`;
  if (k < 0.63) return `${ind} * @param ${r.choice(['int', 'string', 'array', 'bool', ident(r) + 'Interface'])} $${v()}`;
  if (k < 0.68) return `${ind}/** @var \\${r.choice(VENDORS)}\\${r.choice(MODULES)}\\Model\\${ident(r)} $${v()} */`;
  if (k < 0.74) return `${ind}foreach ($${ident(r, 2, false)} as $key => $${v()}) {`;
  if (k < 0.8) return `${ind}}`;
  if (k < 0.86) return `${ind}$select->where('main_table.${r.choice(WORDS)}_id IN (?)', $${v()}Ids)->order('${r.choice(WORDS)} DESC');`;
  if (k < 0.92) return `${ind}// ${r.choice(['TODO', 'NOTE', 'FIXME'])}: ${Array.from({ length: r.int(3, 9) }, () => r.choice(WORDS)).join(' ')}`;
  if (k < 0.96) return `${ind}const ${ident(r, 2, false).toUpperCase()} = '${r.hex(16)}'; // ${r.int(0, 10 ** 6)}`;
  return '';
}

/** About `size` bytes of source text of the kind `ext`, for a file in folder `dir`. */
export function codeText(r: Rng, ext: string, size: number, dir: string): Buffer {
  const out: string[] = [];
  if (ext === '.php') {
    out.push(
      `<?php\n/**\n * Copyright © ${r.choice(VENDORS)}, Inc. All rights reserved.\n * See COPYING.txt for license details.\n */\ndeclare(strict_types=1);\n\n` +
        `namespace ${dir.replace(/\//g, '\\')};\n\nuse Magento\\Framework\\App\\ResourceConnection;\nuse Psr\\Log\\LoggerInterface;\n\n` +
        `class ${ident(r)} implements ${ident(r)}Interface\n{\n`,
    );
  } else if (ext === '.xml') {
    out.push('<?xml version="1.0"?>\n<config xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="urn:magento:framework:ObjectManager/etc/config.xsd">\n');
  }
  let n = out.reduce((sum, s) => sum + s.length, 0);
  let depth = 1;
  while (n < size) {
    let l: string;
    if (ext === '.php' || ext === '.phtml') {
      l = phpLine(r, depth);
      if (l.endsWith('{')) depth = Math.min(depth + 1, 5);
      else if (l.trim() === '}') depth = Math.max(depth - 1, 1);
    } else if (ext === '.xml') {
      l = `    <type name="${r.choice(VENDORS)}\\${r.choice(MODULES)}\\Model\\${ident(r)}">\n        <arguments><argument name="${ident(r, 1, false)}" xsi:type="${r.choice(['object', 'string', 'array'])}">${ident(r)}</argument></arguments>\n    </type>`;
    } else if (ext === '.js') {
      l = `        ${ident(r, 2, false)}: function (${ident(r, 1, false)}) { return this.${ident(r, 2, false)}().${r.choice(['filter', 'map', 'each'])}(function (x) { return x.${r.choice(WORDS)} === ${r.int(0, 99)}; }); },`;
    } else if (ext === '.less') {
      l = `.${r.choice(WORDS)}-${r.choice(WORDS)} { .lib-css(${r.choice(['margin', 'padding', 'color', 'font-size'])}, @${r.choice(WORDS)}__${r.choice(WORDS)}); &:hover { color: #${r.hex(6)}; } }`;
    } else {
      const a = Array.from({ length: r.int(2, 6) }, () => r.choice(WORDS)).join(' ');
      l = `"${cap(a)}","${cap(a)} (${r.choice(['de_DE', 'fr_FR', 'pl_PL'])}) – übersetzt"`;
    }
    out.push(l + '\n');
    n += l.length + 1;
  }
  return Buffer.from(out.join(''), 'utf8').subarray(0, size);
}
