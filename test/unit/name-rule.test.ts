// The create dialog's preview of a backup name (src/web/name-rule.js) must be what the server stores:
// the page's copy of the filter gives the same result as the server's for every kind of input.
import { describe, expect, it } from 'vitest';
import { filterBackupName } from '../../src/repository/naming.js';
// @ts-expect-error -- the page's plain JavaScript module has no type declarations
import { filterBackupName as pageFilter, namePreview } from '../../src/web/name-rule.js';

const NAMES = ['v2.4.7 upgrade! café', 'before upgrade', '  spaces  around  ', '!!!', '', 'ümlaut-and_underscore', 'a'.repeat(60), 'tab\there', '日本語 name 2'];

describe("the page's backup name rule", () => {
  it('gives what the server stores, for every kind of name', () => {
    for (const name of NAMES) expect(pageFilter(name), name).toBe(filterBackupName(name));
  });

  it('says what a name becomes', () => {
    expect(namePreview('v2.4.7 upgrade! café')).toBe('Saved as “v247 upgrade caf” (changed by the rule above).');
    expect(namePreview('before upgrade')).toBe('Saved as “before upgrade”.');
    expect(namePreview('two  spaces')).toBe('Saved as “two spaces” (changed by the rule above).');
    expect(namePreview('!!!')).toBe('Nothing of this name is kept: the backup gets no name.');
    expect(namePreview('  ')).toBe('No name: the backup is known by its time and type.');
  });
});
