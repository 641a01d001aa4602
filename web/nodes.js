// The node table: every node the gateway knows, one row each, sortable by any
// column (a button in each header; aria-sort tells which and which way).
import { byTestId, formatMs, formatNumber, formatRate, h, replace, shortId } from './dom.js';
import { downloadRate, nodeState } from './status.js';

const STATE_ORDER = { loaded: 0, downloading: 1, loading: 2, problem: 3, offline: 4 };

// key, header, value to sort by, cell text.
const COLUMNS = [
  { key: 'node', label: 'Node', value: (r) => r.peer_id, text: (r) => shortId(r.peer_id) },
  { key: 'shard', label: 'Shard', value: (r) => r.shard, text: (r) => String(r.shard) },
  { key: 'layers', label: 'Layers', value: (r) => r.layer_start, text: (r) => r.layers || '?' },
  { key: 'endpoint', label: 'Endpoint', value: (r) => r.rpc_endpoint || '', text: (r) => r.rpc_endpoint || '–' },
  { key: 'state', label: 'State', value: (r) => STATE_ORDER[r.state] ?? 9, text: (r) => r.state },
  { key: 'sessions', label: 'In flight', value: (r) => r.sessions ?? 0, text: (r) => String(r.sessions ?? 0) },
  { key: 'stage_ms', label: 'Stage latency', value: (r) => r.stage_ms ?? Infinity, text: (r) => formatMs(r.stage_ms) },
  {
    key: 'download',
    label: 'Download',
    value: (r) => r.download?.percent ?? -1,
    text: (r) =>
      r.download && !['loaded', 'offline'].includes(r.state) ? `${formatNumber(r.download.percent)}% ${formatRate(downloadRate(r.download))}` : '–',
  },
  { key: 'seen', label: 'Seen', value: (r) => r.record_age_s ?? Infinity, text: (r) => `${formatNumber(r.record_age_s ?? NaN, 0)} s ago` },
];

export class NodeTable {
  constructor() {
    this.table = byTestId('node-table');
    this.sortKey = 'shard';
    this.ascending = true;
    this.rows = [];
    this.renderHead();
  }

  renderHead() {
    const cells = COLUMNS.map((c) => {
      const sorted = c.key === this.sortKey;
      return h(
        'th',
        { scope: 'col', 'aria-sort': sorted ? (this.ascending ? 'ascending' : 'descending') : 'none' },
        h(
          'button',
          { type: 'button', class: 'sort', dataset: { testid: `sort-${c.key}` }, onclick: () => this.sortBy(c.key) },
          c.label,
          h('span', { class: 'arrow', 'aria-hidden': 'true' }, sorted ? (this.ascending ? '▲' : '▼') : ''),
        ),
      );
    });
    replace(this.table.tHead.rows[0], cells);
  }

  sortBy(key) {
    if (key === this.sortKey) this.ascending = !this.ascending;
    else {
      this.sortKey = key;
      this.ascending = true;
    }
    const focused = document.activeElement?.dataset?.testid;
    this.renderHead();
    this.renderBody();
    // Keep keyboard focus on the header just used.
    if (focused) byTestId(focused, this.table)?.focus();
  }

  update(status) {
    this.rows = status.shards.flatMap((sh) => sh.nodes.map((n) => ({ ...n, shard: sh.shard, state: nodeState(n) })));
    this.renderBody();
  }

  renderBody() {
    const column = COLUMNS.find((c) => c.key === this.sortKey);
    const byShard = COLUMNS[1];
    const sign = this.ascending ? 1 : -1;
    const rows = [...this.rows].sort((a, b) => {
      const x = column.value(a);
      const y = column.value(b);
      const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return sign * order || byShard.value(a) - byShard.value(b) || a.peer_id.localeCompare(b.peer_id);
    });
    replace(
      this.table.tBodies[0],
      rows.length
        ? rows.map((r) =>
            h(
              'tr',
              { class: `state-${r.state}`, dataset: { testid: 'node-row', peerId: r.peer_id, shard: r.shard, state: r.state } },
              COLUMNS.map((c) => h(c.key === 'node' ? 'th' : 'td', c.key === 'node' ? { scope: 'row', title: r.peer_id } : {}, c.text(r))),
            ),
          )
        : h('tr', {}, h('td', { colspan: COLUMNS.length, class: 'empty' }, 'no node has announced itself yet')),
    );
  }
}
