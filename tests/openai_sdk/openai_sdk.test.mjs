// End-to-end test of binserve's OpenAI-compatible HTTP API through the
// official OpenAI Node SDK: what a real client library sends and what it
// accepts back. Each case states the OpenAI contract it checks.
//
// Run by run.sh, which starts `binserve serve` on stories260K and sets
// BINSERVE_URL (http://127.0.0.1:PORT, no /v1). Node 18+, ESM, no build step.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI, { APIUserAbortError, BadRequestError, NotFoundError } from 'openai';

const server = process.env.BINSERVE_URL;
if (!server) throw new Error('BINSERVE_URL is not set: run this test through run.sh');

// No retries: a retried request would hide the failure it answers with.
const client = new OpenAI({ baseURL: `${server}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
const prompt = 'Once upon a time';
const chatMessages = [{ role: 'user', content: prompt }];
let model = '';  // the served model's id, from /v1/models

before(async () => {
  const models = await client.models.list();
  assert.ok(models.data.length >= 1, 'models.list() names the served model');
  model = models.data[0].id;
});

const greedy = (params) => ({ model, prompt, temperature: 0, ...params });
const greedyChat = (params) => ({ model, messages: chatMessages, temperature: 0, ...params });

// Reads a whole SDK stream into an array of chunks.
async function collect(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

// Concatenated text of one choice index across completion chunks.
const streamedText = (chunks, index = 0) =>
  chunks.flatMap((c) => c.choices.filter((ch) => ch.index === index).map((ch) => ch.text)).join('');

// A stop string from the middle of `text`: a word at about half its length,
// with the text before its first occurrence, which a server must return.
function stopFromMiddle(text) {
  const at = text.indexOf(' ', Math.floor(text.length / 2));
  assert.ok(at > 0, `greedy text long enough to cut: ${JSON.stringify(text)}`);
  const stop = text.slice(at, at + 5);
  return { stop, cut: text.slice(0, text.indexOf(stop)) };
}

test('completions: text, usage and finish_reason "length"', async () => {
  const r = await client.completions.create(greedy({ max_tokens: 12 }));
  assert.equal(r.object, 'text_completion');
  assert.equal(r.choices.length, 1);
  const [c] = r.choices;
  assert.ok(c.text.length > 0, 'non-empty text');
  assert.equal(c.index, 0);
  assert.equal(c.finish_reason, 'length');
  assert.ok(r.usage.prompt_tokens > 0, 'prompt_tokens > 0');
  assert.equal(r.usage.completion_tokens, 12, 'completion_tokens = the tokens generated');
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
});

test('completions streamed: chunks concatenate to the greedy text, then a finish_reason', async () => {
  const whole = await client.completions.create(greedy({ max_tokens: 16 }));
  const chunks = await collect(await client.completions.create(greedy({ max_tokens: 16, stream: true })));
  assert.ok(chunks.length >= 2, 'more than one chunk');
  for (const c of chunks) assert.equal(c.object, 'text_completion');
  assert.equal(streamedText(chunks), whole.choices[0].text);
  const finishes = chunks.flatMap((c) => c.choices).filter((ch) => ch.finish_reason != null);
  assert.deepEqual(finishes.map((ch) => ch.finish_reason), ['length'], 'exactly one finish_reason');
  assert.equal(chunks.at(-1).choices[0].finish_reason, 'length', 'the last chunk carries it');
});

test('chat: an assistant message with content', async () => {
  const r = await client.chat.completions.create(greedyChat({ max_tokens: 12 }));
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.ok(r.choices[0].message.content.length > 0, 'non-empty content');
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(r.usage.completion_tokens, 12);
});

test('chat streamed: finalChatCompletion() assembles the greedy message', async () => {
  const whole = await client.chat.completions.create(greedyChat({ max_tokens: 16 }));
  const stream = client.chat.completions.stream(greedyChat({ max_tokens: 16 }));
  // Throws "missing role for choice 0" unless the first delta carries the role.
  const final = await stream.finalChatCompletion();
  assert.equal(final.choices.length, 1);
  assert.equal(final.choices[0].message.role, 'assistant');
  assert.equal(final.choices[0].message.content, whole.choices[0].message.content);
  assert.equal(final.choices[0].finish_reason, 'length');
});

// With include_usage the last chunk before [DONE] has usage and no choices;
// every other chunk has usage null.
function assertUsageChunk(chunks, expectedUsage) {
  const last = chunks.at(-1);
  assert.ok(last.usage, `the last chunk before [DONE] has usage: ${JSON.stringify(last)}`);
  assert.deepEqual(last.choices, [], 'the usage chunk has empty choices');
  assert.equal(last.usage.prompt_tokens, expectedUsage.prompt_tokens);
  assert.equal(last.usage.completion_tokens, expectedUsage.completion_tokens);
  assert.equal(last.usage.total_tokens, expectedUsage.total_tokens);
  for (const c of chunks.slice(0, -1)) assert.ok(c.usage == null, 'usage only on the last chunk');
}

test('completions streamed with include_usage: a final usage chunk', async () => {
  const whole = await client.completions.create(greedy({ max_tokens: 8 }));
  const chunks = await collect(await client.completions.create(
      greedy({ max_tokens: 8, stream: true, stream_options: { include_usage: true } })));
  assertUsageChunk(chunks, whole.usage);
  assert.equal(streamedText(chunks), whole.choices[0].text);
});

test('chat streamed with include_usage: a final usage chunk', async () => {
  const whole = await client.chat.completions.create(greedyChat({ max_tokens: 8 }));
  const chunks = await collect(await client.chat.completions.create(
      greedyChat({ max_tokens: 8, stream: true, stream_options: { include_usage: true } })));
  assertUsageChunk(chunks, whole.usage);
});

test('stop: the text ends right before the stop string, finish_reason "stop"', async () => {
  const whole = await client.completions.create(greedy({ max_tokens: 24 }));
  const { stop, cut } = stopFromMiddle(whole.choices[0].text);
  const r = await client.completions.create(greedy({ max_tokens: 24, stop: [stop, '\u0000never'] }));
  assert.equal(r.choices[0].text, cut, `cut before ${JSON.stringify(stop)}`);
  assert.equal(r.choices[0].finish_reason, 'stop');

  const chat = await client.chat.completions.create(greedyChat({ max_tokens: 24 }));
  const chatStop = stopFromMiddle(chat.choices[0].message.content);
  const rc = await client.chat.completions.create(greedyChat({ max_tokens: 24, stop: chatStop.stop }));
  assert.equal(rc.choices[0].message.content, chatStop.cut);
  assert.equal(rc.choices[0].finish_reason, 'stop');
});

test('stop streamed: no byte of the stop string is sent', async () => {
  const whole = await client.completions.create(greedy({ max_tokens: 24 }));
  const { stop, cut } = stopFromMiddle(whole.choices[0].text);
  const chunks = await collect(await client.completions.create(greedy({ max_tokens: 24, stop, stream: true })));
  assert.equal(streamedText(chunks), cut, `cut before ${JSON.stringify(stop)}`);
  assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');

  const chat = await client.chat.completions.create(greedyChat({ max_tokens: 24 }));
  const chatStop = stopFromMiddle(chat.choices[0].message.content);
  const final = await client.chat.completions.stream(greedyChat({ max_tokens: 24, stop: chatStop.stop }))
      .finalChatCompletion();
  assert.equal(final.choices[0].message.content, chatStop.cut);
  assert.equal(final.choices[0].finish_reason, 'stop');
});

const sampled = { temperature: 1, seed: 1234, n: 2, max_tokens: 8 };

test('n = 2: two choices, indices 0 and 1, usage counts both', async () => {
  const r = await client.completions.create({ model, prompt, ...sampled });
  assert.deepEqual(r.choices.map((c) => c.index).sort(), [0, 1]);
  for (const c of r.choices) {
    assert.ok(c.text.length > 0, `choice ${c.index} has text`);
    assert.ok(['length', 'stop'].includes(c.finish_reason), `choice ${c.index} finish_reason`);
  }
  if (r.choices.every((c) => c.finish_reason === 'length'))
    assert.equal(r.usage.completion_tokens, 2 * sampled.max_tokens, 'completion_tokens sums both choices');

  const chat = await client.chat.completions.create({ model, messages: chatMessages, ...sampled });
  assert.deepEqual(chat.choices.map((c) => c.index).sort(), [0, 1]);
  for (const c of chat.choices) assert.equal(c.message.role, 'assistant');
});

test('n = 2 streamed: chunks of both indices, one finish_reason each', async () => {
  const chunks = await collect(await client.completions.create({ model, prompt, ...sampled, stream: true }));
  const choices = chunks.flatMap((c) => c.choices);
  assert.deepEqual([...new Set(choices.map((ch) => ch.index))].sort(), [0, 1]);
  for (const index of [0, 1]) {
    const finishes = choices.filter((ch) => ch.index === index && ch.finish_reason != null);
    assert.equal(finishes.length, 1, `choice ${index} finishes once`);
    assert.ok(streamedText(chunks, index).length > 0, `choice ${index} has text`);
  }

  const final = await client.chat.completions.stream({ model, messages: chatMessages, ...sampled })
      .finalChatCompletion();
  assert.deepEqual(final.choices.map((c) => c.index).sort(), [0, 1]);
  for (const c of final.choices) {
    assert.equal(c.message.role, 'assistant');
    assert.ok(c.message.content.length > 0, `chat choice ${c.index} has content`);
  }
});

// Under greedy decoding the chosen token is the most likely one.
function assertGreedyChoice(logprob, topLogprobs, what) {
  const best = Math.max(...topLogprobs);
  assert.ok(logprob <= 0, `${what}: a log probability is <= 0`);
  assert.ok(Math.abs(logprob - best) < 1e-4, `${what}: greedy picked ${logprob}, top was ${best}`);
}

test('completions logprobs: tokens, token_logprobs, top_logprobs per token', async () => {
  const r = await client.completions.create(greedy({ max_tokens: 8, logprobs: 2 }));
  const lp = r.choices[0].logprobs;
  assert.ok(lp, 'choices[0].logprobs is set');
  const n = r.usage.completion_tokens;
  assert.equal(lp.tokens.length, n, 'one token per generated token');
  assert.equal(lp.token_logprobs.length, n);
  assert.equal(lp.top_logprobs.length, n);
  assert.equal(lp.tokens.join(''), r.choices[0].text, 'the tokens spell the text');
  lp.tokens.forEach((token, i) => {
    const top = lp.top_logprobs[i];
    assert.ok(Object.keys(top).length >= 1 && Object.keys(top).length <= 3, `top_logprobs[${i}] has 1..3 entries`);
    assert.ok(token in top, `top_logprobs[${i}] holds the greedy token ${JSON.stringify(token)}`);
    assertGreedyChoice(lp.token_logprobs[i], Object.values(top), `token ${i}`);
  });
});

test('chat logprobs: content[i] = {token, logprob, bytes, top_logprobs}', async () => {
  const r = await client.chat.completions.create(greedyChat({ max_tokens: 8, logprobs: true, top_logprobs: 2 }));
  const content = r.choices[0].logprobs?.content;
  assert.ok(Array.isArray(content), 'choices[0].logprobs.content is an array');
  assert.equal(content.length, r.usage.completion_tokens, 'one entry per generated token');
  assert.equal(content.map((e) => e.token).join(''), r.choices[0].message.content);
  content.forEach((e, i) => {
    assert.equal(typeof e.token, 'string');
    assert.deepEqual(e.bytes, [...Buffer.from(e.token, 'utf8')], `bytes of token ${i}`);
    assert.equal(e.top_logprobs.length, 2, `top_logprobs of token ${i}`);
    for (const t of e.top_logprobs) assert.deepEqual(Object.keys(t).sort(), ['bytes', 'logprob', 'token']);
    assert.equal(e.top_logprobs[0].token, e.token, `token ${i} is the most likely one`);
    assertGreedyChoice(e.logprob, e.top_logprobs.map((t) => t.logprob), `token ${i}`);
  });
});

async function cancelledTotal() {
  const text = await (await fetch(`${server}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('binserve_requests_cancelled_total'));
  assert.ok(line, '/metrics has binserve_requests_cancelled_total');
  return Number(line.trim().split(/\s+/).at(-1));
}

