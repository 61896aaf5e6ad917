// The pipeline page: sources → streams → tables and views → sinks as four columns of boxes joined by arrows,
// each box showing its live numbers from GET /v1/stats (refreshed every second).

import { el, fmtCount, fmtIsoDuration, fmtMillis, fmtRate, fmtSeconds, fmtTime, rateBasis, setChildren, svg } from './util.js';

/** Nodes and edges from the metadata, completed by whatever GET /v1/stats knows. */
function model(meta, stats) {
  const sources = new Map();
  const streams = new Map();
  const views = new Map();
  const sinks = new Map();
  const tables = new Map();
  for (const t of meta.tables || []) tables.set(t.name, t);
  for (const s of meta.streams) {
    streams.set(s.name, { name: s.name });
    for (const src of s.sources || []) sources.set(src.name, { name: src.name, type: src.type, stream: s.name });
  }
  for (const v of meta.views) views.set(v.name, { name: v.name, from: v.from, inputs: v.inputs });
  if (stats) {
    for (const [n, x] of Object.entries(stats.sources || {})) sources.set(n, { ...sources.get(n), name: n, ...x });
    for (const n of Object.keys(stats.streams || {})) if (!streams.has(n)) streams.set(n, { name: n });
    for (const [n, x] of Object.entries(stats.views || {})) views.set(n, { ...views.get(n), name: n, from: x.from ?? views.get(n)?.from });
    for (const [n, x] of Object.entries(stats.sinks || {})) sinks.set(n, { name: n, ...x });
  }
  const edges = [];
  for (const s of sources.values()) if (s.stream) edges.push([`source:${s.name}`, `stream:${s.stream}`]);
  // a view's inputs are processing-graph node ids (`stream:orders`), the same ids as the boxes'
  for (const v of views.values()) for (const i of v.inputs || (v.from ? [`stream:${v.from}`] : [])) edges.push([i, `view:${v.name}`]);
  for (const t of tables.values()) edges.push([`stream:${t.from}`, `table:${t.name}`]);
  for (const k of sinks.values()) {
    const inputs = k.inputs || [...streams.keys(), ...views.keys()];
    for (const i of inputs) {
      if (views.has(i)) edges.push([`view:${i}`, `sink:${k.name}`]);
      else if (streams.has(i)) edges.push([`stream:${i}`, `sink:${k.name}`]);
    }
  }
  return { sources, streams, views, sinks, tables, edges };
}

const stat = (label, value, cls, key, attrs) => el('div', { class: `stat ${cls || ''}`, 'data-stat': key || label, ...attrs }, el('span', { class: 'k' }, label), el('span', { class: 'v' }, value));

/** A rate, with what it is computed from in its tooltip and data attributes. */
const rateStat = (x) => stat('rate', fmtRate(x.rate), '', 'rate', rateBasis(x.rate_window));

/** The lag: amber once an event has waited a sampling interval (about a second), red when the view is stale. */
const lagStat = (x, stale) => stat('lag', `${fmtCount(x.lag_events)} ev · ${fmtSeconds(x.lag_seconds)}`, stale ? 'bad' : x.lag_seconds > 0 ? 'warn' : '', 'lag', { 'data-events': x.lag_events, 'data-seconds': x.lag_seconds });

function sourceBox(s) {
  return el(
    'div',
    { class: 'node source', 'data-node': `source:${s.name}` },
    el('div', { class: 'node-title' }, s.name, el('span', { class: 'tag' }, s.type || 'source')),
    s.topic ? stat('topic', s.topic) : null,
    s.events !== undefined ? stat('events', fmtCount(s.events)) : null,
    s.rate !== undefined ? rateStat(s) : null,
    s.rate_target !== undefined ? stat('target rate', fmtRate(s.rate_target)) : null,
  );
}

function streamBox(s, x, pipelineDlq) {
  x = x || {};
  // dead letters per stream when the server counts them so, else the pipeline's (one DLQ topic)
  const dlq = x.dlq !== undefined ? x.dlq : pipelineDlq;
  return el(
    'a',
    { class: 'node stream', href: `#/stream/${encodeURIComponent(s.name)}`, 'data-node': `stream:${s.name}` },
    el('div', { class: 'node-title' }, s.name, el('span', { class: 'tag' }, 'stream')),
    stat('events', fmtCount(x.events)),
    rateStat(x),
    lagStat(x, false),
    stat(x.dlq !== undefined ? 'DLQ' : 'DLQ (pipeline)', fmtCount(dlq), dlq > 0 ? 'bad' : '', 'dlq'),
    stat('late', fmtCount(x.late), x.late > 0 ? 'warn' : ''),
  );
}

function viewBox(v, x, metaView) {
  x = x || {};
  const lat = x.latency_ms || {};
  const window = metaView && metaView.window ? `${metaView.window.type} ${fmtIsoDuration(metaView.window.size)}` : 'view';
  return el(
    'a',
    { class: `node view${x.stale ? ' is-stale' : ''}`, href: `#/view/${encodeURIComponent(v.name)}`, 'data-node': `view:${v.name}` },
    el('div', { class: 'node-title' }, v.name, el('span', { class: 'tag' }, window), x.stale ? el('span', { class: 'badge stale' }, 'STALE') : null),
    stat('updates', fmtCount(x.updates)),
    rateStat(x),
    lagStat(x, x.stale),
    stat('latency p50', fmtMillis(lat.p50)),
    stat('latency p99', fmtMillis(lat.p99)),
    stat('watermark', x.watermark ? fmtTime(x.watermark) : '–'),
    stat('SLA', x.sla_ms !== undefined ? fmtMillis(x.sla_ms) : '–'),
  );
}

