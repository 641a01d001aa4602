// The pipeline: one stage per shard, in order, with its layer range and the
// nodes serving it; the readiness bar and what blocks readiness.
import { byTestId, formatMs, formatNumber, formatRate, h, replace, shortId } from './dom.js';
import { downloadRate, nodeState, shardLayers, shardReady } from './status.js';

const STATE_TEXT = {
  loaded: 'loaded',
  downloading: 'downloading',
  loading: 'loading',
  offline: 'offline',
  problem: 'problem',
};

// route: {peers: [peer ids, one per stage], active: true while the answer streams}
export function renderPipeline(status, route) {
  renderReadiness(status);
  renderBlockers(status.blockers || []);
  const onRoute = new Set(route.peers);
  const stages = status.shards.map((shard) => {
    const ready = shardReady(status, shard);
    const nodes = [...shard.nodes].sort((a, b) => a.peer_id.localeCompare(b.peer_id));
    return h(
      'li',
      { class: 'stage', dataset: { testid: 'shard-stage', shard: shard.shard, ready } },
      h(
        'div',
        { class: 'stage-head' },
        h('h3', {}, `Shard ${shard.shard}`),
        h('span', { class: 'layers', dataset: { testid: 'shard-layers' } }, `layers ${shardLayers(shard)}`),
        h('span', { class: `badge ${ready ? 'ok' : 'warn'}` }, ready ? 'ready' : 'not ready'),
      ),
      nodes.length
        ? h('ul', { class: 'stage-nodes' }, nodes.map((n) => nodeCard(n, shard.shard, onRoute.has(n.peer_id) ? routeMark(route) : null)))
        : h('p', { class: 'empty' }, 'no node has announced it'),
    );
  });
  replace(byTestId('pipeline'), stages);
}

const routeMark = (route) => (route.active ? 'active' : 'last');

function nodeCard(node, shard, route) {
  const state = nodeState(node);
  const dl = node.download;
  const percent = dl && typeof dl.percent === 'number' ? dl.percent : null;
  const title = route === 'active' ? 'serving the answer that streams now' : route === 'last' ? 'served the last answer' : undefined;
  return h(
    'li',
    {
      class: `node-card state-${state}${route ? ` route-${route}` : ''}`,
      title,
      dataset: { testid: 'node-card', peerId: node.peer_id, shard, state, route: route || undefined },
    },
    h(
      'div',
      { class: 'node-line' },
      h('code', { class: 'peer', title: node.peer_id }, shortId(node.peer_id)),
      h('span', { class: `pill state-${state}`, dataset: { testid: 'node-state' } }, STATE_TEXT[state] || state),
      route ? h('span', { class: 'route-tag' }, route === 'active' ? 'streaming' : 'last route') : null,
    ),
    h('div', { class: 'endpoint' }, node.rpc_endpoint || 'no endpoint'),
    percent !== null && state !== 'loaded' && state !== 'offline'
      ? h(
          'div',
          { class: 'download', dataset: { testid: 'node-download', percent: percent.toFixed(1) } },
          h('progress', { max: 100, value: percent, 'aria-label': `download of ${shortId(node.peer_id)}` }),
          h('span', {}, `${formatNumber(percent)}% at ${formatRate(downloadRate(dl))}`),
        )
      : null,
    h(
      'div',
      { class: 'node-meta' },
      h('span', { dataset: { testid: 'node-sessions' } }, `${node.sessions ?? 0} in flight`),
      h('span', { dataset: { testid: 'node-stage-ms' } }, `stage ${formatMs(node.stage_ms)}`),
    ),
    state === 'offline' && node.offline_reason ? h('div', { class: 'why' }, node.offline_reason) : null,
    state === 'problem' && node.shard_problem ? h('div', { class: 'why' }, node.shard_problem) : null,
  );
}

function renderReadiness(status) {
  const total = status.total_shards || status.shards.length;
  const ready = status.shards.filter((sh) => shardReady(status, sh)).length;
  const el = byTestId('readiness');
  el.dataset.ready = String(Boolean(status.swarm_ready));
  el.dataset.shardsReady = String(ready);
  el.dataset.totalShards = String(total);
  const nodes = status.shards.reduce((n, sh) => n + sh.nodes.length, 0);
  const online = status.shards.reduce((n, sh) => n + sh.nodes.filter((x) => nodeState(x) !== 'offline').length, 0);
  byTestId('readiness-text').textContent =
    `${status.swarm_ready ? 'Ready' : 'Not ready'}: ${ready}/${total} shards, ${online}/${nodes} nodes online` +
    (status.cluster ? ` · cluster ${status.cluster}` : '');
  const bar = byTestId('readiness-bar');
  bar.setAttribute('aria-valuemax', String(total));
  bar.setAttribute('aria-valuenow', String(ready));
  bar.setAttribute('aria-valuetext', `${ready} of ${total} shards ready`);
  bar.firstElementChild.style.width = total ? `${(100 * ready) / total}%` : '0';
  bar.classList.toggle('full', Boolean(status.swarm_ready));
}

function renderBlockers(blockers) {
  const el = byTestId('blockers');
  replace(el, blockers.map((b) => h('li', { dataset: { testid: 'blocker' } }, b)));
  el.hidden = blockers.length === 0;
}
