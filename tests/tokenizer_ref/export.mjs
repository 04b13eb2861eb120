// Writes what tests/gpu/bpe_reference_test.cpp checks binserve's byte-level BPE
// against, for tokenizers others wrote: llama3-tokenizer-js (Llama 3's
// vocabulary: tokens, merges in rank order, the special tokens) and
// gpt-tokenizer's cl100k_base and r50k_base (GPT-2's, with GPT-2's
// pre-tokenizer; tiktoken ranks, from which the merges are derived as
// Hugging Face converts tiktoken files), and @huggingface/tokenizers running
// SmolLM2's and Qwen2's pre-tokenizers over GPT-2's vocabulary, with, for 10,000+ strings
// made here from a fixed seed, the ids each gives (no BOS/EOS).
// Usage: node export.mjs OUT.json
import { writeFileSync } from 'node:fs';
import llama3 from 'llama3-tokenizer-js';
import cl100kRanks from 'gpt-tokenizer/esm/bpeRanks/cl100k_base';
import { encode as cl100kEncode } from 'gpt-tokenizer/encoding/cl100k_base';
import r50kRanks from 'gpt-tokenizer/esm/bpeRanks/r50k_base';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { encode as r50kEncode } from 'gpt-tokenizer/encoding/r50k_base';

let state = 20261207;
const rand = (n) => {  // xorshift32, the same strings every run
  state ^= state << 13; state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5; state >>>= 0;
  return state % n;
};
const pick = (list) => list[rand(list.length)];

const fragments = [
  // English, contractions in every case
  "Hello world", "The quick brown fox jumps over the lazy dog.", "I'm sure they'll say it's fine, aren't they?",
  "DON'T SHOUT", "We've been there; you'd know.", "O'Reilly's book", "rock 'n' roll", "it's", "IT'S", "'s 't 're",
  // other languages and scripts
  "Bonjour, ça va ? Très bien, merci !", "Grüße aus München — schöne Straße", "¿Dónde está la biblioteca?",
  "Привет, как дела? Всё хорошо.", "Καλημέρα κόσμε", "你好，世界！今天天气很好。", "日本語のテキストです。カタカナもあります",
  "안녕하세요 세계", "مرحبا بالعالم", "नमस्ते दुनिया", "Xin chào thế giới", "สวัสดีชาวโลก", "שלום עולם",
  "Tiếng Việt có dấu", "ﬁnance ﬂow", "Ⅻ ⅻ", "ǅungla", "ſtreet", "İstanbul ıı",
  // code
  "def f(x):\n    return x ** 2\n", "for (int i = 0; i < n; ++i) {\n\ty[i] += a * x[i];\n}", "{\"key\": [1, 2.5, null]}",
  "#include <vector>\r\nint main() { return 0; }\r\n", "SELECT * FROM t WHERE id = 42;", "x = a->b ?? c || d && !e",
  "    indented\n        more\n", "<div class=\"a\">&amp;</div>", "https://example.com/path?q=1&r=2#frag",
  // emoji
  "😀", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷🇯🇵", "❤️‍🔥", "🤖 robots 🤖🤖", "∑∫√∞≈≠", "©®™",
  // digits
  "12345", "1234567890123", "3.14159", "1,234,567", "2026-12-07", "0x1F600", "١٢٣٤", "٣.١٤", "１２３",
  // whitespace
  "   ", "\t\t", "\n\n\n", "\r\n", " \n ", "a  b   c    d", "\u00a0non-breaking\u00a0space", "\u3000ideographic",
  "trailing   ", "   leading", "\u2028line\u2029para",
  // special-token text
  "<|begin_of_text|>", "<|eot_id|>", "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
  "<|eot", "<|reserved_special_token_5|>", "<|eot_id|><|eot_id|>", "< |eot_id| >",
];
const separators = ["", " ", "  ", "\n", "\t", ", ", ". ", "\n\n", "-", "'"];
const ranges = [[0x20, 0x7e], [0xa0, 0x24f], [0x370, 0x3ff], [0x400, 0x4ff], [0x590, 0x6ff], [0x900, 0x97f],
                [0x3040, 0x30ff], [0x4e00, 0x4fff], [0xac00, 0xacff], [0x2000, 0x206f], [0x1f300, 0x1f64f]];
const randomText = () => {
  let s = "";
  for (let n = 1 + rand(12); n > 0; --n) {
    const [a, b] = pick(ranges);
    s += String.fromCodePoint(a + rand(b - a + 1));
  }
  return s;
};

const texts = new Set(fragments);
while (texts.size < 10000) {
  let s = "";
  for (let n = 1 + rand(6); n > 0; --n) s += (s ? pick(separators) : "") + (rand(5) === 0 ? randomText() : pick(fragments));
  texts.add(s);
}
// GPT-2's byte characters: printable bytes stand for themselves, the other
// 68 take code points 256, 257, ... in byte order.
const byteChar = [];
for (let b = 0, next = 256; b < 256; ++b) {
  const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  byteChar.push(String.fromCodePoint(printable ? b : next++));
}
const utf8 = new TextEncoder();

