// Length limits: input over its limit is a usage error naming the field and the limit, counted in
// characters; stored text is cut with a mark, never inside a surrogate pair.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/shared/errors.js';
import { clipStored, requireMaxLength } from '../../src/shared/text-limits.js';

describe('requireMaxLength', () => {
  it('passes a text of the limit and refuses a longer one, naming the field, its length and the limit', () => {
    expect(requireMaxLength('username', 'a'.repeat(64), 64)).toBe('a'.repeat(64));
    expect(() => requireMaxLength('username', 'a'.repeat(65), 64)).toThrow(new UsageError('username has 65 characters; shorten it to at most 64'));
  });

  it('counts characters, not UTF-16 units or bytes', () => {
    expect(requireMaxLength('password', '🔑'.repeat(8), 8)).toBe('🔑'.repeat(8));
    expect(() => requireMaxLength('password', `${'🔑'.repeat(8)}x`, 8)).toThrow('password has 9 characters; shorten it to at most 8');
    expect(() => requireMaxLength('name', 'ü'.repeat(51), 50)).toThrow('name has 51 characters');
  });
});

describe('clipStored', () => {
  it('keeps a text within the limit, and undefined or null as they are', () => {
    expect(clipStored('short', 10)).toBe('short');
    expect(clipStored(undefined, 10)).toBeUndefined();
    expect(clipStored(null, 10)).toBeNull();
  });

  it('cuts a longer text to the limit, ending with a mark', () => {
    expect(clipStored('abcdefghijk', 5)).toBe('abcd…');
  });

  it('never keeps half of a surrogate pair', () => {
    expect(clipStored('abc📚📚', 5)).toBe('abc…'); // the cut would fall between the halves of the first emoji
    expect(clipStored('ab📚📚', 5)).toBe('ab📚…');
  });
});
