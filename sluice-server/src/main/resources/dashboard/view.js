// A view's page: rows pushed live over Server-Sent Events (GET /v1/live/<view>), a line chart of a
// measure over window_start (one line per group), a table of the latest windows, the lag /
// watermark / latency panel and the stale marker.
//
// Test hooks: #view-table (rows carry data-key="<window_start>|<group values joined by |>", measure
// cells data-measure="<name>" and data-value="<raw JSON value>"), #view-chart (Chart.getChart),
// #stale-marker (visible with class "stale" exactly when the latest update/status says stale).

import {
  el,
  fmtCount,
  fmtIsoDuration,
  fmtMillis,
  fmtSeconds,
  fmtTick,
  fmtTime,
  fmtValue,
  getJson,
  isoDurationMs,
  queryString,
  setChildren,
} from './util.js';

const MAX_ROWS = 200; // rows kept in the table (latest windows first)
const MAX_GROUPS = 10; // lines in the chart
const MAX_POINTS = 120; // windows per line in the chart
const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#ea580c', '#475569'];

export function renderView(root, ctx, name, params) {
  const view = ctx.meta.views.find((v) => v.name === name);
  if (!view) {
    root.append(el('h1', null, name), el('p', { class: 'error' }, `Unknown view '${name}'.`));
    return;
  }
  const groupBy = view.group_by || [];
  const measures = (view.measures || []).map((m) => m.name);
  const filter = Object.fromEntries(Object.entries(params).filter(([k, v]) => groupBy.includes(k) && v !== ''));
  const state = new ViewState(view, filter);

  // ---- header and description
  const w = view.window;
  root.append(
    el('div', { class: 'page-head' }, el('h1', null, name), el('span', { class: 'muted' }, 'view')),
    el(
      'p',
      { class: 'describe' },
      'from ',
      el('a', { href: `#/stream/${encodeURIComponent(view.from)}` }, view.from),
      w ? ` · ${w.type} window of ${fmtIsoDuration(w.size)}${w.type === 'hopping' ? ` every ${fmtIsoDuration(w.advance)}` : ''}, grace ${fmtIsoDuration(w.grace)}` : '',
      groupBy.length ? ` · by ${groupBy.join(', ')}` : '',
      view.filter ? [' · where ', el('code', null, view.filter)] : '',
      ` · measures ${(view.measures || []).map((m) => (m.field ? `${m.name} = ${m.kind}(${m.field})` : `${m.name} = ${m.kind}`)).join(', ')}`,
    ),
  );

  // ---- stale marker: hidden unless the latest update/status says stale
  const staleText = el('span');
  const staleMarker = el('div', { id: 'stale-marker', class: 'stale-marker', hidden: true, role: 'status' }, el('b', null, 'STALE'), ' ', staleText);
  root.append(staleMarker);

  // ---- filters
  const inputs = groupBy.map((g) =>
    el('label', null, g, el('input', { name: g, value: filter[g] ?? '', placeholder: 'any', list: `values-${g}`, autocomplete: 'off', 'data-field': g })),
  );
  const datalists = groupBy.map((g) => el('datalist', { id: `values-${g}` }));
  const form = el(
    'form',
    { id: 'view-filter', class: 'filters' },
    groupBy.length ? el('span', { class: 'muted' }, 'Filter:') : el('span', { class: 'muted' }, 'No group fields to filter on.'),
    inputs,
    datalists,
    groupBy.length ? el('button', { type: 'submit' }, 'Apply') : null,
    groupBy.length ? el('button', { type: 'button', onclick: () => (location.hash = `#/view/${encodeURIComponent(name)}`) }, 'Clear') : null,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = {};
    for (const i of form.querySelectorAll('input[data-field]')) f[i.dataset.field] = i.value.trim();
    location.hash = `#/view/${encodeURIComponent(name)}${queryString(f)}`;
  });
  root.append(form);

  // ---- status panel
  const panel = {
    connection: el('span', { id: 'live-connection' }, 'connecting'),
    lag: el('span', { id: 'view-lag' }, '–'),
    lagEvents: el('span', null, 'oldest waiting event'),
    watermark: el('span', { id: 'view-watermark' }, '–'),
    watermarkDate: el('span', null, 'UTC'),
    p50: el('span', { id: 'latency-p50' }, '–'),
    p99: el('span', { id: 'latency-p99' }, '–'),
    last: el('span', { id: 'latency-last' }, '–'),
    sla: el('span', { id: 'view-sla' }, '–'),
    updates: el('span', { id: 'view-updates' }, '0'),
  };
  const card = (label, value, hint) => el('div', { class: 'card' }, el('div', { class: 'card-k' }, label), el('div', { class: 'card-v' }, value), hint ? el('div', { class: 'card-h muted small' }, hint) : null);
  root.append(
    el(
      'div',
      { class: 'cards' },
      card('Live', panel.connection, 'SSE /v1/live'),
      card('Lag', panel.lag, panel.lagEvents),
      card('Watermark', panel.watermark, panel.watermarkDate),
      card('Latency p50', panel.p50, 'source time → pushed'),
      card('Latency p99', panel.p99, 'source time → pushed'),
      card('Last update', panel.last, 'its latency'),
      card('SLA', panel.sla, 'stale above this lag'),
      card('Updates', panel.updates, 'received on this page'),
    ),
  );

  // ---- chart
  const measureSelect = el('select', { id: 'chart-measure' }, measures.map((m) => el('option', { value: m }, m)));
  const chartNote = el('span', { class: 'muted small', id: 'chart-note' });
  const canvas = el('canvas', { id: 'view-chart' });
  root.append(
    el(
      'section',
      { class: 'panel' },
      el('div', { class: 'panel-head' }, el('h2', null, 'Over time'), el('label', null, 'measure ', measureSelect), chartNote),
      el('div', { class: 'chart-box' }, canvas),
    ),
  );

  // ---- table
  const thead = el(
    'tr',
    null,
    el('th', null, 'window start (UTC)'),
    el('th', null, 'end'),
    groupBy.map((g) => el('th', null, g)),
    measures.map((m) => el('th', { class: 'num' }, m)),
    el('th', { class: 'num', title: 'events counted in the row' }, 'version'),
  );
  const tbody = el('tbody');
  const tableNote = el('span', { class: 'muted small', id: 'table-note' });
  root.append(
    el(
      'section',
      { class: 'panel' },
      el('div', { class: 'panel-head' }, el('h2', null, 'Latest windows'), tableNote),
      el('div', { class: 'table-wrap' }, el('table', { id: 'view-table', class: 'data' }, el('thead', null, thead), tbody)),
    ),
  );

  const chart = new LiveChart(canvas, groupBy, measures[0], isoDurationMs(w?.advance) || isoDurationMs(w?.size) || 1000);
  ctx.onDispose(() => chart.destroy());
  measureSelect.addEventListener('change', () => {
    chart.setMeasure(measureSelect.value, state.rows.values());
  });
  const table = new RowTable(tbody, groupBy, measures);

  let scheduled = false;
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      chart.flush();
      const hidden = chart.hiddenGroups();
      chartNote.textContent = hidden ? `${hidden} more group(s) not drawn: filter to see them` : '';
      tableNote.textContent = `${fmtCount(state.rows.size)} row(s)${state.rows.size > MAX_ROWS ? `, latest ${MAX_ROWS} shown` : ''}`;
      for (const g of groupBy) {
        const dl = root.querySelector(`#values-${CSS.escape(g)}`);
        if (dl && dl.childElementCount !== state.values[g].size) {
          setChildren(dl, [...state.values[g]].sort().map((v) => el('option', { value: v })));
        }
      }
    });
  };

  const upsert = (row, live) => {
    if (!state.matches(row)) return;
    const r = state.upsert(row);
    if (!r) return;
    table.upsert(r, live);
    chart.upsert(r);
    schedule();
  };

  // ---- status (stale marker, lag, watermark, latency)
  let updates = 0;
  const applyStatus = (msg) => {
    if (typeof msg.stale === 'boolean') {
      staleMarker.hidden = !msg.stale;
      staleMarker.classList.toggle('stale', msg.stale);
    }
    if (msg.sla_ms !== undefined) state.slaMs = msg.sla_ms;
    if (msg.lag) {
      panel.lag.textContent = fmtSeconds(msg.lag.seconds);
      panel.lagEvents.textContent = `${fmtCount(msg.lag.events)} event(s) not yet consumed`;
      panel.lag.className = msg.stale ? 'bad' : msg.lag.seconds > 0 ? 'warn' : '';
      staleText.textContent = `lag ${fmtSeconds(msg.lag.seconds)} (${fmtCount(msg.lag.events)} events waiting) is over the view's SLA${state.slaMs !== undefined ? ` of ${fmtMillis(state.slaMs)}` : ''}: the numbers below may be behind.`;
    }
    if (msg.watermark) {
      const t = fmtTime(msg.watermark);
      panel.watermark.textContent = t.slice(11, 19);
      panel.watermark.title = msg.watermark;
      panel.watermarkDate.textContent = `${t.slice(0, 10)} UTC`;
    }
    if (state.slaMs !== undefined) panel.sla.textContent = fmtMillis(state.slaMs);
  };
  const onMessage = (ev) => {
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch {
      return;
    }
    if (msg.type === 'update') {
      if (msg.row) upsert(msg.row, true);
      updates++;
      panel.updates.textContent = fmtCount(updates);
      if (msg.latency_ms !== undefined && msg.latency_ms !== null) panel.last.textContent = fmtMillis(msg.latency_ms);
      applyStatus(msg);
    } else if (msg.type === 'status') {
      applyStatus(msg);
    } else if (msg.type === 'error') {
      panel.connection.textContent = `error: ${msg.message}`;
      panel.connection.className = 'bad';
    }
  };

  // ---- live: subscribe first, then load the stored rows (versions decide which copy wins)
  const es = new EventSource(`/v1/live/${encodeURIComponent(name)}${queryString(filter)}`);
  ctx.onDispose(() => es.close());
  es.addEventListener('update', onMessage);
  es.addEventListener('status', onMessage);
  es.addEventListener('message', onMessage); // an unnamed event: dispatched on its "type"
  es.addEventListener('open', () => {
    panel.connection.textContent = 'live';
    panel.connection.className = 'ok';
  });
  es.addEventListener('error', (ev) => {
    if (ev.data) {
      // the server's "error" event (unknown view or field): retrying would only repeat it
      es.close();
      let message = ev.data;
      try {
        message = JSON.parse(ev.data).message ?? message;
      } catch {
        // not JSON: show as it is
      }
      panel.connection.textContent = 'refused';
      panel.connection.className = 'bad';
      tableNote.textContent = `Live updates refused: ${message}`;
      tableNote.className = 'error';
      return;
    }
    panel.connection.textContent = es.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting';
    panel.connection.className = 'warn';
  });

  getJson(`/v1/views/${encodeURIComponent(name)}${queryString(filter)}`, ctx.signal)
    .then((body) => {
      const rows = body.rows || [];
      // the newest windows pick the chart's groups
      for (let i = rows.length - 1; i >= 0; i--) chart.noteGroup(state.groupKey(rows[i]));
      for (const r of rows) upsert(r, false);
      schedule();
    })
    .catch((e) => {
      if (e.name === 'AbortError') return;
      tableNote.textContent = `Could not load the stored rows: ${e.message}`;
      tableNote.className = 'error';
    });

  // ---- latency percentiles and SLA from /v1/stats
  ctx.onStats((s) => {
    const v = s?.views?.[name];
    if (!v) return;
    const lat = v.latency_ms || {};
    panel.p50.textContent = fmtMillis(lat.p50);
    panel.p99.textContent = fmtMillis(lat.p99);
    if (v.sla_ms !== undefined) {
      state.slaMs = v.sla_ms;
      panel.sla.textContent = fmtMillis(v.sla_ms);
    }
  });
  schedule();
}

