// A stream's page: what it is (topic, id/time/key fields, sources), its contract (the JSON Schema as
// a field table), its live numbers, recent events sampled live (GET /v1/streams/<s>/recent) and
// its dead letters with their reasons (GET /v1/dlq).

import { el, every, fmtCount, fmtIsoDuration, fmtRate, fmtSeconds, fmtValue, getJson, rateBasis, setChildren } from './util.js';

const RECENT_EVERY_MS = 2000;
const DLQ_EVERY_MS = 4000;
const LIMIT = 50;

export function renderStream(root, ctx, name) {
  const stream = ctx.meta.streams.find((s) => s.name === name);
  if (!stream) {
    root.append(el('h1', null, name), el('p', { class: 'error' }, `Unknown stream '${name}'.`));
    return;
  }
  const views = ctx.meta.views.filter((v) => v.from === name);
  root.append(
    el('div', { class: 'page-head' }, el('h1', null, name), el('span', { class: 'muted' }, 'stream')),
    el(
      'p',
      { class: 'describe' },
      `topic `,
      el('code', null, stream.topic),
      ` · ${fmtCount(stream.partitions)} partition(s) · retention ${fmtIsoDuration(stream.retention)} · dedup ${fmtIsoDuration(stream.dedup)}`,
      ' · sources ',
      (stream.sources || []).map((s, i) => [i ? ', ' : '', el('b', null, s.name), ` (${s.type}${s.topic ? ` ${s.topic}` : ''}${s.path ? ` ${s.path}` : ''})`]),
      views.length ? [' · views ', views.map((v, i) => [i ? ', ' : '', el('a', { href: `#/view/${encodeURIComponent(v.name)}` }, v.name)])] : '',
    ),
  );

  // ---- live numbers
  const numbers = {
    events: el('span', { id: 'stream-events' }, '–'),
    rate: el('span', { id: 'stream-rate' }, '–'),
    lag: el('span', { id: 'stream-lag' }, '–'),
    dlq: el('span', { id: 'stream-dlq' }, '–'),
    late: el('span', { id: 'stream-late' }, '–'),
  };
  const card = (label, value, hint) => el('div', { class: 'card' }, el('div', { class: 'card-k' }, label), el('div', { class: 'card-v' }, value), hint ? el('div', { class: 'card-h muted small' }, hint) : null);
  root.append(
    el(
      'div',
      { class: 'cards' },
      card('Events', numbers.events, 'accepted into the stream'),
      card('Rate', numbers.rate, 'last 10 s'),
      card('Lag', numbers.lag, 'not yet processed'),
      card('Dead letters', numbers.dlq, 'refused by the processor'),
      card('Late', numbers.late, 'after the grace period'),
    ),
  );
  ctx.onStats((s) => {
    const x = s?.streams?.[name];
    if (!x) return;
    numbers.events.textContent = fmtCount(x.events);
    numbers.rate.textContent = fmtRate(x.rate);
    numbers.rate.title = rateBasis(x.rate_window).title ?? '';
    numbers.lag.textContent = `${fmtCount(x.lag_events)} ev · ${fmtSeconds(x.lag_seconds)}`;
    numbers.lag.className = x.lag_seconds > 0 ? 'warn' : '';
    const dlq = x.dlq !== undefined ? x.dlq : s.dlq; // per stream, or the pipeline's
    numbers.dlq.textContent = fmtCount(dlq);
    numbers.dlq.className = dlq > 0 ? 'bad' : '';
    numbers.late.textContent = fmtCount(x.late);
    numbers.late.className = x.late > 0 ? 'warn' : '';
  });

  // ---- schema
  const fields = schemaFields(stream.schema);
  const roles = (f) => [
    f === stream.id ? el('span', { class: 'tag' }, 'id') : null,
    f === stream.time ? el('span', { class: 'tag' }, 'event time') : null,
    f === stream.key ? el('span', { class: 'tag' }, 'key') : null,
  ];
  root.append(
    el(
      'section',
      { class: 'panel', id: 'stream-schema' },
      el('div', { class: 'panel-head' }, el('h2', null, 'Schema'), el('span', { class: 'muted small' }, stream.schema?.title ?? ''), el('span', { class: 'muted small' }, stream.schema?.description ?? '')),
      fields.length
        ? el(
            'div',
            { class: 'table-wrap' },
            el(
              'table',
              { class: 'data schema' },
              el('thead', null, el('tr', null, el('th', null, 'field'), el('th', null, 'type'), el('th', null, 'required'), el('th', null, 'rules'), el('th', null, 'description'))),
              el(
                'tbody',
                null,
                fields.map((f) =>
                  el(
                    'tr',
                    { 'data-field': f.name },
                    el('td', null, el('code', null, f.name), ' ', roles(f.name)),
                    el('td', null, f.type),
                    el('td', null, f.required ? 'yes' : ''),
                    el('td', { class: 'rules' }, f.rules),
                    el('td', { class: 'muted' }, f.description),
                  ),
                ),
              ),
            ),
          )
        : el('p', { class: 'muted' }, 'The schema has no top-level properties.'),
      el('details', null, el('summary', null, 'JSON Schema'), el('pre', { class: 'code' }, JSON.stringify(stream.schema, null, 2))),
    ),
  );

  // ---- recent events
  const recentBody = el('div', { class: 'table-wrap', id: 'recent-events' }, el('p', { class: 'muted' }, 'Loading…'));
  const recentNote = el('span', { class: 'muted small' });
  root.append(el('section', { class: 'panel' }, el('div', { class: 'panel-head' }, el('h2', null, 'Recent events'), recentNote), recentBody));
  const columns = fields.map((f) => f.name);
  const stopRecent = every(RECENT_EVERY_MS, async () => {
    try {
      const body = await getJson(`/v1/streams/${encodeURIComponent(name)}/recent?limit=${LIMIT}`, ctx.signal);
      const events = (body.events || []).map(unwrap);
      recentNote.textContent = `${events.length} sampled · refreshed every ${RECENT_EVERY_MS / 1000} s`;
      setChildren(recentBody, events.length ? eventsTable(events, columns) : el('p', { class: 'muted' }, 'No events yet.'));
    } catch (e) {
      if (e.name === 'AbortError') return;
      recentNote.textContent = '';
      setChildren(recentBody, el('p', { class: 'muted' }, e.status === 404 ? 'No data.' : `No data (${e.message}).`));
    }
  });
  ctx.onDispose(stopRecent);

  // ---- dead letters
  const dlqBody = el('div', { class: 'table-wrap', id: 'dlq-entries' }, el('p', { class: 'muted' }, 'Loading…'));
  const dlqNote = el('span', { class: 'muted small' });
  root.append(el('section', { class: 'panel' }, el('div', { class: 'panel-head' }, el('h2', null, 'Dead letters'), dlqNote), dlqBody));
  const stopDlq = every(DLQ_EVERY_MS, async () => {
    try {
      const body = await getJson(`/v1/dlq?limit=${LIMIT}`, ctx.signal);
      // entries of this stream, and those whose stream could not be told (unreadable input)
      const entries = (body.entries || []).filter((e) => !e.stream || e.stream === name);
      dlqNote.textContent = `${entries.length} of the last ${LIMIT} dead letters of the pipeline`;
      setChildren(dlqBody, entries.length ? dlqTable(entries) : el('p', { class: 'muted' }, 'No dead letters.'));
    } catch (e) {
      if (e.name === 'AbortError') return;
      dlqNote.textContent = '';
      setChildren(dlqBody, el('p', { class: 'muted' }, e.status === 404 ? 'No data.' : `No data (${e.message}).`));
    }
  });
  ctx.onDispose(stopDlq);
}