function tableBox(t) {
  return el(
    'a',
    { class: 'node view', href: `#/table/${encodeURIComponent(t.name)}`, 'data-node': `table:${t.name}` },
    el('div', { class: 'node-title' }, t.name, el('span', { class: 'tag' }, 'table')),
    stat('key', t.key.join(', ')),
    stat('from', t.from),
  );
}

function sinkBox(k) {
  return el(
    'div',
    { class: 'node sink', 'data-node': `sink:${k.name}` },
    el('div', { class: 'node-title' }, k.name, el('span', { class: 'tag' }, k.type || 'sink')),
    stat('inputs', (k.inputs || []).join(', ') || 'all'),
  );
}

/** Draws the arrows between the boxes (called after every layout change). */
function drawEdges(container, layer, edges) {
  const box = container.getBoundingClientRect();
  layer.setAttribute('width', box.width);
  layer.setAttribute('height', box.height);
  layer.setAttribute('viewBox', `0 0 ${box.width} ${box.height}`);
  const defs = svg('defs');
  const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  marker.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }));
  defs.append(marker);
  layer.replaceChildren(defs);
  const find = (id) => container.querySelector(`[data-node="${CSS.escape(id)}"]`);
  for (const [from, to] of edges) {
    const a = find(from);
    const b = find(to);
    if (!a || !b) continue;
    const ra = a.getBoundingClientRect();
    const rb = b.getBoundingClientRect();
    const x1 = ra.right - box.left;
    const y1 = ra.top + ra.height / 2 - box.top;
    const x2 = rb.left - box.left - 2;
    const y2 = rb.top + rb.height / 2 - box.top;
    const dx = Math.max(30, (x2 - x1) / 2);
    layer.append(svg('path', { d: `M ${x1} ${y1} C ${x1 + dx} ${y1}, ${x2 - dx} ${y2}, ${x2} ${y2}`, class: 'edge', 'marker-end': 'url(#arrow)' }));
  }
}

export function renderGraph(root, ctx) {
  const summary = el('div', { class: 'summary' });
  const cols = {
    sources: el('div', { class: 'col-body' }),
    streams: el('div', { class: 'col-body' }),
    views: el('div', { class: 'col-body' }),
    sinks: el('div', { class: 'col-body' }),
  };
  const layer = svg('svg', { class: 'edges' });
  const column = (title, body) => el('div', { class: 'col' }, el('h2', { class: 'col-title' }, title), body);
  const graph = el(
    'div',
    { class: 'graph', id: 'pipeline-graph' },
    layer,
    column('Sources', cols.sources),
    column('Streams', cols.streams),
    column('Tables and views', cols.views),
    column('Sinks', cols.sinks),
  );
  root.append(el('h1', null, 'Pipeline'), summary, graph);

  let edges = [];
  const redraw = () => drawEdges(graph, layer, edges);
  const ro = new ResizeObserver(redraw);
  ro.observe(graph);
  ctx.onDispose(() => ro.disconnect());

  const metaView = (n) => ctx.meta.views.find((v) => v.name === n);
  const render = (stats, error) => {
    const m = model(ctx.meta, stats);
    edges = m.edges;
    const empty = (what) => el('p', { class: 'muted small' }, what);
    setChildren(cols.sources, m.sources.size ? [...m.sources.values()].map(sourceBox) : empty('none'));
    setChildren(cols.streams, m.streams.size ? [...m.streams.values()].map((s) => streamBox(s, stats?.streams?.[s.name], stats?.dlq)) : empty('none'));
    const tableBoxes = [...m.tables.values()].map(tableBox);
    const viewBoxes = [...m.views.values()].map((v) => viewBox(v, stats?.views?.[v.name], metaView(v.name)));
    setChildren(cols.views, tableBoxes.length + viewBoxes.length ? [...tableBoxes, ...viewBoxes] : empty('none'));
    setChildren(cols.sinks, m.sinks.size ? [...m.sinks.values()].map(sinkBox) : empty(stats ? 'none' : 'unknown'));
    const stale = stats ? Object.entries(stats.views || {}).filter(([, v]) => v.stale).map(([n]) => n) : [];
    setChildren(
      summary,
      error ? el('span', { class: 'error' }, `Live stats unavailable (${error.message}); showing the pipeline's shape only.`) : null,
      stats ? el('span', null, `Pipeline `, el('b', null, stats.pipeline ?? ''), ` · processor `, el('b', null, String(stats.processor ?? '?'))) : null,
      stale.length ? el('span', { class: 'badge stale' }, `stale: ${stale.join(', ')}`) : null,
      el('span', { class: 'muted small' }, 'Rates are per second over the last 10 s; refreshed every second.'),
    );
    redraw();
  };
  render(null, null);
  ctx.onStats(render);
}