/** The rows of the view on this page, by key, with the group values seen (for the filter inputs). */
class ViewState {
  constructor(view, filter) {
    this.groupBy = view.group_by || [];
    this.filter = filter;
    this.rows = new Map();
    this.values = Object.fromEntries(this.groupBy.map((g) => [g, new Set()]));
    this.slaMs = undefined;
  }

  groupKey(row) {
    return this.groupBy.map((g) => String(row[g])).join('|');
  }

  key(row) {
    return [row.window_start ?? '', ...this.groupBy.map((g) => String(row[g]))].join('|');
  }

  matches(row) {
    return Object.entries(this.filter).every(([k, v]) => String(row[k]) === v);
  }

  /** Keeps the row unless a newer version of it is already here; returns the kept entry or null. */
  upsert(row) {
    const key = this.key(row);
    const old = this.rows.get(key);
    if (old && Number(old.row.version) > Number(row.version)) return null;
    for (const g of this.groupBy) this.values[g].add(String(row[g]));
    const entry = { key, group: this.groupKey(row), x: Date.parse(row.window_start), row };
    this.rows.set(key, entry);
    return entry;
  }
}

/** Sorted table body: newest window first, then by group; only the latest MAX_ROWS rows stay. */
class RowTable {
  constructor(tbody, groupBy, measures) {
    this.tbody = tbody;
    this.groupBy = groupBy;
    this.measures = measures;
    this.order = []; // entries, sorted
    this.trs = new Map(); // key → tr
  }

