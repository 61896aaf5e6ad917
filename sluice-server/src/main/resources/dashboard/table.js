// A table's page: what it is (stream, key, fields, topic) and its rows, newest value per key, read every
// two seconds (GET /v1/tables/<t>).

import { el, every, fmtCount, fmtTime, fmtValue, getJson, setChildren } from './util.js';

const ROWS_EVERY_MS = 2000;
const LIMIT = 200;

export function renderTable(root, ctx, name) {
  const table = ctx.meta.tables.find((t) => t.name === name);
  if (!table) {
    root.append(el('h1', null, name), el('p', { class: 'error' }, `Unknown table '${name}'.`));
    return;
  }
  root.append(
    el('div', { class: 'page-head' }, el('h1', null, name), el('span', { class: 'muted' }, 'table')),
    el(
      'p',
      { class: 'describe' },
      'latest row per ',
      el('b', null, table.key.join(', ')),
      ' of stream ',
      el('a', { href: `#/stream/${encodeURIComponent(table.from)}` }, table.from),
      ', by event time · topic ',
      el('code', null, table.topic),
    ),
  );
  const note = el('span', { class: 'muted small' });
  const body = el('div', { id: 'table-rows' });
  root.append(el('section', { class: 'panel' }, el('div', { class: 'panel-head' }, el('h2', null, 'Rows'), note), body));
  const stop = every(ROWS_EVERY_MS, async () => {
    try {
      const rows = await getJson(`/v1/tables/${encodeURIComponent(name)}?limit=${LIMIT}`, ctx.signal);
      note.textContent = `${fmtCount(rows.length)} key(s)${rows.length >= LIMIT ? ` (the first ${LIMIT})` : ''}`;
      setChildren(body, rows.length ? rowsTable(table, rows) : el('p', { class: 'muted' }, 'No rows yet.'));
    } catch (e) {
      if (e.name === 'AbortError') return;
      note.textContent = '';
      setChildren(body, el('p', { class: 'muted' }, `No data (${e.message}).`));
    }
  });
  ctx.onDispose(stop);
}

function rowsTable(table, rows) {
  const valueCols = [];
  for (const r of rows) for (const k of Object.keys(r.value || {})) if (!valueCols.includes(k) && !table.key.includes(k)) valueCols.push(k);
  return el(
    'table',
    { class: 'data' },
    el('thead', null, el('tr', null, [...table.key, ...valueCols, 'time'].map((c) => el('th', null, c)))),
    el(
      'tbody',
      null,
      rows.map((r) =>
        el('tr', null, [...table.key.map((k) => el('td', null, fmtValue(r.key?.[k]))), ...valueCols.map((c) => el('td', null, fmtValue(r.value?.[c]))), el('td', null, fmtTime(r.time))]),
      ),
    ),
  );
}
