// The chat panel: sends the conversation to /v1/chat/completions with
// stream: true, shows the tokens as they arrive, time to first token,
// tokens/s, and the route (the node serving each stage) of the answer.
import { byTestId, formatMs, formatNumber, h, replace, shortId } from './dom.js';
import { sseData } from './sse.js';

class ChatError extends Error {}

export class ChatPanel {
  // onRoute(peerIds, active): the route of the answer, active while it streams.
  // modelName(): the served model's name, for the request's `model` field.
  constructor({ onRoute, modelName }) {
    this.onRoute = onRoute;
    this.modelName = modelName;
    this.history = [];  // the conversation so far: {role, content}
    this.abort = null;
    this.form = byTestId('chat-form');
    this.prompt = byTestId('chat-prompt');
    this.list = byTestId('chat-messages');
    this.sendButton = byTestId('chat-send');
    this.stopButton = byTestId('chat-stop');
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.send();
    });
    this.prompt.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.form.requestSubmit();
      }
    });
    this.stopButton.addEventListener('click', () => this.abort?.abort());
    byTestId('chat-clear').addEventListener('click', () => {
      this.abort?.abort();
      this.history = [];
      replace(this.list);
      this.setStatus('idle', 'idle');
      this.prompt.focus();
    });
  }

  // The request's sampling fields; an empty field is left to the gateway.
  settings() {
    const number = (id) => byTestId(id).valueAsNumber;
    const out = {};
    const add = (key, value, integer = false) => {
      if (Number.isFinite(value)) out[key] = integer ? Math.trunc(value) : value;
    };
    add('temperature', number('chat-temperature'));
    add('top_p', number('chat-top-p'));
    add('top_k', number('chat-top-k'), true);
    add('max_tokens', number('chat-max-tokens'), true);
    add('seed', number('chat-seed'), true);
    return out;
  }

  setStatus(state, text) {
    const el = byTestId('chat-status');
    el.dataset.state = state;
    el.textContent = text;
  }

  setMetric(id, text) {
    byTestId(id).textContent = text;
  }

  async send() {
    const content = this.prompt.value.trim();
    if (!content || this.abort) return;
    const messages = [...this.history, { role: 'user', content }];
    const body = {
      model: this.modelName() || 'shardswarm',
      messages,
      stream: true,
      stream_options: { include_usage: true },
      ...this.settings(),
    };
    this.prompt.value = '';
    this.list.append(message('user', content));
    const answer = message('assistant', '');
    this.list.append(answer);
    const text = answer.querySelector('.text');
    this.scroll();

    const abort = new AbortController();
    this.abort = abort;
    this.list.setAttribute('aria-busy', 'true');  // screen readers read the answer once it is whole
    this.sendButton.disabled = true;
    this.stopButton.disabled = false;
    this.setStatus('waiting', 'waiting for the first token…');
    for (const id of ['chat-ttft', 'chat-tps', 'chat-tokens', 'chat-finish']) this.setMetric(id, '–');
    replace(byTestId('chat-route'));

    const start = performance.now();
    let first = null;
    let last = null;
    let pieces = 0;
    let usageTokens = null;
    let finish = null;
    let route = [];
    const showRoute = (hops) => {
      route = hops.map((hop) => hop.peer_id);
      renderRoute(hops);
      this.onRoute(route, true);
    };
    const showSpeed = () => {
      const tokens = usageTokens ?? pieces;
      this.setMetric('chat-tokens', String(tokens));
      if (first !== null && tokens > 1 && last > first) {
        this.setMetric('chat-tps', formatNumber(((tokens - 1) * 1000) / (last - first)));
      } else if (tokens > 0) {
        this.setMetric('chat-tps', formatNumber((tokens * 1000) / (performance.now() - start)));
      }
    };
    try {
      const response = await fetch('/v1/chat/completions', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        signal: abort.signal,
      });
      if (!response.ok) throw new ChatError(await errorText(response));
      const header = response.headers.get('x-shardswarm-route');
      if (header) showRoute(header.split(',').filter(Boolean).map((peer_id) => ({ peer_id })));
      this.setStatus('streaming', 'streaming');
      answer.dataset.state = 'streaming';
      for await (const data of sseData(response)) {
        if (data === '[DONE]') break;
        let chunk;
        try {
          chunk = JSON.parse(data);
        } catch {
          throw new ChatError(`the gateway sent a chunk that is not JSON: ${data.slice(0, 80)}`);
        }
        if (chunk.error) throw new ChatError(chunk.error.message || JSON.stringify(chunk.error));
        if (Array.isArray(chunk.shardswarm?.route) && chunk.shardswarm.route.length) showRoute(chunk.shardswarm.route);
        for (const choice of chunk.choices || []) {
          const piece = choice.delta?.content;
          if (typeof piece === 'string' && piece.length) {
            const now = performance.now();
            if (first === null) {
              first = now;
              this.setMetric('chat-ttft', formatMs(first - start));
            }
            last = now;
            pieces += 1;
            text.textContent += piece;
            this.scroll();
          }
          if (choice.finish_reason) finish = choice.finish_reason;
        }
        if (chunk.usage && typeof chunk.usage.completion_tokens === 'number') usageTokens = chunk.usage.completion_tokens;
        showSpeed();
      }
      showSpeed();
      this.setMetric('chat-finish', finish || '–');
      answer.dataset.state = 'done';
      this.history = [...messages, { role: 'assistant', content: text.textContent }];
      this.setStatus('done', `done (${finish || 'no finish reason'})`);
    } catch (e) {
      answer.dataset.state = 'error';
      if (e.name === 'AbortError') {
        this.setStatus('stopped', 'stopped');
      } else {
        const why = e instanceof ChatError ? e.message : `the request failed: ${e.message}`;
        answer.append(h('p', { class: 'error', role: 'alert', dataset: { testid: 'chat-error' } }, why));
        this.setStatus('error', 'error');
      }
    } finally {
      this.list.setAttribute('aria-busy', 'false');
      this.abort = null;
      this.sendButton.disabled = false;
      this.stopButton.disabled = true;
      this.onRoute(route, false);
    }
  }

  scroll() {
    this.list.scrollTop = this.list.scrollHeight;
  }
}