// The server cancels a request when its client goes away; the counter moves
// once the service has processed the cancel, so poll for it briefly.
async function waitForCancelledAbove(before) {
  for (let i = 0; i < 50; i++) {
    const now = await cancelledTotal();
    if (now > before) return now;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`binserve_requests_cancelled_total stayed at ${before} after a client abort`);
}

test('abort mid-stream: the SDK reports the abort, the server cancels and goes on', async () => {
  const before = await cancelledTotal();

  // Completions: aborting the signal ends the SDK's iteration early, without a finish_reason.
  const ac = new AbortController();
  const stream = await client.completions.create(greedy({ max_tokens: 200, stream: true }), { signal: ac.signal });
  const seen = [];
  for await (const chunk of stream) {
    seen.push(chunk);
    if (seen.length === 3) ac.abort();
  }
  assert.ok(ac.signal.aborted);
  assert.ok(seen.length < 200, `stopped early (${seen.length} chunks)`);
  assert.ok(seen.every((c) => c.choices.every((ch) => ch.finish_reason == null)), 'no finish_reason seen');
  const afterCompletions = await waitForCancelledAbove(before);

  // Chat through the stream helper: the abort surfaces as APIUserAbortError.
  const chatAbort = new AbortController();
  const chat = client.chat.completions.stream(greedyChat({ max_tokens: 200 }), { signal: chatAbort.signal });
  let deltas = 0;
  chat.on('chunk', () => { if (++deltas === 3) chatAbort.abort(); });
  await assert.rejects(chat.finalChatCompletion(), APIUserAbortError);
  await waitForCancelledAbove(afterCompletions);

  // The server survived both.
  const r = await client.completions.create(greedy({ max_tokens: 4 }));
  assert.equal(r.choices[0].finish_reason, 'length');
});

test('errors: an unsupported parameter is a BadRequestError naming it', async () => {
  const err = await client.completions.create(greedy({ max_tokens: 4, best_of: 3 })).then(
      () => assert.fail('best_of: 3 was accepted'), (e) => e);
  assert.ok(err instanceof BadRequestError, `BadRequestError, got ${err}`);
  assert.equal(err.status, 400);
  assert.match(err.message, /best_of/);
  assert.equal(err.param, 'best_of');
});

test('errors: an unknown model is a NotFoundError with code model_not_found', async () => {
  const err = await client.chat.completions.create(greedyChat({ model: 'no-such-model', max_tokens: 4 })).then(
      () => assert.fail('model "no-such-model" was accepted'), (e) => e);
  assert.ok(err instanceof NotFoundError, `NotFoundError, got ${err}`);
  assert.equal(err.status, 404);
  assert.equal(err.code, 'model_not_found');

  const completions = await client.completions.create(greedy({ model: 'no-such-model', max_tokens: 4 })).then(
      () => assert.fail('model "no-such-model" was accepted by completions'), (e) => e);
  assert.ok(completions instanceof NotFoundError, `NotFoundError, got ${completions}`);
});