  static compare(a, b) {
    if (a.row.window_start !== b.row.window_start) return String(a.row.window_start) < String(b.row.window_start) ? 1 : -1;
    return a.group < b.group ? -1 : a.group > b.group ? 1 : 0;
  }

  upsert(entry, live) {
    let tr = this.trs.get(entry.key);
    if (tr) {
      const i = this.order.findIndex((e) => e.key === entry.key);
      if (i >= 0) this.order[i] = entry;
      this.fill(tr, entry.row);
    } else {
      let lo = 0;
      let hi = this.order.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (RowTable.compare(this.order[mid], entry) < 0) lo = mid + 1;
        else hi = mid;
      }
      if (lo >= MAX_ROWS) return; // older than everything shown
      tr = el('tr', { 'data-key': entry.key });
      this.fill(tr, entry.row);
      const before = this.order[lo] ? this.trs.get(this.order[lo].key) : null;
      this.tbody.insertBefore(tr, before || null);
      this.order.splice(lo, 0, entry);
      this.trs.set(entry.key, tr);
      while (this.order.length > MAX_ROWS) {
        const gone = this.order.pop();
        this.trs.get(gone.key)?.remove();
        this.trs.delete(gone.key);
      }
    }
    if (live) {
      tr.classList.remove('flash');
      void tr.offsetWidth; // restart the animation
      tr.classList.add('flash');
    }
  }

  fill(tr, row) {
    const cells = [
      el('td', { class: 'time', title: row.window_start }, fmtTime(row.window_start)),
      el('td', { class: 'time muted', title: row.window_end }, row.window_end ? fmtTime(row.window_end).slice(11) : ''),
      this.groupBy.map((g) => el('td', { 'data-group': g }, fmtValue(row[g]))),
      this.measures.map((m) => el('td', { class: 'num', 'data-measure': m, 'data-value': JSON.stringify(row[m] ?? null) }, fmtValue(row[m]))),
      el('td', { class: 'num muted', 'data-version': '' }, fmtValue(row.version)),
    ];
    setChildren(tr, cells);
  }
}