// cl100k_base as tokens and merges: token r's bytes (a string's UTF-8, or a
// byte array), and for each multi-byte token the two parts BPE with only
// lower ranks leaves it in (tiktoken's merge order is its ranks').
function fromRanks(ranks, name) {
  const bytesOf = ranks.map((t) => (typeof t === 'string' ? [...utf8.encode(t)] : t));
  const key = (bs) => String.fromCharCode(...bs);
  const rank = new Map(bytesOf.map((bs, r) => [key(bs), r]));
  const merges = [];
  bytesOf.forEach((bs, r) => {
    if (bs.length < 2) return;
    let parts = bs.map((b) => [b]);
    for (;;) {
      let best = -1, bestRank = Infinity;
      for (let i = 0; i + 1 < parts.length; ++i) {
        const pr = rank.get(key([...parts[i], ...parts[i + 1]]));
        if (pr !== undefined && pr < bestRank) { best = i; bestRank = pr; }
      }
      if (best < 0 || bestRank >= r) break;
      parts.splice(best, 2, [...parts[best], ...parts[best + 1]]);
    }
    if (parts.length !== 2) throw new Error(`${name} token ${r} does not split in two`);
    merges.push(parts.map((p) => p.map((b) => byteChar[b]).join('')).join(' '));
  });
  return { tokens: bytesOf.map((bs) => bs.map((b) => byteChar[b]).join('')), merges };
}

// A pre-tokenizer as a model's tokenizer.json states it (SmolLM2's, Qwen2's),
// run by Hugging Face's own JavaScript tokenizers over GPT-2's vocabulary
// and merges: what binserve's pre-tokenizer of that GGUF name must match.
// `added`: tokens added to the vocabulary after it, {content, special}; the
// texts then carry them at places a fixed seed picks (one in four).
function hfReference(pre, vocab, preTokenizer, added = []) {
  const addedTokens = added.map((a, i) => ({ id: vocab.tokens.length + i, content: a.content, single_word: false,
                                             lstrip: false, rstrip: false, normalized: false, special: a.special }));
  const tokenizerJson = {
    version: '1.0', added_tokens: addedTokens, normalizer: null, post_processor: null,
    pre_tokenizer: preTokenizer,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
             fuse_unk: false, byte_fallback: false, ignore_merges: false,
             vocab: Object.fromEntries(vocab.tokens.map((t, id) => [t, id])), merges: vocab.merges },
  };
  const hf = new HfTokenizer(tokenizerJson, {});
  const texts = added.length === 0 ? list : list.map((text) => {
    if (rand(4) !== 0) return text;
    const cut = [...text].slice(0, rand(text.length + 1)).join('');
    return cut + pick(added).content + text.slice(cut.length);
  });
  return { reference: `@huggingface/tokenizers 0.2.0, ${pre} pre-tokenizer over GPT-2's vocabulary` +
                      (added.length ? `, ${added.length} added tokens` : ''), pre,
           tokens: vocab.tokens.concat(added.map((a) => a.content)), merges: vocab.merges,
           specials: addedTokens.filter((a) => a.special).map((a) => a.id),
           user_defined: addedTokens.filter((a) => !a.special).map((a) => a.id), bos: 0, eos: 0, eot: -1,
           cases: texts.map((text) => ({ text, ids: hf.encode(text, { add_special_tokens: false }).ids })) };
}

const list = [...texts];
const c = fromRanks(cl100kRanks, 'cl100k_base');
const g = fromRanks(r50kRanks, 'r50k_base');
const references = [
  { reference: "llama3-tokenizer-js 1.2.0", pre: "llama-bpe", tokens: llama3.vocabById,
    merges: [...llama3.merges.entries()].sort((a, b) => a[1] - b[1]).map(([m]) => m),
    specials: llama3.vocabById.map((_, id) => id).filter((id) => id >= 128000),
    bos: 128000, eos: 128001, eot: 128009,
    cases: list.map((text) => ({ text, ids: llama3.encode(text, { bos: false, eos: false }) })) },
  { reference: "gpt-tokenizer 4.0.0 cl100k_base", pre: "llama-bpe", tokens: c.tokens, merges: c.merges,
    specials: [], bos: 0, eos: 0, eot: -1,
    cases: list.map((text) => ({ text, ids: cl100kEncode(text) })) },
  { reference: "gpt-tokenizer 4.0.0 r50k_base (GPT-2)", pre: "gpt-2", tokens: g.tokens, merges: g.merges,
    specials: [], bos: 0, eos: 0, eot: -1,
    cases: list.map((text) => ({ text, ids: r50kEncode(text) })) },
  hfReference('smollm', g, { type: 'Sequence', pretokenizers: [
    { type: 'Digits', individual_digits: true },
    { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true }] },
    [{ content: '<|im_start|>', special: true }, { content: '<|im_end|>', special: true },
     { content: '<think>', special: false }, { content: '</think>', special: false },
     { content: '<tool_call>', special: false }, { content: ' ⟨é⟩ ', special: false }]),
  hfReference('qwen2', g, { type: 'Sequence', pretokenizers: [
    { type: 'Split', behavior: 'Isolated', invert: false, pattern: { Regex:
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+" } },
    { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false }] }),
];
writeFileSync(process.argv[2], JSON.stringify({ references }));
for (const r of references)
  console.log(`tokenizer-ref: ${r.reference}: ${r.cases.length} strings, ${r.tokens.length} tokens, ${r.merges.length} merges`);
