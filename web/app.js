// The console's entry point: wires the status poll, the event stream, the
// chat and the charts to the page (index.html).
import { byTestId, formatNumber, shortId } from './dom.js';
import { Charts } from './charts.js';
import { ChatPanel } from './chat.js';
import { EventLog } from './events.js';
import { NodeTable } from './nodes.js';
import { renderPipeline } from './pipeline.js';
import { StatusPoller } from './status.js';
import { setUpTheme } from './theme.js';

setUpTheme(byTestId('theme-toggle'));

let status = null;
let route = { peers: [], active: false };
const table = new NodeTable();

function draw() {
  if (!status) return;
  renderPipeline(status, route);
  table.update(status);
}

function showStats(stats) {
  if (!stats) return;
  byTestId('stat-tokens-per-s').textContent = formatNumber(stats.tokens_per_s);
  byTestId('stat-queue-depth').textContent = formatNumber(stats.queue_depth);
  byTestId('stat-sessions').textContent = String(stats.sessions_in_flight ?? '–');
  byTestId('stat-requests').textContent = String(stats.requests_total ?? '–');
}

// Node and status events mean the pipeline changed: look again now (the
// poller is made below; events only flow once connect() runs at the end).
const events = new EventLog({
  onEvent(event) {
    if (event.kind === 'node' || event.kind === 'status' || event.kind === 'download') poller.refresh();
  },
});

const gatewayError = byTestId('gateway-error');
const poller = new StatusPoller({
  onStatus(next) {
    status = next;
    gatewayError.hidden = true;
    byTestId('model-name').textContent = next.model ? `${next.model.name} · ${next.model.n_layer} layers` : 'no model yet';
    showStats(next.stats);
    events.knowNodes(next.shards.flatMap((sh) => sh.nodes.map((n) => shortId(n.peer_id))));
    draw();
  },
  onError(e) {
    gatewayError.textContent = `Cannot reach the gateway (${e.message}); retrying.`;
    gatewayError.hidden = false;
  },
  // The page again: the gateway answers it with its key prompt (login.html).
  onUnauthorized() {
    location.reload();
  },
});

new ChatPanel({
  onRoute(peers, active) {
    route = { peers, active };
    draw();
  },
  modelName: () => status?.model?.name,
});

poller.start();
events.connect();
new Charts().start();
