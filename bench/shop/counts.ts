// Row counts of the benchmark shop's growing tables for a scale (SCALE=1: 1 M orders, ~3 M order items,
// about 1 GB of InnoDB data). Small configuration tables have fixed sizes.

export interface ShopCounts {
  orders: number;
  customers: number;
  addresses: number;
  products: number;
  categories: number;
  statusHistory: number;
  logs: number;
  sessions: number;
  quotes: number;
  searches: number;
  reviews: number;
  newsletter: number;
  wishlists: number;
  cron: number;
}

const BASE: ShopCounts = {
  orders: 1_000_000,
  customers: 120_000,
  addresses: 140_000,
  products: 50_000,
  categories: 1_500,
  statusHistory: 250_000,
  logs: 25_000,
  sessions: 8_000,
  quotes: 100_000,
  searches: 40_000,
  reviews: 20_000,
  newsletter: 30_000,
  wishlists: 10_000,
  cron: 5_000,
};

/** Each count times the scale, rounded half up, at least 1 (as gen-shop-db.sh's awk does). */
export function shopCounts(scale: number): ShopCounts {
  const counts = {} as ShopCounts;
  for (const key of Object.keys(BASE) as (keyof ShopCounts)[]) {
    counts[key] = Math.max(1, Math.floor(BASE[key] * scale + 0.5));
  }
  return counts;
}