/** Top-level fields of a JSON Schema: name, type, required, rules, description. */
function schemaFields(schema) {
  const props = schema && typeof schema === 'object' ? schema.properties || {} : {};
  const required = new Set(schema?.required || []);
  return Object.entries(props).map(([name, p]) => {
    p = p || {};
    let type = Array.isArray(p.type) ? p.type.join(' | ') : p.type || (p.enum ? 'enum' : p.$ref ? p.$ref : 'any');
    if (p.format) type += ` (${p.format})`;
    if (p.type === 'array' && p.items?.type) type = `array of ${p.items.type}`;
    const rules = [];
    for (const k of ['minimum', 'exclusiveMinimum', 'maximum', 'exclusiveMaximum', 'minLength', 'maxLength', 'pattern', 'const', 'default']) {
      if (p[k] !== undefined) rules.push(`${k} ${typeof p[k] === 'string' ? p[k] : JSON.stringify(p[k])}`);
    }
    if (p.enum) rules.push(`one of ${p.enum.join(', ')}`);
    return { name, type, required: required.has(name), rules: rules.join('; '), description: p.description || '' };
  });
}

/** An element of the recent-events list: the event itself, or a record wrapping it in "value". */
function unwrap(e) {
  if (e === null || typeof e !== 'object') return { '(unreadable)': e };
  if (e && typeof e === 'object' && e.value && typeof e.value === 'object' && ('offset' in e || 'partition' in e)) return e.value;
  return e;
}

function eventsTable(events, schemaColumns) {
  const cols = [...schemaColumns];
  for (const e of events) for (const k of Object.keys(e || {})) if (!cols.includes(k)) cols.push(k);
  return el(
    'table',
    { class: 'data compact' },
    el('thead', null, el('tr', null, cols.map((c) => el('th', null, c)))),
    el(
      'tbody',
      null,
      events.map((e) => el('tr', null, cols.map((c) => el('td', { class: typeof e?.[c] === 'number' ? 'num' : null }, fmtValue(e?.[c]))))),
    ),
  );
}

function dlqTable(entries) {
  const cols = ['offset', 'stage', 'rule', 'field', 'reason', 'origin', 'value'];
  if (entries.some((e) => e.view)) cols.splice(2, 0, 'view');
  return el(
    'table',
    { class: 'data compact dlq' },
    el('thead', null, el('tr', null, cols.map((c) => el('th', null, c)))),
    el(
      'tbody',
      null,
      entries.map((e) =>
        el(
          'tr',
          null,
          cols.map((c) => {
            const v = e[c];
            const text = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
            if (c === 'value') return el('td', { class: 'value', title: text }, el('code', null, text.length > 160 ? `${text.slice(0, 160)}…` : text));
            if (c === 'reason') return el('td', { class: 'reason' }, text);
            return el('td', null, text);
          }),
        ),
      ),
    ),
  );
}
