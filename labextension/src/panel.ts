/**
 * The LiveCalc side panel: the dataset tree with metadata, and the jobs list.
 *
 * Plain DOM inside a Lumino widget (no React). Its `data-testid`s are listed
 * at the top of `index.ts`. Jobs are polled only while the panel is visible.
 */

import { Widget } from '@lumino/widgets';
import type { Message } from '@lumino/messaging';

import { IDatasetEntry, IDatasetMetadata, IJob, LivecalcApi, TERMINAL_STATES } from './api';
import { openResultCode, workbenchCode } from './cells';
import { formatBytes, formatDuration, formatInteger, formatProgress, formatStarted, progressFraction } from './format';
import { Poller } from './poller';
import { DEFAULT_SETTINGS, IPanelSettings } from './settings';
import { groupDatasets } from './tree';

/** What the panel needs from the application, handed in by the plugin. */
export interface IPanelHost {
  api: LivecalcApi;
  /** Put code into a notebook cell (the active notebook, or a new one). */
  insertCode(code: string): Promise<void>;
  /** Ask the user a yes/no question. */
  confirm(title: string, body: string): Promise<boolean>;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') {
      node.className = v;
    } else {
      node.setAttribute(k, v);
    }
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

export class LivecalcPanel extends Widget {
  private readonly host: IPanelHost;
  private settings: IPanelSettings = { ...DEFAULT_SETTINGS };
  private readonly poller: Poller;
  private readonly errorBox: HTMLElement;
  private readonly tree: HTMLElement;
  private readonly details: HTMLElement;
  private readonly jobList: HTMLElement;
  private readonly jobsEmpty: HTMLElement;
  private readonly jobNodes = new Map<string, HTMLElement>();
  private datasetsLoaded = false;
  private selected: IDatasetEntry | null = null;
  private metadataRequest = 0;

  constructor(host: IPanelHost) {
    super();
    this.host = host;
    this.id = 'livecalc-lab-panel';
    this.addClass('jp-LivecalcPanel');
    this.node.dataset.testid = 'livecalc-panel';
    this.node.dataset.polling = 'off';
    this.title.caption = 'LiveCalc';

    const header = el('div', { class: 'jp-LivecalcPanel-header' });
    header.appendChild(el('h2', { class: 'jp-LivecalcPanel-title' }, 'LiveCalc'));
    const refresh = el('button', { class: 'jp-LivecalcPanel-button', 'data-testid': 'livecalc-refresh', title: 'Refresh datasets and jobs' }, 'Refresh');
    refresh.addEventListener('click', () => void this.refresh());
    header.appendChild(refresh);
    this.node.appendChild(header);

    this.errorBox = el('div', { class: 'jp-LivecalcPanel-error', 'data-testid': 'livecalc-error', role: 'alert' });
    this.errorBox.hidden = true;
    this.node.appendChild(this.errorBox);

    const dsSection = el('section', { class: 'jp-LivecalcPanel-section' });
    dsSection.appendChild(el('h3', { class: 'jp-LivecalcPanel-sectionTitle' }, 'Datasets'));
    this.tree = el('ul', { class: 'jp-LivecalcPanel-tree', 'data-testid': 'livecalc-datasets', role: 'tree' });
    dsSection.appendChild(this.tree);
    this.details = el('div', { class: 'jp-LivecalcPanel-details', 'data-testid': 'livecalc-dataset-metadata' });
    this.details.hidden = true;
    dsSection.appendChild(this.details);
    this.node.appendChild(dsSection);

    const jobSection = el('section', { class: 'jp-LivecalcPanel-section' });
    jobSection.appendChild(el('h3', { class: 'jp-LivecalcPanel-sectionTitle' }, 'Jobs'));
    this.jobList = el('ul', { class: 'jp-LivecalcPanel-jobs', 'data-testid': 'livecalc-jobs' });
    jobSection.appendChild(this.jobList);
    this.jobsEmpty = el('p', { class: 'jp-LivecalcPanel-empty' }, 'No jobs yet: lc.submit(...) starts one.');
    jobSection.appendChild(this.jobsEmpty);
    this.node.appendChild(jobSection);

    this.poller = new Poller(() => this.loadJobs(), this.settings.refreshInterval * 1000, err => this.showError(err));
  }

