// Small helpers shared by the dashboard's pages: HTTP, DOM building, formatting.

/** An HTTP error carrying the status, so pages can tell "not there" (404) from "broken". */
export class HttpError extends Error {
  constructor(path, status, body) {
    super(`${path}: HTTP ${status}${body && body.error ? ` (${body.error})` : ''}`);
    this.status = status;
    this.body = body;
  }
}

/** GET a JSON document; throws HttpError on a non-2xx answer. */
export async function getJson(path, signal) {
  const r = await fetch(path, { signal, headers: { Accept: 'application/json' }, cache: 'no-store' });
  if (!r.ok) {
    let body = null;
    try {
      body = await r.json();
    } catch {
      // not JSON: keep the status only
    }
    throw new HttpError(path, r.status, body);
  }
  return r.json();
}

/**
 * Builds an element: el('td', {class: 'num', dataset: {measure: 'gmv'}}, 'text', child).
 * Attributes with null/undefined/false values are skipped; `on*` functions become listeners.
 */
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'dataset') Object.assign(e.dataset, v);
      else if (k === 'style' && typeof v === 'object') Object.assign(e.style, v);
      else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
      else if (v === true) e.setAttribute(k, '');
      else e.setAttribute(k, String(v));
    }
  }
  append(e, children);
  return e;
}

function append(parent, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else parent.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** SVG element (namespaced). */
export function svg(tag, attrs) {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  return e;
}

/** Replaces an element's children. */
export function setChildren(e, ...children) {
  e.replaceChildren();
  append(e, children);
}

/**
 * A measure's value as text: integers as they are, other numbers with at most six decimals and no
 * trailing zeros (so 61.400000000000006 reads 61.4), anything else as JSON.
 */
export function fmtValue(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v)) return String(v);
    return String(Number(v.toFixed(6)));
  }
  if (typeof v === 'string' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** A count for humans: 1234567 → "1,234,567". */
export function fmtCount(v) {
  if (v === null || v === undefined || Number.isNaN(Number(v))) return '–';
  return Number(v).toLocaleString('en-US');
}

/** A rate per second. */
export function fmtRate(v) {
  if (v === null || v === undefined || Number.isNaN(Number(v))) return '–';
  const n = Number(v);
  return `${n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1)}/s`;
}

/** A rate's basis ({events, seconds} from GET /v1/stats) as a tooltip and data attributes. */
export function rateBasis(w) {
  if (!w) return {};
  return { title: `${fmtCount(w.events)} events in the last ${Number(w.seconds).toFixed(1)} s`, 'data-events': w.events, 'data-seconds': w.seconds };
}

/** Seconds as "0 s", "0.25 s", "12 s", "3 min 4 s", "2 h 5 min". */
export function fmtSeconds(s) {
  if (s === null || s === undefined || Number.isNaN(Number(s))) return '–';
  const n = Number(s);
  if (n === 0) return '0 s';
  if (n < 10) return `${Number(n.toFixed(2))} s`;
  if (n < 60) return `${Math.round(n)} s`;
  if (n < 3600) return `${Math.floor(n / 60)} min ${Math.round(n % 60)} s`;
  return `${Math.floor(n / 3600)} h ${Math.round((n % 3600) / 60)} min`;
}

/** Milliseconds as "180 ms" or "1.2 s". */
export function fmtMillis(ms) {
  if (ms === null || ms === undefined || Number.isNaN(Number(ms))) return '–';
  const n = Number(ms);
  if (n < 1000) return `${Math.round(n)} ms`;
  return fmtSeconds(n / 1000);
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** An RFC 3339 time or epoch ms as "2026-11-24 10:00:00" (UTC). */
export function fmtTime(t) {
  if (t === null || t === undefined || t === '') return '–';
  const d = new Date(typeof t === 'number' ? t : Date.parse(t));
  if (Number.isNaN(d.getTime())) return String(t);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${clock(d)}`;
}

/** "10:00:00" (UTC), or "10:00:00.250" when there are milliseconds. */
export function clock(d) {
  const ms = d.getUTCMilliseconds();
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${ms ? `.${pad(ms, 3)}` : ''}`;
}

/** Tick label for an epoch-ms axis: the time of day, with the date when the span is over a day. */
export function fmtTick(ms, spanMs) {
  const d = new Date(ms);
  const hm = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  const withSeconds = d.getUTCSeconds() ? `${hm}:${pad(d.getUTCSeconds())}` : hm;
  if (spanMs > 24 * 3600 * 1000) return `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${hm}`;
  return withSeconds;
}

/** A java.time.Duration's text ("PT1M", "PT10M", "PT168H") as "1m", "10m", "7d". */
export function fmtIsoDuration(s) {
  const ms = isoDurationMs(s);
  if (ms === null) return s ?? '';
  const units = [['d', 86400000], ['h', 3600000], ['m', 60000], ['s', 1000], ['ms', 1]];
  for (const [u, f] of units) if (ms % f === 0 && ms >= f) return `${ms / f}${u}`;
  return `${ms}ms`;
}

/** Milliseconds of an ISO-8601 duration like "PT1M30S" or "P1DT2H"; null when not one. */
export function isoDurationMs(s) {
  if (typeof s !== 'string') return null;
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(s);
  if (!m) return null;
  const [, d, h, mi, se] = m;
  return ((+d || 0) * 86400 + (+h || 0) * 3600 + (+mi || 0) * 60 + (+se || 0)) * 1000;
}

/**
 * Runs fn now and then every `ms` after each run finishes (never two at once), until stopped.
 * Returns the stop function.
 */
export function every(ms, fn) {
  let stopped = false;
  let timer = null;
  const tick = async () => {
    if (stopped) return;
    try {
      await fn();
    } catch (e) {
      console.warn(e);
    }
    if (!stopped) timer = setTimeout(tick, ms);
  };
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** The query string of filters: only non-empty values. */
export function queryString(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== null && v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
