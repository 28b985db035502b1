import { describe, expect, it } from 'vitest';

import { apiUrl, Fetcher, LivecalcApi, LivecalcApiError } from '../src/api';

interface ICall {
  url: string;
  method: string | undefined;
}

/** A fetch that answers from a table of (method, url) -> response, and records the calls. */
function fakeFetch(routes: Record<string, () => Response | Promise<Response>>): { fetcher: Fetcher; calls: ICall[] } {
  const calls: ICall[] = [];
  const fetcher: Fetcher = async (url, init) => {
    calls.push({ url, method: init?.method });
    const route = routes[`${init?.method ?? 'GET'} ${url}`];
    if (!route) {
      return new Response(JSON.stringify({ message: `no route ${url}` }), { status: 404 });
    }
    return route();
  };
  return { fetcher, calls };
}

const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

describe('apiUrl', () => {
  it('joins the base URL and the prefix with one slash', () => {
    expect(apiUrl('/', 'datasets')).toBe('/livecalc/api/datasets');
    expect(apiUrl('/user/ann/', 'jobs')).toBe('/user/ann/livecalc/api/jobs');
    expect(apiUrl('http://127.0.0.1:8888/lab-base', 'jobs')).toBe('http://127.0.0.1:8888/lab-base/livecalc/api/jobs');
    expect(apiUrl('/')).toBe('/livecalc/api');
  });

  it('keeps an id holding slashes, colons and spaces in one segment', () => {
    expect(apiUrl('/', 'datasets', 'folder:/data/q 1#x?.csv', 'metadata')).toBe(
      '/livecalc/api/datasets/folder%3A%2Fdata%2Fq%201%23x%3F.csv/metadata'
    );
    expect(decodeURIComponent('folder%3A%2Fdata%2Fq%201%23x%3F.csv')).toBe('folder:/data/q 1#x?.csv');
  });
});

describe('LivecalcApi', () => {
  it('lists datasets and jobs', async () => {
    const { fetcher, calls } = fakeFetch({
      'GET /base/livecalc/api/datasets': () => json({ datasets: [{ id: 'demo', name: 'demo', group: 'g', kind: 'local', uri: '/d.csv' }] }),
      'GET /base/livecalc/api/jobs': () => json({ jobs: [] })
    });
    const api = new LivecalcApi('/base/', fetcher);
    expect((await api.datasets()).map(d => d.id)).toEqual(['demo']);
    expect(await api.jobs()).toEqual([]);
    expect(calls).toEqual([
      { url: '/base/livecalc/api/datasets', method: 'GET' },
      { url: '/base/livecalc/api/jobs', method: 'GET' }
    ]);
  });

  it('asks for metadata by the encoded id and cancels with POST', async () => {
    const { fetcher, calls } = fakeFetch({
      'GET /livecalc/api/datasets/a%2Fb%3Ac/metadata': () => json({ id: 'a/b:c', rows: 3 }),
      'POST /livecalc/api/jobs/j1/cancel': () => json({ id: 'j1', state: 'cancelled' })
    });
    const api = new LivecalcApi('/', fetcher);
    expect((await api.metadata('a/b:c')).rows).toBe(3);
    expect((await api.cancel('j1')).state).toBe('cancelled');
    expect(calls.map(c => c.method)).toEqual(['GET', 'POST']);
  });

  it("turns an error answer into an error carrying the server's message and status", async () => {
    const { fetcher } = fakeFetch({
      'GET /livecalc/api/jobs/nope': () => json({ message: "no job 'nope'" }, 404)
    });
    const err = await new LivecalcApi('/', fetcher).job('nope').catch(e => e);
    expect(err).toBeInstanceOf(LivecalcApiError);
    expect(err.message).toBe("no job 'nope'");
    expect(err.status).toBe(404);
    expect(err.url).toBe('/livecalc/api/jobs/nope');
  });

  it('says what failed when the error answer is not JSON', async () => {
    const { fetcher } = fakeFetch({
      'GET /livecalc/api/jobs': () => new Response('<html>Forbidden</html>', { status: 403, statusText: 'Forbidden' })
    });
    const err = await new LivecalcApi('/', fetcher).jobs().catch(e => e);
    expect(err.status).toBe(403);
    expect(err.message).toBe('GET /livecalc/api/jobs failed: HTTP 403 Forbidden');
  });

  it('reports a server that cannot be reached with status 0', async () => {
    const fetcher: Fetcher = async () => {
      throw new TypeError('Failed to fetch');
    };
    const err = await new LivecalcApi('/', fetcher).datasets().catch(e => e);
    expect(err).toBeInstanceOf(LivecalcApiError);
    expect(err.status).toBe(0);
    expect(err.message).toContain('Failed to fetch');
  });

  it('refuses a successful answer that is not the JSON expected', async () => {
    const { fetcher } = fakeFetch({
      'GET /livecalc/api/datasets': () => new Response('not json', { status: 200 }),
      'GET /livecalc/api/jobs': () => json({ jobs: 'none' })
    });
    const api = new LivecalcApi('/', fetcher);
    await expect(api.datasets()).rejects.toThrow(/did not answer with a JSON object/);
    await expect(api.jobs()).rejects.toThrow(/expected a list under "jobs"/);
  });
});
