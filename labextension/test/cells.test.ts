import { describe, expect, it } from 'vitest';

import { insertionMode, openResultCode, pythonString, workbenchCode } from '../src/cells';

describe('pythonString', () => {
  it.each([
    ['policies.parquet', '"policies.parquet"'],
    ['azure://book/2026-Q1/policies.parquet', '"azure://book/2026-Q1/policies.parquet"'],
    ['C:\\data\\"q1".csv', '"C:\\\\data\\\\\\"q1\\".csv"'],
    ["it's", '"it\'s"'],
    ['a\nb\r\tc', '"a\\nb\\r\\tc"'],
    ['\u0000\u001b\u007f', '"\\x00\\x1b\\x7f"'],
    ['\u0085\u2028', '"\\u0085\\u2028"'],
    ['Zürich ünd 東京', '"Zürich ünd 東京"'],
    ['😀', '"😀"'],
    ['\ud800x', '"\\ud800x"'],
    ['x\udc00', '"x\\udc00"'],
    ['', '""']
  ])('%j -> %s', (text, literal) => {
    expect(pythonString(text)).toBe(literal);
  });

  it('never lets a quote or a newline end the literal', () => {
    const literal = pythonString('"))\nimport os; os.system("rm -rf /")  # ');
    expect(literal.split('\n')).toHaveLength(1);
    // Every double quote inside is escaped: only the first and the last are bare.
    const bare = literal.slice(1, -1).replace(/\\\\/g, '').match(/(?<!\\)"/g);
    expect(bare).toBeNull();
  });
});

describe('code cells', () => {
  it('opens a file, blob or bundled dataset in the workbench from its URI', () => {
    expect(workbenchCode({ id: 'blob:azure://book/2026/q1.parquet', uri: 'azure://book/2026/q1.parquet' })).toBe(
      'import livecalc_lab as lc\nwb = lc.Workbench(lc.open_dataset("azure://book/2026/q1.parquet"))\nwb'
    );
    expect(workbenchCode({ id: 'file:C:\\"x"', uri: 'C:\\"x"' })).toContain('lc.open_dataset("C:\\\\\\"x\\"")');
    expect(workbenchCode({ id: 'bundled:demo', uri: '/site/demo.csv' })).toContain('lc.open_dataset("/site/demo.csv")');
  });

  it('opens configured and Data API datasets through the catalog by id', () => {
    expect(workbenchCode({ id: 'config:book', uri: 'book' })).toBe(
      'import livecalc_lab as lc\nfrom livecalc_lab.catalog import find\nwb = lc.Workbench(find("config:book").open())\nwb'
    );
    expect(workbenchCode({ id: 'api:livecalc+https://h/datasets/b', uri: 'livecalc+https://h/datasets/b' })).toContain(
      'find("api:livecalc+https://h/datasets/b").open()'
    );
  });

  it('re-attaches to a job and shows its result', () => {
    expect(openResultCode('job-3f2a')).toBe('import livecalc_lab as lc\njob = lc.attach("job-3f2a")\njob.result()');
  });
});

describe('insertionMode', () => {
  it('fills an empty code cell and adds a cell below anything else', () => {
    expect(insertionMode({ type: 'code', source: '' })).toBe('replace');
    expect(insertionMode({ type: 'code', source: '  \n' })).toBe('replace');
    expect(insertionMode({ type: 'code', source: 'x = 1' })).toBe('below');
    expect(insertionMode({ type: 'markdown', source: '' })).toBe('below');
    expect(insertionMode(null)).toBe('below');
  });
});
