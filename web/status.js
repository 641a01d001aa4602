// The swarm as /api/status reports it: polled once a second (sooner when an
// event says something changed), each snapshot handed to the listeners.

const POLL_MS = 1000;

const DOWNLOAD_OVER = new Set(['error', 'done', 'finished', 'seeding']);

// A node's state: the gateway's `state` field, or, from an older gateway,
// the same decision made from the record's fields. A node fetching its shard
// is "downloading" even when it also reports the missing file as a problem:
// the file is missing because it is on its way.
export function nodeState(node) {
  const fetching = Boolean(node.download) && !DOWNLOAD_OVER.has(node.download.state);
  if (typeof node.state === 'string' && node.state) {
    return node.state === 'problem' && fetching ? 'downloading' : node.state;
  }
  if (!node.online) return 'offline';
  if (node.shard_loaded) return 'loaded';
  if (fetching) return 'downloading';
  if (node.shard_problem) return 'problem';
  return 'loading';
}

// The download's rate in bytes per second (`rate_bytes_s`, or `rate` before it).
export function downloadRate(download) {
  if (!download) return null;
  return download.rate_bytes_s ?? download.rate ?? null;
}

// Whether shard k can serve: a loaded node of the swarm's model and no blocker
// naming it (blockers read "shard K: ...", as in `shardswarm status`).
export function shardReady(status, shard) {
  const blocked = (status.blockers || []).some((b) => b.startsWith(`shard ${shard.shard}:`));
  return !blocked && shard.nodes.some((n) => nodeState(n) === 'loaded');
}

// The layer range a shard covers, "0-1" (inclusive), from any node that knows it.
export function shardLayers(shard) {
  const node = shard.nodes.find((n) => n.layer_end > n.layer_start);
  return node ? `${node.layer_start}-${node.layer_end - 1}` : '?';
}

export class StatusPoller {
  constructor({ onStatus, onError, onUnauthorized }) {
    this.onStatus = onStatus;
    this.onError = onError;
    this.onUnauthorized = onUnauthorized;
    this.timer = null;
    this.inFlight = false;
    this.again = false;
  }

  start() {
    this.poll();
  }

  // Polls now (after the current poll, if one runs).
  refresh() {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.poll();
  }

  async poll() {
    this.inFlight = true;
    try {
      const response = await fetch('/api/status', { cache: 'no-store' });
      // 401: the gateway needs an API key and the console's cookie is gone
      // (the gateway restarted, or was given other keys).
      if (response.status === 401 && this.onUnauthorized) return this.onUnauthorized();
      if (!response.ok) throw new Error(`/api/status answered ${response.status}`);
      this.onStatus(await response.json());
    } catch (e) {
      this.onError(e);
    } finally {
      this.inFlight = false;
      const delay = this.again ? 0 : POLL_MS;
      this.again = false;
      this.timer = setTimeout(() => this.poll(), delay);
    }
  }
}
