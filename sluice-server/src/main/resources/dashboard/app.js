// The Sluice dashboard: a single page app with hash routes.
//   #/                 the pipeline as a graph (sources → streams → views → sinks), live stats
//   #/view/<name>?f=v  a view: live chart and table of the latest windows, lag, latency, stale marker
//   #/stream/<name>    a stream: schema, recent events, dead letters
//   #/table/<name>     a table: the latest row per key
// Plain ES modules, no build step; Chart.js is loaded as a classic script (window.Chart).

import { el, every, fmtCount, getJson, setChildren } from './util.js';
import { renderGraph } from './graph.js';
import { renderView } from './view.js';
import { renderStream } from './stream.js';
import { renderTable } from './table.js';

const STATS_EVERY_MS = 1000;

/** Pipeline metadata: GET /v1/streams, /v1/views and /v1/tables (fixed while the pipeline runs). */
const meta = { streams: [], views: [], tables: [], error: null };

/** GET /v1/stats every second, shared by the header and the current page. */
const stats = {
  latest: null,
  error: null,
  listeners: new Set(),
  subscribe(fn) {
    this.listeners.add(fn);
    if (this.latest || this.error) fn(this.latest, this.error);
    return () => this.listeners.delete(fn);
  },
  publish() {
    for (const fn of this.listeners) {
      try {
        fn(this.latest, this.error);
      } catch (e) {
        console.error(e);
      }
    }
  },
};

let current = null; // the page on screen: { dispose() }

async function loadMeta() {
  try {
    const [streams, views, tables] = await Promise.all([
      getJson('/v1/streams'),
      getJson('/v1/views'),
      getJson('/v1/tables').catch(() => []), // a server without the live parts serves no tables
    ]);
    meta.streams = Array.isArray(streams) ? streams : Object.values(streams || {});
    meta.views = Array.isArray(views) ? views : Object.values(views || {});
    meta.tables = Array.isArray(tables) ? tables : [];
    meta.error = null;
  } catch (e) {
    meta.error = e;
  }
}

function renderNav() {
  const nav = document.getElementById('nav');
  const link = (href, text) => el('a', { href, class: location.hash === href ? 'active' : null }, text);
  setChildren(
    nav,
    link('#/', 'Pipeline'),
    meta.views.length ? el('span', { class: 'nav-group' }, 'Views:', meta.views.map((v) => link(`#/view/${encodeURIComponent(v.name)}`, v.name))) : null,
    meta.streams.length
      ? el('span', { class: 'nav-group' }, 'Streams:', meta.streams.map((s) => link(`#/stream/${encodeURIComponent(s.name)}`, s.name)))
      : null,
    meta.tables.length
      ? el('span', { class: 'nav-group' }, 'Tables:', meta.tables.map((t) => link(`#/table/${encodeURIComponent(t.name)}`, t.name)))
      : null,
  );
}

function renderHeader(s) {
  const state = document.getElementById('processor-state');
  const clients = document.getElementById('live-clients');
  if (!s) {
    state.textContent = 'processor: ?';
    state.className = 'pill';
    clients.textContent = '';
    return;
  }
  if (s.pipeline) {
    document.getElementById('pipeline-name').textContent = s.pipeline;
  }
  const p = String(s.processor ?? '?');
  state.textContent = `processor: ${p}`;
  state.className = `pill ${p === 'running' ? 'ok' : p === 'paused' ? 'warn' : 'bad'}`;
  const dropped = s.live_clients_dropped ? `, ${fmtCount(s.live_clients_dropped)} dropped` : '';
  clients.textContent = s.live_clients !== undefined ? `${fmtCount(s.live_clients)} live clients${dropped}` : '';
}

/** Parses "#/view/gmv_by_country?country=DE" into { kind, name, params }. */
export function parseRoute(hash) {
  const h = (hash || '').replace(/^#/, '') || '/';
  const [path, query] = h.split('?', 2);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = Object.fromEntries(new URLSearchParams(query || ''));
  if (parts[0] === 'view' && parts[1]) return { kind: 'view', name: parts[1], params };
  if (parts[0] === 'stream' && parts[1]) return { kind: 'stream', name: parts[1], params };
  if (parts[0] === 'table' && parts[1]) return { kind: 'table', name: parts[1], params };
  return { kind: 'graph', params };
}

/** What a page gets: metadata, the stats feed, and a place to register cleanup. */
function pageContext() {
  const disposers = [];
  const controller = new AbortController();
  return {
    meta,
    signal: controller.signal,
    onStats(fn) {
      disposers.push(stats.subscribe(fn));
    },
    onDispose(fn) {
      disposers.push(fn);
    },
    dispose() {
      controller.abort();
      for (const d of disposers.splice(0)) {
        try {
          d();
        } catch (e) {
          console.error(e);
        }
      }
    },
  };
}

function route() {
  if (current) current.dispose();
  const root = document.getElementById('app');
  root.replaceChildren();
  const r = parseRoute(location.hash);
  const ctx = pageContext();
  current = ctx;
  renderNav();
  if (meta.error) {
    root.append(el('p', { class: 'error' }, `Could not load the pipeline: ${meta.error.message}`));
  }
  try {
    if (r.kind === 'view') {
      document.title = `${r.name} · Sluice`;
      renderView(root, ctx, r.name, r.params);
    } else if (r.kind === 'stream') {
      document.title = `${r.name} · Sluice`;
      renderStream(root, ctx, r.name);
    } else if (r.kind === 'table') {
      document.title = `${r.name} · Sluice`;
      renderTable(root, ctx, r.name);
    } else {
      document.title = 'Sluice';
      renderGraph(root, ctx);
    }
  } catch (e) {
    console.error(e);
    root.append(el('p', { class: 'error' }, `This page failed: ${e.message}`));
  }
}

async function main() {
  stats.subscribe(renderHeader);
  every(STATS_EVERY_MS, async () => {
    try {
      stats.latest = await getJson('/v1/stats');
      stats.error = null;
    } catch (e) {
      stats.latest = null;
      stats.error = e;
    }
    stats.publish();
  });
  await loadMeta();
  window.addEventListener('hashchange', route);
  route();
}

main();
