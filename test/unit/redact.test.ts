import { describe, expect, it } from 'vitest';
import { redact, redactUrl, rememberSecret, rememberUrlSecrets } from '../../src/shared/redact.js';

describe('redact', () => {
  it('masks the password of every URL in a text, also an unencoded "@" in it', () => {
    expect(redact('connect to mysql://root:pw@db:3306/shop failed')).toBe('connect to mysql://root:********@db:3306/shop failed');
    expect(redact('"smtps://mail:p@ss@mail.example:465";')).toBe('"smtps://mail:********@mail.example:465";');
    expect(redact('{"url":"smtp://u:secret@h","to":"ops@shop.example"}')).toBe('{"url":"smtp://u:********@h","to":"ops@shop.example"}');
  });

  it('leaves URLs without a password and ordinary text alone', () => {
    const text = 'http://127.0.0.1:8480/api and mysql://root@db/shop, at 10:30 ops@shop.example';
    expect(redact(text)).toBe(text);
  });

  it('masks remembered secrets wherever they stand, plain or percent-encoded', () => {
    rememberSecret('Tr0ub4dor&3');
    expect(redact('Access denied: Tr0ub4dor&3 / Tr0ub4dor%263')).toBe('Access denied: ******** / ********');
    rememberSecret('abc'); // too short to mask outside a URL
    expect(redact('abc')).toBe('abc');
  });

  it("remembers a webhook URL's token-like path segments and query values", () => {
    rememberUrlSecrets('https://hooks.example.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX?key=AAAAAAAAAAAAAAAAAAAA', { tokens: true });
    expect(redact('HTTP 404: Cannot POST /services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX')).toBe('HTTP 404: Cannot POST /services/T000/B000/********');
    expect(redact('bad key AAAAAAAAAAAAAAAAAAAA')).toBe('bad key ********');
  });

  it('masks the password of a setting that is no valid URL', () => {
    expect(redactUrl('mysql://root:pa/ss word@127.0.0.1:99999/x')).toBe('mysql://root:********@127.0.0.1:99999/x');
    expect(redactUrl('mysql://root@127.0.0.1/x')).toBe('mysql://root@127.0.0.1/x');
  });
});
