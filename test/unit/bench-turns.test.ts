// The bench's order of contestants per round (bench/results.ts inTurn): each round starts one further
// along, so the drift of a machine's state during a section is not charged to the same contestant.
import { describe, expect, it } from 'vitest';
import { inTurn } from '../../bench/results.js';

describe('bench rounds', () => {
  it('start one contestant further along each round, all contestants every round', () => {
    const list = ['lifeboat', 'lifeboat-zstd', 'by-hand'];
    expect([1, 2, 3, 4].map((round) => inTurn(list, round))).toEqual([
      ['lifeboat', 'lifeboat-zstd', 'by-hand'],
      ['lifeboat-zstd', 'by-hand', 'lifeboat'],
      ['by-hand', 'lifeboat', 'lifeboat-zstd'],
      ['lifeboat', 'lifeboat-zstd', 'by-hand'],
    ]);
    expect(inTurn([], 2)).toEqual([]);
  });
});