/** The line chart: x = window_start (epoch ms, linear axis), y = the chosen measure, a line per group. */
class LiveChart {
  constructor(canvas, groupBy, measure, windowMs) {
    this.windowMs = windowMs;
    this.groupBy = groupBy;
    this.measure = measure;
    this.series = new Map(); // group → Map(x → y)
    this.seen = new Set(); // every group seen (drawn or not)
    this.dirty = true;
    const Chart = window.Chart;
    if (!Chart) {
      canvas.replaceWith(el('p', { class: 'error' }, 'Chart.js did not load (vendor/chart.umd.js).'));
      this.chart = null;
      return;
    }
    let span = 0;
    this.chart = new Chart(canvas, {
      type: 'line',
      data: { datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        normalized: true,
        interaction: { mode: 'nearest', intersect: false },
        scales: {
          x: {
            type: 'linear',
            title: { display: true, text: 'window start (UTC)' },
            afterDataLimits: (scale) => {
              span = scale.max - scale.min;
            },
            ticks: { callback: (v) => fmtTick(v, span), maxRotation: 0, autoSkipPadding: 12 },
          },
          y: { beginAtZero: true, title: { display: true, text: measure ?? '' } },
        },
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: 12 } },
          tooltip: { callbacks: { title: (items) => (items.length ? fmtTime(items[0].parsed.x) : '') } },
        },
        elements: { point: { radius: 3 }, line: { tension: 0, borderWidth: 2 } },
      },
    });
  }

  /** Reserves a line for a group, if there is room (the newest groups are noted first). */
  noteGroup(group) {
    this.seen.add(group);
    if (!this.series.has(group) && this.series.size < MAX_GROUPS) this.series.set(group, new Map());
  }

  upsert(entry) {
    this.noteGroup(entry.group);
    const s = this.series.get(entry.group);
    if (!s || Number.isNaN(entry.x)) return;
    const y = Number(entry.row[this.measure]);
    if (!Number.isFinite(y)) return;
    s.set(entry.x, y);
    if (s.size > MAX_POINTS) s.delete(Math.min(...s.keys()));
    this.dirty = true;
  }

  setMeasure(measure, entries) {
    this.measure = measure;
    for (const s of this.series.values()) s.clear();
    for (const e of entries) this.upsert(e);
    if (this.chart) this.chart.options.scales.y.title.text = measure;
    this.dirty = true;
    this.flush();
  }

  hiddenGroups() {
    return Math.max(0, this.seen.size - this.series.size);
  }

  flush() {
    if (!this.chart || !this.dirty) return;
    this.dirty = false;
    const datasets = this.chart.data.datasets;
    let i = 0;
    for (const [group, points] of this.series) {
      const data = [...points].sort((a, b) => a[0] - b[0]).map(([x, y]) => ({ x, y }));
      const label = this.groupBy.length ? group.split('|').join(' / ') : 'all';
      const color = PALETTE[i % PALETTE.length];
      if (datasets[i]) {
        datasets[i].data = data;
        datasets[i].label = label;
      } else {
        datasets.push({ label, data, borderColor: color, backgroundColor: color });
      }
      i++;
    }
    datasets.length = i;
    const x = this.chart.options.scales.x;
    let [min, max] = this.extent(datasets);
    const fixed = min === max; // no data, or one window: Chart.js would pad by 5% of the value (years)
    if (min === null) {
      max = Math.floor(Date.now() / this.windowMs) * this.windowMs;
      min = max - 5 * this.windowMs;
    } else if (fixed) {
      min -= this.windowMs;
      max += this.windowMs;
    }
    x.ticks.stepSize = this.tickStep(max - min);
    x.min = fixed ? min : undefined;
    x.max = fixed ? max : undefined;
    this.chart.update('none');
  }

  /** The smallest and largest x of the data ([null, null] when there is none). */
  extent(datasets) {
    let min = Infinity;
    let max = -Infinity;
    for (const d of datasets) {
      for (const p of d.data) {
        min = Math.min(min, p.x);
        max = Math.max(max, p.x);
      }
    }
    return Number.isFinite(min) ? [min, max] : [null, null];
  }

  /** A tick every window, or every few windows (a round number of minutes, hours, days) when many. */
  tickStep(span) {
    const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((s) => s * 1000);
    for (const s of steps) if (s >= this.windowMs && s % this.windowMs === 0 && span / s <= 12) return s;
    for (const s of steps) if (s >= this.windowMs && span / s <= 12) return s;
    return Math.max(this.windowMs, Math.ceil(span / 12 / 86400000) * 86400000);
  }

  destroy() {
    if (this.chart) this.chart.destroy();
  }
}
