/**
 * The client of the server extension's routes (`livecalc_lab/lab/handlers.py`).
 *
 * Pure: it takes the server's base URL and a `fetch`-like function, so the
 * side panel hands it `ServerConnection.makeRequest` (which adds the token and
 * XSRF headers) and the unit tests hand it a fake.
 */

/** One dataset of the catalog, as `GET /livecalc/api/datasets` lists it. */
export interface IDatasetEntry {
  /** Catalog id (may contain `/` and `:`; the client URL-encodes it). */
  id: string;
  /** Display name. */
  name: string;
  /** The group the panel's tree shows it under (a configured source, a folder, a service). */
  group: string;
  /** Kind of source (`local`, `blob`, `dataLake`, `database`, `service`...). */
  kind: string;
  /** What `lc.open_dataset` takes to open it. */
  uri: string;
  [key: string]: unknown;
}

/** `GET /livecalc/api/datasets/{id}/metadata`. */
export interface IDatasetMetadata {
  id: string;
  name: string;
  uri: string;
  /** Rows stored (model points), before any filter. */
  rows: number;
  /** Stored size in bytes. */
  bytes: number;
  /** Column name -> data type as read. */
  columns: Record<string, string>;
  format: string;
  parts: number;
  /** Content version (hash, ETag or label); null when the source has none. */
  version: string | null;
  /** One line: how to run this dataset (preview, backend). */
  recommendation: string;
}

/** A job as `GET /livecalc/api/jobs` lists it. Times are seconds since the epoch (UTC). */
export interface IJob {
  id: string;
  /** `submitted`, `running`, `finished`, `failed` or `cancelled`. */
  state: string;
  backend: string | null;
  dataset: string;
  product: string;
  created: number | null;
  started: number | null;
  finished: number | null;
  chunks_done: number;
  chunks_total: number;
  rows_done: number;
  rows_total: number;
  fraction: number;
  /** Seconds since the job started (to its end when it has ended). */
  elapsed: number;
  /** Estimated seconds left while running; null when unknown. */
  eta: number | null;
  error: string | null;
}

/** The states after which a job no longer changes. */
export const TERMINAL_STATES: ReadonlySet<string> = new Set(['finished', 'failed', 'cancelled']);

/** A `fetch`-like function: `window.fetch`, or `ServerConnection.makeRequest` bound to its settings. */
export type Fetcher = (url: string, init?: RequestInit) => Promise<Response>;

/**
 * A request that failed: the server's message when it sent one.
 *
 * `status` is the HTTP status, or 0 when the server could not be reached or
 * its answer was not the JSON expected.
 */
export class LivecalcApiError extends Error {
  readonly status: number;
  readonly url: string;

  constructor(message: string, status: number, url: string) {
    super(message);
    this.name = 'LivecalcApiError';
    this.status = status;
    this.url = url;
  }
}

/** The routes' prefix below the server's base URL. */
export const API_PREFIX = 'livecalc/api';

/**
 * The URL of a route: `base` + `livecalc/api/` + the parts, each URL-encoded
 * (so an id holding `/`, `:`, `?`, `#` or a space stays one path segment).
 *
 * @param baseUrl - the Jupyter server's base URL (`PageConfig`'s `baseUrl`), with or without a trailing slash.
 * @param parts - path segments after the prefix.
 */
export function apiUrl(baseUrl: string, ...parts: string[]): string {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const tail = parts.map(p => encodeURIComponent(p)).join('/');
  return `${base}${API_PREFIX}${tail ? `/${tail}` : ''}`;
}

/** The client of the LiveCalc routes. Every method rejects with a {@link LivecalcApiError}. */
export class LivecalcApi {
  constructor(
    readonly baseUrl: string,
    private readonly fetcher: Fetcher
  ) {}

  /** The catalog's datasets, in the server's order. */
  async datasets(): Promise<IDatasetEntry[]> {
    const body = await this.request<{ datasets: IDatasetEntry[] }>('GET', ['datasets']);
    return expectArray(body.datasets, 'datasets', apiUrl(this.baseUrl, 'datasets'));
  }

  /** A dataset's metadata (the server may take a while on a big CSV's first look). */
  metadata(id: string): Promise<IDatasetMetadata> {
    return this.request<IDatasetMetadata>('GET', ['datasets', id, 'metadata']);
  }

  /** Every job on record, newest first. */
  async jobs(): Promise<IJob[]> {
    const body = await this.request<{ jobs: IJob[] }>('GET', ['jobs']);
    return expectArray(body.jobs, 'jobs', apiUrl(this.baseUrl, 'jobs'));
  }

  /** One job. */
  job(id: string): Promise<IJob> {
    return this.request<IJob>('GET', ['jobs', id]);
  }

  /** Ask a job to stop; resolves with its state after the request. */
  cancel(id: string): Promise<IJob> {
    return this.request<IJob>('POST', ['jobs', id, 'cancel']);
  }

  private async request<T>(method: string, parts: string[]): Promise<T> {
    const url = apiUrl(this.baseUrl, ...parts);
    let response: Response;
    try {
      response = await this.fetcher(url, { method });
    } catch (err) {
      throw new LivecalcApiError(`cannot reach the Jupyter server (${describe(err)})`, 0, url);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (err) {
      throw new LivecalcApiError(`the answer to ${method} ${url} could not be read (${describe(err)})`, 0, url);
    }
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
    }
    if (!response.ok) {
      const message = serverMessage(body) ?? `${method} ${url} failed: HTTP ${response.status} ${response.statusText}`.trim();
      throw new LivecalcApiError(message, response.status, url);
    }
    if (body === undefined || body === null || typeof body !== 'object') {
      throw new LivecalcApiError(`${method} ${url}: the server did not answer with a JSON object`, 0, url);
    }
    return body as T;
  }
}

function serverMessage(body: unknown): string | undefined {
  if (body && typeof body === 'object' && 'message' in body) {
    const m = (body as { message: unknown }).message;
    if (typeof m === 'string' && m) {
      return m;
    }
  }
  return undefined;
}

function expectArray<T>(value: T[] | undefined, key: string, url: string): T[] {
  if (!Array.isArray(value)) {
    throw new LivecalcApiError(`${url}: expected a list under "${key}"`, 0, url);
  }
  return value;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
