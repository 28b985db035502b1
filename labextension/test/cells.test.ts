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
  it('opens a dataset in the workbench', () => {
    expect(workbenchCode('postgresql://db/book?table=policies')).toBe(
      'import livecalc_lab as lc\nwb = lc.Workbench(lc.open_dataset("postgresql://db/book?table=policies"))\nwb'
    );
  });

  it('quotes a path with quotes and backslashes', () => {
    expect(workbenchCode('C:\\"x"')).toContain('lc.open_dataset("C:\\\\\\"x\\"")');
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
