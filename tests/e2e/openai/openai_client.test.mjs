// End to end: the official OpenAI client library (npm `openai`) against the
// gateway of a real local swarm started by `shardswarm up` on loopback.
//
// Env: SHARDSWARM_BINARY (required) is the shardswarm program; SHARDSWARM_E2E_MODEL
// (optional) is a GGUF model to serve instead of the built-in demo model.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';

const NODES = 4;
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 20_000;
const API_LINE = /^\s*API:\s+(http:\/\/127\.0\.0\.1:\d+\/v1)\s/;
// The swarm's gateway requires this key (`up` hands SHARDSWARM_API_KEY to it).
const API_KEY = `sk-e2e-${Math.random().toString(36).slice(2)}`;

// Keeps the last part of what `up` wrote to stderr, to explain a failure.
function tailBuffer(limit = 16_384) {
  let text = '';
  return {
    add(chunk) {
      text = (text + chunk).slice(-limit);
    },
    get text() {
      return text;
    },
  };
}

// Starts `shardswarm up` and resolves with {child, baseURL, stderr} once it
// prints its API line; rejects if it exits or stays silent past the timeout.
function startSwarm(workDir) {
  const binary = process.env.SHARDSWARM_BINARY;
  if (!binary) throw new Error('set SHARDSWARM_BINARY to the shardswarm program (tests/e2e/openai/run.sh does)');
  if (!fs.existsSync(binary)) throw new Error(`SHARDSWARM_BINARY=${binary} does not exist: build it first`);
  const args = ['up', '--http-port', '0', '--work-dir', workDir, '--nodes', String(NODES)];
  if (process.env.SHARDSWARM_E2E_MODEL) args.push('--model', process.env.SHARDSWARM_E2E_MODEL);
  // `up` also reads these; the test's flags alone must decide what it serves.
  const env = { ...process.env };
  delete env.SHARDSWARM_MODEL;
  delete env.SHARDSWARM_HTTP_PORT;
  delete env.SHARDSWARM_API_KEYS_FILE;
  env.SHARDSWARM_API_KEY = API_KEY;

  const child = spawn(binary, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr = tailBuffer();
  const stdout = tailBuffer();
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => stderr.add(d));
  child.stdout.setEncoding('utf8');

  const ready = new Promise((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(() => {
      reject(new Error(`shardswarm up printed no API line within ${READY_TIMEOUT_MS / 1000} s\n` +
                       `stdout:\n${stdout.text}\nstderr:\n${stderr.text}`));
    }, READY_TIMEOUT_MS);
    child.stdout.on('data', (d) => {
      stdout.add(d);
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) {
        const m = API_LINE.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      }
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${binary}: ${e.message}`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`shardswarm up exited (code ${code}, signal ${signal}) before it was ready\n` +
                       `stdout:\n${stdout.text}\nstderr:\n${stderr.text}`));
    });
  });
  return { child, ready, stderr };
}

// SIGTERM, then waits for the exit; resolves with {code, signal} or null on timeout.
function stopSwarm(child, timeoutMs) {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
    child.kill('SIGTERM');
  });
}

function assertRoute(shardswarm, what) {
  assert.ok(shardswarm && typeof shardswarm === 'object', `${what}: response has no "shardswarm" field`);
  assert.ok(Array.isArray(shardswarm.route), `${what}: shardswarm.route is not an array`);
  assert.equal(shardswarm.route.length, NODES, `${what}: route ${JSON.stringify(shardswarm.route)}`);
  for (const hop of shardswarm.route) {
    assert.equal(typeof hop.peer_id, 'string', `${what}: hop ${JSON.stringify(hop)} has no peer_id`);
    assert.ok(hop.peer_id.length > 0);
  }
  assert.ok(Array.isArray(shardswarm.completion_tokens), `${what}: shardswarm.completion_tokens is not an array`);
}

describe('OpenAI client library against the shardswarm gateway', () => {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardswarm-e2e-'));
  let swarm = null;
  let client = null;
  let failed = false;

  // Never leave a swarm behind, even when the runner exits abruptly.
  const killOnExit = () => swarm?.child.kill('SIGKILL');
  process.on('exit', killOnExit);

  // Marks the run failed so the work dir (shards, logs) stays for a look.
  const check = (fn) => async () => {
    try {
      await fn();
    } catch (e) {
      failed = true;
      throw e;
    }
  };

  it(`starts a swarm of ${NODES} nodes and prints its API URL`, check(async () => {
    swarm = startSwarm(workDir);
    const baseURL = await swarm.ready;
    client = new OpenAI({ baseURL, apiKey: API_KEY, maxRetries: 0, timeout: 120_000 });
  }));

  it('refuses a wrong API key with 401 authentication_error', check(async () => {
    assert.ok(client, 'the swarm did not start (see the first test)');
    const stranger = new OpenAI({ baseURL: client.baseURL, apiKey: 'sk-wrong', maxRetries: 0 });
    await assert.rejects(stranger.models.list(), (e) => {
      assert.ok(e instanceof OpenAI.AuthenticationError, `expected AuthenticationError, got ${e}`);
      assert.equal(e.status, 401);
      assert.equal(e.type, 'authentication_error');
      assert.equal(e.code, 'invalid_api_key');
      return true;
    });
  }));

  // Each request test needs the swarm of the first test.
  const needSwarm = () => assert.ok(client, 'the swarm did not start (see the first test)');

  it('lists the one served model', check(async () => {
    needSwarm();
    const page = await client.models.list();
    assert.equal(page.data.length, 1, `models: ${JSON.stringify(page.data)}`);
    assert.equal(typeof page.data[0].id, 'string');
    assert.ok(page.data[0].id.length > 0);
  }));

  it('completes a non-streamed, greedy completion the same way twice', check(async () => {
    needSwarm();
    const request = { model: 'any', prompt: 'Once upon a time', max_tokens: 16, temperature: 0 };
    const { data: first, response } = await client.completions.create(request).withResponse();
    assert.equal(first.choices.length, 1);
    const choice = first.choices[0];
    assert.equal(typeof choice.text, 'string');
    assert.ok(choice.text.length > 0, 'the completion text is empty');
    assert.ok(['length', 'stop'].includes(choice.finish_reason), `finish_reason ${choice.finish_reason}`);
    assertRoute(first.shardswarm, 'completion');
    assert.ok(first.usage.completion_tokens >= 1, `usage ${JSON.stringify(first.usage)}`);
    assert.ok(first.usage.completion_tokens <= 16, `usage ${JSON.stringify(first.usage)}`);
    assert.equal(first.usage.completion_tokens, first.shardswarm.completion_tokens.length);
    const header = response.headers.get('x-shardswarm-route');
    assert.equal(header, first.shardswarm.route.map((hop) => hop.peer_id).join(','));

    const second = await client.completions.create(request);
    assert.equal(second.choices[0].text, choice.text, 'greedy decoding gave a different text');
    assert.deepEqual(second.shardswarm.completion_tokens, first.shardswarm.completion_tokens);
  }));

  it('streams a chat completion that matches the non-streamed one', check(async () => {
    needSwarm();
    const request = {
      model: 'any',
      messages: [{ role: 'user', content: 'Say hello' }],
      max_tokens: 16,
      temperature: 0,
    };
    const stream = await client.chat.completions.create({
      ...request,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.ok(chunks.length >= 2, `only ${chunks.length} chunks`);
    assert.equal(chunks[0].object, 'chat.completion.chunk');
    assert.equal(chunks[0].choices[0]?.delta?.role, 'assistant', `first chunk ${JSON.stringify(chunks[0])}`);

    let text = '';
    let finish = null;
    for (const chunk of chunks) {
      for (const c of chunk.choices) {
        if (typeof c.delta?.content === 'string') text += c.delta.content;
        if (c.finish_reason) finish = { reason: c.finish_reason, chunk };
      }
    }
    assert.ok(finish, 'no chunk carries a finish_reason');
    assert.ok(['length', 'stop'].includes(finish.reason), `finish_reason ${finish.reason}`);
    assertRoute(finish.chunk.shardswarm, 'final stream chunk');

    const usageChunk = chunks.at(-1);
    assert.deepEqual(usageChunk.choices, [], `last chunk ${JSON.stringify(usageChunk)}`);
    assert.ok(usageChunk.usage?.completion_tokens >= 1, `last chunk ${JSON.stringify(usageChunk)}`);
    assert.equal(usageChunk.usage.completion_tokens, finish.chunk.shardswarm.completion_tokens.length);

    const whole = await client.chat.completions.create(request);
    assert.equal(whole.choices[0].message.role, 'assistant');
    assert.equal(text, whole.choices[0].message.content, 'the streamed text differs from the non-streamed one');
    assert.equal(whole.usage.completion_tokens, usageChunk.usage.completion_tokens);
    assert.deepEqual(whole.shardswarm.completion_tokens, finish.chunk.shardswarm.completion_tokens);
  }));

  it(`stops on SIGTERM within ${STOP_TIMEOUT_MS / 1000} s and exits 0`, check(async () => {
    assert.ok(swarm, 'the swarm did not start (see the first test)');
    const exit = await stopSwarm(swarm.child, STOP_TIMEOUT_MS);
    assert.ok(exit !== null, `shardswarm up did not exit within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM` +
                             ` (files in ${workDir})\nstderr:\n${swarm.stderr.text}`);
    assert.deepEqual(exit, { code: 0, signal: null },
                     `shardswarm up exited with ${JSON.stringify(exit)} after SIGTERM` +
                     ` (files in ${workDir})\nstderr:\n${swarm.stderr.text}`);
  }));

  // Whatever failed above, no swarm outlives the test.
  after(async () => {
    if (swarm && swarm.child.exitCode === null && swarm.child.signalCode === null) {
      if ((await stopSwarm(swarm.child, STOP_TIMEOUT_MS)) === null) swarm.child.kill('SIGKILL');
    }
    process.off('exit', killOnExit);
    if (failed) {
      console.error(`[e2e] kept the work dir ${workDir} (shards, logs of the swarm)`);
    } else {
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  });
});
