/**
 * livecalc-lab: the LiveCalc side panel for JupyterLab.
 *
 * A panel in the left area (icon, caption "LiveCalc") lists the datasets of
 * the LiveCalc catalog grouped by source (metadata on click, "Open in
 * workbench" inserts a code cell into the active notebook) and the jobs on
 * record with live progress ("Open result", "Cancel"). It talks to the server
 * extension's routes under `/livecalc/api/` (`livecalc_lab/lab/handlers.py`);
 * inserting code needs no kernel.
 *
 * Stable hooks for browser tests (`data-testid` unless said otherwise):
 *
 *   livecalc-panel                   the panel's root; `data-polling` is "on" while jobs are polled
 *   livecalc-refresh                 the Refresh button
 *   livecalc-error                   the error line (hidden when there is no error)
 *   livecalc-datasets                the dataset tree (ul)
 *   livecalc-dataset-group           a group of the tree; `data-group` holds its name
 *   livecalc-dataset-item            a dataset; `data-dataset-id` holds its catalog id;
 *                                    class `jp-mod-selected` when clicked
 *   livecalc-dataset-metadata        the metadata box; `data-state` loading|ready|error, `data-dataset-id`;
 *                                    its table rows carry `data-field` rows|size|columns|version|format
 *   livecalc-dataset-recommendation  the recommendation line
 *   livecalc-open-workbench          the "Open in workbench" button
 *   livecalc-jobs                    the jobs list (ul)
 *   livecalc-job-item                a job; `data-job-id`, `data-state`
 *   livecalc-job-state               its state
 *   livecalc-job-progress            "1.34M / 2M policies, 67%"
 *   livecalc-job-meta                backend · started · elapsed · ETA
 *   livecalc-job-open                the "Open result" button
 *   livecalc-job-cancel              the "Cancel" button (disabled once the job has ended)
 *
 * The side-panel tab has the DOM id `livecalc-lab-panel` (click `[data-id="livecalc-lab-panel"]`
 * in the left tab bar, or run the command `livecalc:open-panel`).
 */

import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { ServerConnection } from '@jupyterlab/services';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { LabIcon } from '@jupyterlab/ui-components';

import { LivecalcApi } from './api';
import { insertionMode } from './cells';
import { LivecalcPanel } from './panel';
import { readSettings } from './settings';

export * from './api';
export * from './cells';
export * from './format';
export * from './settings';
export * from './tree';

const PLUGIN_ID = 'livecalc-lab:plugin';
const OPEN_COMMAND = 'livecalc:open-panel';

const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <rect x="3" y="13" width="4" height="8" rx="1"/>
    <rect x="10" y="8" width="4" height="13" rx="1"/>
    <rect x="17" y="3" width="4" height="18" rx="1"/>
  </g>
</svg>`;

/** The panel's icon in the left tab bar. */
export const livecalcIcon = new LabIcon({ name: 'livecalc-lab:icon', svgstr: ICON_SVG });

async function insertIntoNotebook(app: JupyterFrontEnd, tracker: INotebookTracker, code: string): Promise<void> {
  let panel: NotebookPanel | null = tracker.currentWidget;
  if (!panel) {
    panel = (await app.commands.execute('notebook:create-new')) as NotebookPanel;
  }
  await panel.context.ready;
  app.shell.activateById(panel.id);
  const notebook = panel.content;
  const active = notebook.activeCell;
  const mode = insertionMode(active ? { type: active.model.type, source: active.model.sharedModel.getSource() } : null);
  if (mode === 'below') {
    NotebookActions.insertBelow(notebook);
  }
  if (notebook.activeCell && notebook.activeCell.model.type !== 'code') {
    NotebookActions.changeCellType(notebook, 'code');
  }
  const cell = notebook.activeCell;
  if (!cell) {
    throw new Error('the notebook has no cell to put the code in');
  }
  cell.model.sharedModel.setSource(code);
  await notebook.scrollToCell(cell);
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'LiveCalc side panel: datasets with their metadata, and jobs with live progress.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ISettingRegistry, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    settingRegistry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null
  ): void => {
    const serverSettings = ServerConnection.makeSettings();
    const api = new LivecalcApi(serverSettings.baseUrl, (url, init) =>
      ServerConnection.makeRequest(url, init ?? {}, serverSettings)
    );
    const panel = new LivecalcPanel({
      api,
      insertCode: code => insertIntoNotebook(app, tracker, code),
      confirm: async (title, body) => {
        const result = await showDialog({
          title,
          body,
          buttons: [Dialog.cancelButton({ label: 'Keep running' }), Dialog.warnButton({ label: 'Cancel job' })]
        });
        return result.button.accept;
      }
    });
    panel.title.icon = livecalcIcon;
    app.shell.add(panel, 'left', { rank: 600 });
    if (restorer) {
      restorer.add(panel, 'livecalc-lab-panel');
    }

    app.commands.addCommand(OPEN_COMMAND, {
      label: 'Open the LiveCalc panel',
      caption: 'LiveCalc: datasets and jobs',
      execute: () => app.shell.activateById(panel.id)
    });

    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          const apply = (): void => panel.configure(readSettings(settings.composite));
          apply();
          settings.changed.connect(apply);
        })
        .catch(reason => console.error('livecalc-lab: settings could not be loaded', reason));
    }
  }
};

export default plugin;
