// Small DOM helpers: build elements without innerHTML (every text from the
// swarm goes in as text, never as markup), format numbers and ids.

const SVG_NS = 'http://www.w3.org/2000/svg';

// h('div', {class: 'x', dataset: {testid: 'y'}, onclick: f}, child, 'text', ...)
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

// The same for SVG elements.
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'dataset') {
      for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) el.dataset[k] = String(v);
    } else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// Replaces the children of `el` with `children`.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

export const byTestId = (id, root = document) => root.querySelector(`[data-testid="${id}"]`);

// The 8 first hex digits of a peer id: what the event log and the page show.
export const shortId = (peerId) => (peerId || '').slice(0, 8);

export function formatRate(bytesPerS) {
  if (typeof bytesPerS !== 'number' || !Number.isFinite(bytesPerS)) return '–';
  if (bytesPerS >= 1e6) return `${(bytesPerS / 1e6).toFixed(1)} MB/s`;
  if (bytesPerS >= 1e3) return `${(bytesPerS / 1e3).toFixed(0)} kB/s`;
  return `${Math.round(bytesPerS)} B/s`;
}

export function formatMs(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '–';
  return ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;
}

export function formatNumber(x, digits = 1) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '–';
  return x.toFixed(digits);
}

export function formatTime(timeMs) {
  const d = new Date(timeMs);
  return d.toLocaleTimeString([], { hour12: false });
}