function message(role, content) {
  return h(
    'li',
    { class: `msg ${role}`, dataset: { role } },
    h('span', { class: 'who' }, role === 'user' ? 'you' : 'swarm'),
    h('p', { class: 'text', dataset: { testid: role === 'user' ? 'chat-question' : 'chat-answer' } }, content),
  );
}

// One line per stage: which node served it, where, which layers.
function renderRoute(hops) {
  replace(
    byTestId('chat-route'),
    hops.map((hop, i) =>
      h(
        'li',
        { dataset: { testid: 'chat-route-hop', peerId: hop.peer_id, shard: hop.shard ?? i } },
        h('span', { class: 'stage-no' }, `shard ${hop.shard ?? i}`),
        Array.isArray(hop.layers) ? h('span', { class: 'layers' }, `layers ${hop.layers[0]}-${hop.layers[1] - 1}`) : null,
        h('code', { class: 'peer', title: hop.peer_id }, shortId(hop.peer_id)),
        hop.endpoint ? h('span', { class: 'endpoint' }, hop.endpoint) : null,
      ),
    ),
  );
}

// The message of an OpenAI-style error body, or the status line.
async function errorText(response) {
  const body = await response.text();
  try {
    const j = JSON.parse(body);
    if (j.error?.message) return `${response.status}: ${j.error.message}`;
  } catch {
    // not JSON: show the status
  }
  return `${response.status} ${response.statusText}${body ? `: ${body.slice(0, 200)}` : ''}`;
}
