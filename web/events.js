// The event log: the gateway's journal over SSE (/api/events). On connect the
// gateway replays its recent history, so the log survives a reload; after a
// dropped connection EventSource resumes with Last-Event-ID.
import { byTestId, formatTime, h, replace, shortId } from './dom.js';

const KINDS = ['node', 'download', 'request', 'status', 'error'];
const KEEP = 500;

export class EventLog {
  // onEvent(event) runs for every new event (the app refreshes the status on some).
  constructor({ onEvent }) {
    this.onEvent = onEvent;
    this.events = [];  // oldest first
    this.ids = new Set();
    this.kinds = new Set(KINDS);
    this.node = '';
    this.nodes = new Set();
    this.scheduled = false;
    this.list = byTestId('event-log');
    this.nodeSelect = byTestId('event-filter-node');
    this.renderKindFilters();
    this.nodeSelect.addEventListener('change', () => {
      this.node = this.nodeSelect.value;
      this.render();
    });
  }

  connect() {
    const state = byTestId('events-connection');
    this.source = new EventSource('/api/events');
    this.source.onopen = () => {
      state.dataset.state = 'live';
      state.textContent = 'live';
    };
    this.source.onerror = () => {
      // EventSource reconnects by itself, sending the last id it saw.
      state.dataset.state = 'reconnecting';
      state.textContent = 'reconnecting';
    };
    this.source.onmessage = (m) => {
      let event;
      try {
        event = JSON.parse(m.data);
      } catch {
        return;  // not ours to show
      }
      this.add(event);
    };
  }

  // Node short ids the status knows, so the filter lists nodes before their first event.
  knowNodes(shortIds) {
    const fresh = shortIds.filter((id) => id && !this.nodes.has(id));
    for (const id of fresh) this.nodes.add(id);
    if (fresh.length) this.renderNodeOptions();
  }

  add(event) {
    if (typeof event.id === 'number') {
      if (this.ids.has(event.id)) return;
      this.ids.add(event.id);
    }
    // Filter on the 8-digit short id the page shows everywhere.
    event.short = shortId(event.node || event.peer_id);
    this.events.push(event);
    if (this.events.length > KEEP) {
      const gone = this.events.splice(0, this.events.length - KEEP);
      for (const e of gone) this.ids.delete(e.id);
    }
    if (event.short) this.knowNodes([event.short]);
    this.onEvent(event);
    this.schedule();
  }

  // Many events arrive at once on a replay: draw once per frame.
  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.render();
    });
  }

  renderKindFilters() {
    const box = byTestId('event-filter-kinds');
    for (const kind of KINDS) {
      const input = h('input', {
        type: 'checkbox',
        checked: true,
        value: kind,
        dataset: { testid: `event-filter-kind-${kind}` },
        onchange: (e) => {
          if (e.target.checked) this.kinds.add(kind);
          else this.kinds.delete(kind);
          this.render();
        },
      });
      box.append(h('label', { class: `kind kind-${kind}` }, input, kind));
    }
  }

  renderNodeOptions() {
    const current = this.nodeSelect.value;
    const options = [...this.nodes].sort().map((id) => h('option', { value: id }, id));
    replace(this.nodeSelect, h('option', { value: '' }, 'all nodes'), options);
    this.nodeSelect.value = current;
  }

  render() {
    const shown = this.events.filter((e) => this.kinds.has(e.kind) && (!this.node || involves(e, this.node)));
    const items = shown
      .slice()
      .reverse()
      .map((e) =>
        h(
          'li',
          {
            class: `event kind-${e.kind}`,
            dataset: {
              testid: 'event-item',
              id: e.id,
              kind: e.kind,
              node: e.short,
              state: e.state,
              route: Array.isArray(e.route) ? e.route.map((p) => shortId(p)).join(',') : undefined,
            },
          },
          Number.isFinite(e.time_ms)
            ? h('time', { datetime: new Date(e.time_ms).toISOString() }, formatTime(e.time_ms))
            : h('time', {}, '–'),
          h('span', { class: `kind-tag kind-${e.kind}` }, e.kind),
          e.short ? h('code', { class: 'peer', title: e.peer_id || e.node }, e.short) : null,
          e.shard !== null && e.shard !== undefined ? h('span', { class: 'shard' }, `shard ${e.shard}`) : null,
          h('span', { class: 'message' }, e.message || ''),
          Array.isArray(e.route) && e.route.length
            ? h('span', { class: 'event-route' }, 'route ', e.route.map((p) => shortId(p)).join(' → '))
            : null,
        ),
      );
    replace(this.list, items.length ? items : h('li', { class: 'empty' }, 'no events to show'));
    byTestId('event-count').textContent =
      shown.length === this.events.length ? `${this.events.length} events` : `${shown.length} of ${this.events.length} events`;
  }
}

// Whether an event concerns the node with this short id: its own, or a
// request whose route went through it.
function involves(event, short) {
  return event.short === short || (Array.isArray(event.route) && event.route.some((p) => shortId(p) === short));
}
