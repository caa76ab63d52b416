// A database host that does not resolve (a Docker service name seen from outside the containers) is
// reported with what to do, not as the resolver's bare ENOTFOUND.
import { describe, expect, it } from 'vitest';
import { openConnection } from '../../src/engines/mysql/connect.js';

describe('connection errors', () => {
  it('explains a host name that does not resolve', async () => {
    const target = { kind: 'mysql' as const, host: 'lifeboat-no-such-db-host', port: 3306, user: 'shop', password: '', database: 'shop' };
    const error = await openConnection(target).then(
      () => undefined,
      (e: unknown) => e as NodeJS.ErrnoException,
    );
    expect(error?.code).toBe('ENOTFOUND');
    expect(error?.message).toMatch(
      /^the database host "lifeboat-no-such-db-host" does not resolve here \(getaddrinfo ENOTFOUND lifeboat-no-such-db-host\); a Docker service name resolves only inside the containers' network: run Lifeboat there, or set LIFEBOAT_DATABASE_URL to an address reachable from here$/,
    );
  });
});