  /** Apply new settings (the polling interval takes effect at the next poll). */
  configure(settings: IPanelSettings): void {
    this.settings = { ...settings };
    this.poller.interval = settings.refreshInterval * 1000;
  }

  /** Reload the dataset tree and the jobs list now. */
  async refresh(): Promise<void> {
    await Promise.all([this.loadDatasets(), this.poller.isActive ? this.poller.refresh() : this.loadJobs()]);
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this.isVisible) {
      this.startPolling();
    }
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.startPolling();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.stopPolling();
  }

  protected onBeforeDetach(msg: Message): void {
    this.stopPolling();
    super.onBeforeDetach(msg);
  }

  dispose(): void {
    this.stopPolling();
    super.dispose();
  }

  private startPolling(): void {
    if (!this.datasetsLoaded) {
      void this.loadDatasets();
    }
    this.poller.start();
    this.node.dataset.polling = 'on';
  }

  private stopPolling(): void {
    this.poller.stop();
    this.node.dataset.polling = 'off';
  }

  private showError(err: unknown): void {
    this.errorBox.textContent = err instanceof Error ? err.message : String(err);
    this.errorBox.hidden = false;
  }

  private clearError(): void {
    this.errorBox.hidden = true;
    this.errorBox.textContent = '';
  }

  // ---- datasets ---------------------------------------------------------------------------

  private async loadDatasets(): Promise<void> {
    let entries: IDatasetEntry[];
    try {
      entries = await this.host.api.datasets();
    } catch (err) {
      this.showError(err);
      return;
    }
    this.datasetsLoaded = true;
    this.renderTree(entries);
  }

  private renderTree(entries: IDatasetEntry[]): void {
    this.tree.textContent = '';
    if (entries.length === 0) {
      this.tree.appendChild(
        el('li', { class: 'jp-LivecalcPanel-empty' }, 'No datasets: add [datasets] or [catalog] to $LIVECALC_HOME/config.toml.')
      );
      return;
    }
    for (const group of groupDatasets(entries)) {
      const node = el('li', { class: 'jp-LivecalcPanel-group', 'data-testid': 'livecalc-dataset-group', role: 'treeitem', 'aria-expanded': 'true' });
      node.dataset.group = group.name;
      node.appendChild(el('div', { class: 'jp-LivecalcPanel-groupName' }, group.name));
      const list = el('ul', { class: 'jp-LivecalcPanel-groupItems', role: 'group' });
      for (const entry of group.entries) {
        const item = el('li', { class: 'jp-LivecalcPanel-dataset', 'data-testid': 'livecalc-dataset-item', role: 'treeitem', tabindex: '0', title: entry.uri });
        item.dataset.datasetId = entry.id;
        item.appendChild(el('span', { class: 'jp-LivecalcPanel-datasetName' }, entry.name));
        item.appendChild(el('span', { class: 'jp-LivecalcPanel-kind' }, entry.kind));
        if (this.selected?.id === entry.id) {
          item.classList.add('jp-mod-selected');
        }
        item.addEventListener('click', () => void this.select(entry, item));
        item.addEventListener('keydown', ev => {
          if (ev.key === 'Enter' || ev.key === ' ') {
            ev.preventDefault();
            void this.select(entry, item);
          }
        });
        list.appendChild(item);
      }
      node.appendChild(list);
      this.tree.appendChild(node);
    }
  }

  private async select(entry: IDatasetEntry, item: HTMLElement): Promise<void> {
    this.selected = entry;
    for (const other of Array.from(this.tree.querySelectorAll('.jp-LivecalcPanel-dataset.jp-mod-selected'))) {
      other.classList.remove('jp-mod-selected');
    }
    item.classList.add('jp-mod-selected');
    const ticket = ++this.metadataRequest;
    this.details.hidden = false;
    this.details.dataset.state = 'loading';
    this.details.dataset.datasetId = entry.id;
    this.details.textContent = '';
    this.details.appendChild(el('div', { class: 'jp-LivecalcPanel-detailsTitle' }, entry.name));
    this.details.appendChild(el('p', { class: 'jp-LivecalcPanel-loading' }, 'Reading metadata…'));
    let meta: IDatasetMetadata;
    try {
      meta = await this.host.api.metadata(entry.id);
    } catch (err) {
      if (ticket === this.metadataRequest) {
        this.details.dataset.state = 'error';
        this.details.lastElementChild!.textContent = err instanceof Error ? err.message : String(err);
        this.details.lastElementChild!.className = 'jp-LivecalcPanel-error';
      }
      return;
    }
    if (ticket !== this.metadataRequest) {
      return; // the user clicked another dataset meanwhile
    }
    this.renderMetadata(entry, meta);
  }

  private renderMetadata(entry: IDatasetEntry, meta: IDatasetMetadata): void {
    this.details.textContent = '';
    this.details.dataset.state = 'ready';
    this.details.appendChild(el('div', { class: 'jp-LivecalcPanel-detailsTitle' }, entry.name));
    const columns = Object.entries(meta.columns);
    const rows: Array<[string, string, string]> = [
      ['rows', 'Rows', formatInteger(meta.rows)],
      ['size', 'Size', formatBytes(meta.bytes)],
      ['columns', 'Columns', `${columns.length}: ${columns.map(([name]) => name).join(', ')}`],
      ['version', 'Version', meta.version ?? '—'],
      ['format', 'Format', meta.parts > 1 ? `${meta.format}, ${meta.parts} parts` : meta.format]
    ];
    const table = el('table', { class: 'jp-LivecalcPanel-metadata' });
    for (const [key, label, value] of rows) {
      const tr = el('tr', { 'data-field': key });
      tr.appendChild(el('th', {}, label));
      const td = el('td', {}, value);
      if (key === 'columns') {
        td.title = columns.map(([name, type]) => `${name}: ${type}`).join('\n');
      }
      tr.appendChild(td);
      table.appendChild(tr);
    }
    this.details.appendChild(table);
    this.details.appendChild(
      el('p', { class: 'jp-LivecalcPanel-recommendation', 'data-testid': 'livecalc-dataset-recommendation' }, meta.recommendation)
    );
    const open = el('button', { class: 'jp-LivecalcPanel-button jp-mod-accept', 'data-testid': 'livecalc-open-workbench' }, 'Open in workbench');
    open.addEventListener('click', () => void this.insert(workbenchCode(entry)));
    this.details.appendChild(open);
  }

  private async insert(code: string): Promise<void> {
    try {
      await this.host.insertCode(code);
    } catch (err) {
      this.showError(err);
    }
  }

  // ---- jobs -------------------------------------------------------------------------------

  private async loadJobs(): Promise<void> {
    const jobs = await this.host.api.jobs();
    this.clearError();
    this.renderJobs(jobs.slice(0, Math.max(this.settings.maxJobs, 1)));
  }

  private renderJobs(jobs: IJob[]): void {
    const keep = new Set(jobs.map(j => j.id));
    for (const [id, node] of this.jobNodes) {
      if (!keep.has(id)) {
        node.remove();
        this.jobNodes.delete(id);
      }
    }
    for (const job of jobs) {
      let node = this.jobNodes.get(job.id);
      if (!node) {
        node = this.createJobNode(job.id);
        this.jobNodes.set(job.id, node);
      }
      this.updateJobNode(node, job);
      this.jobList.appendChild(node); // moves it into the server's order
    }
    this.jobsEmpty.hidden = jobs.length > 0;
  }

  private createJobNode(id: string): HTMLElement {
    const node = el('li', { class: 'jp-LivecalcPanel-job', 'data-testid': 'livecalc-job-item' });
    node.dataset.jobId = id;
    const top = el('div', { class: 'jp-LivecalcPanel-jobTop' });
    top.appendChild(el('span', { class: 'jp-LivecalcPanel-jobId', title: id }, id));
    top.appendChild(el('span', { class: 'jp-LivecalcPanel-state', 'data-testid': 'livecalc-job-state' }));
    node.appendChild(top);
    node.appendChild(el('div', { class: 'jp-LivecalcPanel-jobDataset' }));
    const bar = el('div', { class: 'jp-LivecalcPanel-bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100' });
    bar.appendChild(el('div', { class: 'jp-LivecalcPanel-barFill' }));
    node.appendChild(bar);
    node.appendChild(el('div', { class: 'jp-LivecalcPanel-progress', 'data-testid': 'livecalc-job-progress' }));
    node.appendChild(el('div', { class: 'jp-LivecalcPanel-jobMeta', 'data-testid': 'livecalc-job-meta' }));
    const actions = el('div', { class: 'jp-LivecalcPanel-actions' });
    const open = el('button', { class: 'jp-LivecalcPanel-button', 'data-testid': 'livecalc-job-open' }, 'Open result');
    open.addEventListener('click', () => void this.insert(openResultCode(id)));
    const cancel = el('button', { class: 'jp-LivecalcPanel-button jp-mod-warn', 'data-testid': 'livecalc-job-cancel' }, 'Cancel');
    cancel.addEventListener('click', () => void this.cancel(id, cancel));
    actions.appendChild(open);
    actions.appendChild(cancel);
    node.appendChild(actions);
    return node;
  }

  private updateJobNode(node: HTMLElement, job: IJob): void {
    node.dataset.state = job.state;
    const state = node.querySelector('.jp-LivecalcPanel-state') as HTMLElement;
    state.textContent = job.state;
    state.className = `jp-LivecalcPanel-state jp-LivecalcPanel-state-${job.state}`;
    const dataset = node.querySelector('.jp-LivecalcPanel-jobDataset') as HTMLElement;
    dataset.textContent = `${job.dataset} · ${job.product}`;
    dataset.title = dataset.textContent;
    const pct = Math.floor(progressFraction(job) * 100 + 1e-9);
    const bar = node.querySelector('.jp-LivecalcPanel-bar') as HTMLElement;
    bar.setAttribute('aria-valuenow', String(pct));
    (bar.firstElementChild as HTMLElement).style.width = `${pct}%`;
    (node.querySelector('.jp-LivecalcPanel-progress') as HTMLElement).textContent = formatProgress(job);
    const meta = [`${job.backend ?? 'unknown backend'}`, `started ${formatStarted(job.started)}`, formatDuration(job.elapsed)];
    if (job.state === 'running' && job.eta !== null) {
      meta.push(`ETA ${formatDuration(job.eta)}`);
    }
    const metaNode = node.querySelector('.jp-LivecalcPanel-jobMeta') as HTMLElement;
    metaNode.textContent = meta.join(' · ');
    metaNode.title = job.error ?? '';
    const terminal = TERMINAL_STATES.has(job.state);
    (node.querySelector('[data-testid="livecalc-job-cancel"]') as HTMLButtonElement).disabled = terminal;
    (node.querySelector('[data-testid="livecalc-job-open"]') as HTMLButtonElement).disabled = job.state === 'cancelled';
  }

  private async cancel(id: string, button: HTMLButtonElement): Promise<void> {
    if (this.settings.confirmCancel) {
      const ok = await this.host.confirm('Cancel job', `Stop job ${id}? Chunks already valued are kept.`);
      if (!ok) {
        return;
      }
    }
    button.disabled = true;
    try {
      const job = await this.host.api.cancel(id);
      const node = this.jobNodes.get(id);
      if (node) {
        this.updateJobNode(node, job);
      }
    } catch (err) {
      button.disabled = false;
      this.showError(err);
    }
  }
}
