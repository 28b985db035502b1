/**
 * The dataset tree of the side panel: catalog entries grouped by their source.
 *
 * Pure: unit-tested in `test/tree.test.ts`.
 */

import type { IDatasetEntry } from './api';

/** One group of the tree (a configured source, a catalog folder, a Data API service...). */
export interface IDatasetGroup {
  /** The group's name as shown; entries without a group are under {@link UNGROUPED}. */
  name: string;
  entries: IDatasetEntry[];
}

/** The heading of entries whose `group` is empty. */
export const UNGROUPED = 'Datasets';

/**
 * Group catalog entries by `group`.
 *
 * Groups keep the order in which the server first lists them (it lists the
 * configured `[datasets]` first, then each catalog source); inside a group
 * entries are sorted by name, then id, case-insensitively, so a folder of
 * files reads alphabetically whatever order the storage listed it in.
 *
 * @throws Error when two entries share an id (the tree keys items by id).
 */
export function groupDatasets(entries: readonly IDatasetEntry[]): IDatasetGroup[] {
  const groups = new Map<string, IDatasetEntry[]>();
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry.id)) {
      throw new Error(`dataset id ${JSON.stringify(entry.id)} is listed twice`);
    }
    seen.add(entry.id);
    const name = entry.group && entry.group.trim() ? entry.group : UNGROUPED;
    let list = groups.get(name);
    if (!list) {
      list = [];
      groups.set(name, list);
    }
    list.push(entry);
  }
  const byName = (a: IDatasetEntry, b: IDatasetEntry): number =>
    compareText(a.name, b.name) || compareText(a.id, b.id);
  return Array.from(groups, ([name, list]) => ({ name, entries: [...list].sort(byName) }));
}

function compareText(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x !== y) {
    return x < y ? -1 : 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
