// What an S3 client asked of the server, from the requests a proxy (fault-proxy.ts) passed on: the
// listings of a prefix, and the objects written under one (a single PUT, or a multipart upload counted
// once, by its CreateMultipartUpload), so a test counts requests instead of timing them.

/** One request as the proxy saw it: "METHOD /bucket/key?query". */
interface SeenRequest {
  request: string;
}

function parse(seen: SeenRequest): { method: string; path: string; query: URLSearchParams } {
  const [method, target] = seen.request.split(' ', 2);
  const url = new URL(target, 'http://proxy');
  return { method, path: decodeURIComponent(url.pathname), query: url.searchParams };
}

/** How many listings (ListObjectsV2) asked for exactly `prefix` (the bucket's key, prefix included). */
export function listingsOf(seen: readonly SeenRequest[], bucket: string, prefix: string): number {
  return seen.map(parse).filter((r) => r.method === 'GET' && (r.path === `/${bucket}` || r.path === `/${bucket}/`) && r.query.get('list-type') === '2' && r.query.get('prefix') === prefix).length;
}

/** The keys under `prefix` that were written, once per write (a key written twice is there twice). */
export function writesUnder(seen: readonly SeenRequest[], bucket: string, prefix: string): string[] {
  const written: string[] = [];
  for (const r of seen.map(parse)) {
    if (!r.path.startsWith(`/${bucket}/${prefix}`)) continue;
    const single = r.method === 'PUT' && !r.query.has('uploadId') && !r.query.has('partNumber');
    const multipart = r.method === 'POST' && r.query.has('uploads');
    if (single || multipart) written.push(r.path.slice(`/${bucket}/`.length));
  }
  return written.sort();
}
