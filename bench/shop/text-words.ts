// The vocabulary of the text-heavy database's prose: shop copy, reviews and customer service English, a
// few words of German and French. Most frequent first: text-pool.ts picks the front of the list far more
// often (a rough Zipf curve, as in real prose), which makes gzip's ratio on it realistic rather than that
// of uniformly random words.

/** Sentence openers (capitalized). */
export const OPENERS = `The This Our It We You Each With For Every These Customers Most If When After Thanks Unlike Made Designed
  Please Unfortunately However Since Once Because While Although Here Your All Many Some Both Before During Overall Honestly Also`.split(/\s+/);

/** The words of a sentence after its opener, most frequent first; some carry a comma. */
export const VOCAB = `the and a to of is in for with it you that this on are your be as our from or at by was all not
  can have has will an one more so but they which also its very were we if when up out my just about only
  it's than into their them these other been would there what do any no how most much some time use made
  new well each good great little back even first get make like two after over well, such through where day
  because any, many before while used still same long three every need make both right however, around last
  quality product products order orders delivery shipping customer customers size fit colour color material
  price service item items design comfortable soft durable light warm easy perfect nice small large high
  days week weeks month year years box package return returns refund exchange store shop online support
  cotton leather wool linen steel glass wood oak bamboo ceramic aluminium silk plastic rubber fabric
  jacket shirt dress shoes sneakers boots bag backpack wallet watch lamp chair table sofa mug bottle kettle
  blender speaker headphones keyboard tent bike helmet scarf hat gloves socks trousers jeans coat
  really love loved recommend recommended happy satisfied disappointed arrived received ordered bought
  looks looked feels felt works worked fits fitted washed wash washing cleaning clean care instructions
  warranty guarantee included includes including free fast quick slow late early next previous again
  buy bought purchase purchased gift wife husband son daughter friend family kids children everyday
  outdoor indoor travel office home kitchen garden bathroom bedroom living room winter summer spring autumn
  water resistant waterproof breathable adjustable removable washable stainless recycled organic natural
  handmade crafted finished tested certified sustainable responsibly sourced premium classic modern
  elegant simple practical stylish versatile timeless lightweight compact sturdy robust reliable
  battery charge charging cable wireless bluetooth sound noise screen button strap zip zipper pocket pockets
  handle lid base edge surface seams stitching sole heel toe collar sleeve sleeves waist length width height
  weight capacity volume litres cm mm kg grams inches hours minutes percent half double single pair set
  black white blue red green grey navy beige brown pink yellow orange purple gold silver dark bright
  please thank thanks dear regards hello hi sorry unfortunately apologies kindly contact reply email
  message call phone address invoice tracking number parcel courier carrier dispatched shipped delivered
  pending processing complete cancelled canceled refunded credit memo payment paid card bank transfer
  account password login newsletter subscription offer discount coupon code sale voucher points reward
  available stock sold limited edition collection season range series model version variant option
  describe description details detail information question questions answer problem issue damaged broken
  missing wrong correct replacement replaced repair repaired return, policy condition original packaging
  label labels receipt checkout cart basket wishlist review reviews rating stars star opinion experience
  expected expectation better best worse worst cheaper expensive value money worth budget affordable
  seemed seems maybe probably definitely absolutely quite rather pretty fairly slightly perhaps exactly
  always never often sometimes usually already yet soon later today tomorrow yesterday now then once twice
  between under above inside outside along across against without within behind beside near far away
  people person everyone someone anyone nothing something everything anything thing things way ways part
  look feel sound smell touch keep keeps kept hold holds held carry carries wear wears wore worn
  fold folds open opens close closes fold, store, carry, wear, fitting sizing smaller bigger longer shorter
  2 3 4 5 10 12 14 24 30 50 100 2024 2025 100%
  Größe Qualität sehr gut schön leider Lieferung schnell danke très bien qualité livraison rapide merci
  café naïve façade über für Grüße été`.split(/\s+/).filter((w) => w !== '');

/** Review titles. */
export const TITLES = [
  'Great product', 'Love it!', 'Not bad', 'Exactly as described', 'Disappointed', 'Runs small', 'Runs large', 'Five stars',
  'Good value for money', 'Would buy again', 'Arrived damaged', 'Perfect gift', 'Très bien', 'Super Qualität', 'Meh', "Didn't fit",
  'Better than expected', 'Cheap "quality"', 'Fast delivery', 'Comfortable and warm',
] as const;

/** How a status-history comment starts (the rest is prose from the pool). */
export const COMMENT_OPENERS = [
  'Customer called: ', 'Note from support: ', 'Captured amount of €{n}. ', 'We refunded {n} EUR online. ', 'Order shipped via DHL, tracking {n}. ',
  'Customer asked by email: ', 'Kunde hat angerufen: ', 'Return requested: ', 'Address corrected: ', '', '', '',
] as const;

/** Magento message-queue topics (queue_message.topic_name). */
export const TOPICS = [
  'sales.order.email', 'customer.account.email', 'newsletter.subscriber.email', 'sales.shipment.email', 'sales.invoice.email', 'product_alert',
] as const;
