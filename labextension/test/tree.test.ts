import { describe, expect, it } from 'vitest';

import type { IDatasetEntry } from '../src/api';
import { groupDatasets, UNGROUPED } from '../src/tree';

const entry = (id: string, name: string, group: string): IDatasetEntry => ({ id, name, group, kind: 'local', uri: `/data/${id}` });

describe('groupDatasets', () => {
  it('keeps the groups in the order the server lists them and sorts entries by name', () => {
    const groups = groupDatasets([
      entry('book', 'UK book', 'config.toml'),
      entry('folder:/data/q2.parquet', 'q2.parquet', '/data'),
      entry('demo', 'demo', 'config.toml'),
      entry('folder:/data/Q1.parquet', 'Q1.parquet', '/data')
    ]);
    expect(groups.map(g => g.name)).toEqual(['config.toml', '/data']);
    expect(groups[0].entries.map(e => e.id)).toEqual(['demo', 'book']);
    expect(groups[1].entries.map(e => e.name)).toEqual(['Q1.parquet', 'q2.parquet']);
  });

  it('puts entries without a group under one heading', () => {
    const groups = groupDatasets([entry('a', 'a', ''), entry('b', 'b', '  ')]);
    expect(groups).toHaveLength(1);
    expect(groups[0].name).toBe(UNGROUPED);
    expect(groups[0].entries).toHaveLength(2);
  });

  it('breaks ties between equal names by id', () => {
    const groups = groupDatasets([entry('x:2', 'same', 'g'), entry('x:1', 'same', 'g')]);
    expect(groups[0].entries.map(e => e.id)).toEqual(['x:1', 'x:2']);
  });

  it('is empty for no entries and does not change its input', () => {
    expect(groupDatasets([])).toEqual([]);
    const input = [entry('b', 'b', 'g'), entry('a', 'a', 'g')];
    groupDatasets(input);
    expect(input.map(e => e.id)).toEqual(['b', 'a']);
  });

  it('refuses a duplicate id', () => {
    expect(() => groupDatasets([entry('a', 'a', 'g'), entry('a', 'other', 'h')])).toThrow(/listed twice/);
  });
});
