// Writes what tests/chat/chat_template_reference_test.cpp checks binserve's
// chat-template interpreter against: what @huggingface/jinja (the Jinja of
// transformers.js, pinned in package.json) renders for (a) every real chat
// template in TEMPLATES_DIR, each with a dozen conversations, with and without
// the generation prompt, and (b) 250+ small templates, one or a few constructs
// each, including the ones it rejects (recorded with the message it threw).
// The clock is frozen first, so that strftime_now renders the same every run.
// Usage: node export.mjs OUT.json TEMPLATES_DIR
//
// OUT.json: {"jinja": "0.5.13", "now_unix": <seconds>, "cases": [
//   {"name", "template" (the source text), "context" (the variables),
//    "expected" (the rendered text) or "error" (the message thrown)}, ...]}
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';

const JINJA_VERSION = '0.5.13';  // package.json pins it; the file records it
const installed = JSON.parse(readFileSync(new URL('./node_modules/@huggingface/jinja/package.json', import.meta.url), 'utf8'));
if (installed.version !== JINJA_VERSION) {
  throw new Error(`@huggingface/jinja ${installed.version} is installed, not ${JINJA_VERSION}`);
}

const [outPath, templatesDir] = process.argv.slice(2);
if (!outPath || !templatesDir) {
  console.error('usage: node export.mjs OUT.json TEMPLATES_DIR');
  process.exit(2);
}

// ---- a frozen, UTC, English clock: strftime_now's `new Date()` and month names ----
process.env.TZ = 'UTC';  // run.sh sets it too; Node reads a changed TZ at once
const NOW_MS = Date.UTC(2026, 6, 10, 12, 0, 0);  // 2026-07-10T12:00:00Z, a Friday
const RealDate = globalThis.Date;
class FrozenDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(NOW_MS);
    else super(...args);
  }
  static now() { return NOW_MS; }
}
globalThis.Date = FrozenDate;
// The two places @huggingface/jinja uses the default locale, pinned to English
// whatever the machine's: strftime's month names ("Jul", "July"; Node built
// against a system ICU may default to "und", whose months are "M07"), and the
// key order of tojson(sort_keys=true), String.prototype.localeCompare.
const RealDateTimeFormat = Intl.DateTimeFormat;
Intl.DateTimeFormat = class extends RealDateTimeFormat {
  constructor(locales, options) { super(locales ?? 'en-US', options); }
};
const realLocaleCompare = String.prototype.localeCompare;
String.prototype.localeCompare = function localeCompare(that, locales, options) {
  return realLocaleCompare.call(this, that, locales ?? 'en-US', options);
};

const cases = [];
let realCount = 0, constructCount = 0;

// Renders one case. The context goes through JSON first, so that what is
// rendered is exactly what the file records.
function render(name, template, context, wantError) {
  const ctx = JSON.parse(JSON.stringify(context));
  const entry = { name, template, context: ctx };
  try {
    entry.expected = new Template(template).render(JSON.parse(JSON.stringify(ctx)));
  } catch (e) {
    entry.error = String(e && e.message !== undefined ? e.message : e);
  }
  if (wantError !== undefined && wantError !== ('error' in entry)) {
    throw new Error(`${name}: expected ${wantError ? 'an error' : 'a rendering'}, got ` +
                    JSON.stringify(entry.error ?? entry.expected));
  }
  cases.push(entry);
}

// ======================= (a) the real chat templates =======================
const special = {  // bos_token, eos_token as each model's tokenizer_config.json sets them
  'llama2': ['<s>', '</s>'],
  'mistral-v0.1': ['<s>', '</s>'],
  'mistral-v0.3': ['<s>', '</s>'],
  'zephyr': ['<s>', '</s>'],
  'firefunction': ['<s>', '</s>'],
  'llama3': ['<|begin_of_text|>', '<|eot_id|>'],
  'llama3.1': ['<|begin_of_text|>', '<|eot_id|>'],
  'llama3.2': ['<|begin_of_text|>', '<|eot_id|>'],
  'qwen2.5': ['', '<|im_end|>'],
  'chatml': ['<|im_start|>', '<|im_end|>'],
  'smollm2': ['<|im_start|>', '<|im_end|>'],
  'smollm3': ['', '<|im_end|>'],
  'deepseek-coder': ['<｜begin▁of▁sentence｜>', '<|EOT|>'],
};

const sys = (content) => ({ role: 'system', content });
const user = (content) => ({ role: 'user', content });
const asst = (content) => ({ role: 'assistant', content });

const conversations = [
  ['user', [user('Hello!')]],
  ['system+user', [sys('You are a helpful assistant.'), user('What is 2 + 2?')]],
  ['user-assistant-user', [user('Hi there.'), asst('Hello! How can I help?'), user('Tell me a joke.')]],
  ['system+3turns', [sys('Answer in one sentence.'), user('What is the capital of France?'),
                     asst('The capital of France is Paris.'), user('And of Italy?')]],
  ['long', [sys('You are terse.'), user('One?'), asst('1'), user('Two?'), asst('2'), user('Three?'),
            asst('3'), user('Four?'), asst('4'), user('Five?')]],
  ['whitespace', [sys('  \n System with spaces and newlines.\n\n'), user('\n\n  Leading and trailing   \n'),
                  asst(' \tAnswer\t \n'), user('  tail  ')]],
  ['unicode', [sys('Réponds en français, s’il te plaît.'), user('Ça va ? 你好，世界！ 🎉👍🏽 Ωμέγα'),
               asst('Très bien — 谢谢! 😀'), user('Ünïcödé: ñ, ß, ø, 日本語, 한국어, العربية')]],
  ['jinja-text', [user('Literal {{ x }} and {% if %} and {# c #} and {%- endif -%}'),
                  asst("Sure: {{ '{{' }} ok }}"), user('raise_exception("no") {% endfor %}')]],
  ['assistant-last', [user('Say hi.'), asst('Hi!')]],
  ['empty-content', [sys(''), user(''), asst(''), user('')]],
  ['empty-user', [user('')]],
  ['not-alternating', [user('First.'), user('Second, also from the user.')]],
];

// Conversations only some templates can render.
const extraConversations = {
  'firefunction': [
    ['functions+user', [{ role: 'functions', content: '[{"name": "get_weather", "parameters": {}}]' },
                        user('Weather in Paris?')]],
    ['system+functions+turns', [sys('You are a function-calling assistant.'), { role: 'functions', content: '[]' },
                                user('Hi'), asst('Hello!'), user('Bye')]],
  ],
};

// Per-template extra variables beyond messages / add_generation_prompt / bos / eos.
const extraContexts = {
  'llama3.1': [
    ['date-string', { date_string: '01 Jan 2025' }],
    ['date-string-other', { date_string: '31 December 1999' }],
  ],
  'llama3.2': [
    ['date-string', { date_string: '01 Jan 2025' }],
    ['date-string-other', { date_string: '31 December 1999' }],
  ],
  'smollm3': [
    ['no-thinking', { enable_thinking: false }],
    ['thinking', { enable_thinking: true }],
  ],
};

// Conversations for extra variables, and ones that steer a template's branches.
const steeringConversations = {
  'smollm3': [
    ['system-no-think', [sys('Be brief. /no_think'), user('Hi'), asst('\n\nHello!'), user('Bye')]],
    ['system-think', [sys('/think Reason first.'), user('Why?')]],
    ['system-override', [sys('/system_override Custom system prompt.  '), user('Hi')]],
    ['tool-message', [user('Call it.'), asst('Calling.'), { role: 'tool', content: '{"ok": true}' }]],
  ],
  'qwen2.5': [
    ['system-later', [user('Hi'), asst('Hello'), sys('A second system message.'), user('Ok')]],
    ['tool-messages', [user('Weather?'), { role: 'tool', content: '{"temp": 21}' },
                       { role: 'tool', content: '{"temp": 22}' }, user('Thanks')]],
  ],
  'llama3.1': [
    ['tool-message', [user('Weather?'), { role: 'tool', content: '{"temp": 21}' }]],
  ],
  'deepseek-coder': [
    ['two-systems', [sys('First system.'), user('Code?'), sys('Second system.')]],
  ],
};

const templateFiles = readdirSync(templatesDir).filter((f) => f.endsWith('.jinja')).sort();
if (templateFiles.length === 0) throw new Error(`no *.jinja files in ${templatesDir}`);
for (const file of templateFiles) {
  const family = file.slice(0, -'.jinja'.length);
  const source = readFileSync(join(templatesDir, file), 'utf8');
  const [bos_token, eos_token] = special[family] ?? ['<s>', '</s>'];
  const convs = [...conversations, ...(extraConversations[family] ?? []), ...(steeringConversations[family] ?? [])];
  const add = (name, messages, gen, extra = {}) => {
    render(`${family}/${name}/${gen ? 'gen' : 'nogen'}`, source,
           { messages, add_generation_prompt: gen, bos_token, eos_token, ...extra });
    ++realCount;
  };
  for (const [name, messages] of convs) {
    for (const gen of [true, false]) add(name, messages, gen);
  }
  for (const [extraName, extra] of extraContexts[family] ?? []) {
    for (const [name, messages] of [conversations[0], conversations[1], conversations[3]]) {
      for (const gen of [true, false]) add(`${name}+${extraName}`, messages, gen, extra);
    }
  }
}
// A template that reads no add_generation_prompt / bos_token: deepseek-coder checks `is defined`.
{
  const source = readFileSync(join(templatesDir, 'deepseek-coder.jinja'), 'utf8');
  render('deepseek-coder/user/no-gen-variable', source, { messages: [user('Hello!')] });
  ++realCount;
}

// ======================= (b) one construct per template =======================
const D = {  // the default context of the construct cases
  s: 'Hello World', e: '', sp: '  padded text \n', n: 7, neg: -3, f: 2.5, big: 1234567890123,
  t: true, fa: false, nul: null,
  list: [1, 'two', 3.5, true],
  nums: [3, 1, 4, 1, 5, 9, 2, 6],
  words: ['banana', 'Apple', 'cherry', 'apple'],
  obj: { a: 1, b: 'two', c: [1, 2] },
  nested: { user: { name: 'Ann', tags: ['x', 'y'], meta: { rank: 2, score: 9.5 } }, empty: {}, none: null, list: [] },
  users: [
    { name: 'Ann', age: 31, admin: true, email: null, meta: { rank: 2 } },
    { name: 'bob', age: 25, admin: false, meta: { rank: 3 } },
    { name: 'Cy', age: 40, admin: true, email: 'cy@example.com', meta: { rank: 1 } },
  ],
  text: 'line one\nline two\n\nline four',
  unicode: 'Café 世界 🎉',
  messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' },
             { role: 'assistant', content: 'Hello!' }],
  shadow: { items: 'X', get: 'G' },
  keyorder: { zeta: 1, '10': 'ten', '2': 'two', alpha: 3 },
};

const ok = (name, template, context = D) => { render(`construct/${name}`, template, context, false); ++constructCount; };
const bad = (name, template, context = D) => { render(`construct/${name}`, template, context, true); ++constructCount; };
const r = String.raw;

// ---- text, tags, comments ----
ok('text/plain', 'Hello, world!');
ok('text/expression', 'Hi {{ s }}!');
ok('text/comment', 'a{# a comment #}b{# another\nmultiline one #}c');
ok('text/lone-braces', 'a { b } c {x} }} %} #} d');
ok('text/empty', '');
ok('text/only-newline', '\n');
ok('text/trailing-newline', 'line\n');
ok('text/two-trailing-newlines', 'line\n\n');
ok('text/crlf', 'a\r\n{% if true %}\r\nx{% endif %}\r\nb\r\n');
ok('text/expression-trailing-newline', '{{ s }}\n');
ok('text/generation-tag', 'a {% generation %}gen {{ n }}{% endgeneration %} b\n{%- generation -%}\n  c  {%- endgeneration %}|');

// ---- whitespace control ----
ok('ws/minus-expression', 'a  \n {{- s -}} \n  b');
ok('ws/minus-statement', 'a \n {%- if true -%} \n x \n {%- endif -%} \n b');
ok('ws/minus-comment', 'a  \n{#- c -#}\n  b');
ok('ws/minus-one-side', '[ {{- 1 }} ] [ {{ 2 -}} ] [ {%- if true %} x {% endif -%} ]');
ok('ws/minus-eats-all-newlines', 'a\n\n\n{{- "b" -}}\n\n\nc');
ok('ws/trim-blocks', '{% if true %}\nyes\n{% endif %}\nafter\n{% set x = 1 %}\n{# c #}\nend');
ok('ws/lstrip-blocks', '  {% if true %}\n  x\n  {% endif %}\n\t{% for i in [1, 2] %}\n\t{{ i }}\n\t{% endfor %}\nz');
ok('ws/lstrip-not-expressions', '  {{ s }}\n  {# c #}\nz\n    {{- s }}');
ok('ws/lstrip-after-text', 'a  {% if true %}b{% endif %}  c');
ok('ws/trim-after-comment', '{# c #}\nx{#- d #}\n\ny');
ok('ws/expression-keeps-newline', "{{ 'a' }}\nb\n{{ 'c' }}\n\nd");
ok('ws/tabs-and-spaces', '\t \t{% if true %}\tx\n \t{% endif %}\t\ny');
ok('ws/nested-indented', r`{% for m in messages %}
    {% if m.role == 'user' %}
        U: {{ m.content }}
    {% else %}
        {{ m.role|upper }}: {{ m.content }}
    {% endif %}
{% endfor %}
done
`);
ok('ws/minus-indented', r`{%- for m in messages %}
    {%- if m.role == 'user' %}
        {{- 'U: ' + m.content }}
    {%- else %}
        {{- m.role + ': ' + m.content + '\n' }}
    {%- endif %}
{%- endfor %}
`);
ok('ws/preprocess-inside-string', "{{ 'x%}\ny' }}|{{ 'p\n   {%q' }}|{{ \"k#}\nl\" }}");
ok('ws/unicode-space-trim', 'a\u00a0\u3000{{- "b" -}}\u2003\u00a0c');

// ---- string literals ----
ok('str/escapes', r`[{{ 'a\nb' }}][{{ "t\tx" }}][{{ 'back\\slash' }}][{{ "\x41\x62" }}][{{ '\u00e9\u4e16' }}][{{ 'it\'s' }}][{{ "say \"hi\"" }}][{{ 'r\rb\bf\fv\v' }}]`);
ok('str/quotes', `{{ "it's" }} {{ 'say "x"' }}`);
ok('str/adjacent-concatenation', `{{ 'a' 'b' "c" }} {{ 'x' ~ 'y' 'z' }}`);
ok('str/unicode-literal', "{{ 'héllo 世界 🎉' }} {{ \"Ω\" }}");
ok('str/literal-with-tags', `{{ '{{ x }}' }} {{ "{% if %}" }} {{ '{# #}' }}`);
bad('str/unknown-escape', r`{{ 'a\qb' }}`);
bad('str/unterminated', `{{ 'abc }}`);

// ---- numbers, booleans, none ----
ok('num/integers', '{{ 1 }} {{ -3 }} {{ 0 }} {{ 007 }} {{ big }} {{ neg }} {{ n }}');
ok('num/floats', '{{ 1.0 }} {{ 2.5 }} {{ -0.5 }} {{ 3.14159 }} {{ f }} {{ 10.0 / 4 }} {{ -0.0 }} {{ 100.0 }}');
ok('num/float-printing', '{{ 1.0 * 3 }} {{ 0.1 + 0.2 }} {{ 1 / 3 }} {{ 2 ** -1 }} {{ 10.0 ** 15 }} {{ 10.0 ** 16 }} {{ 10.0 ** 21 }} {{ 10.0 ** 22 }} {{ 0.5 ** 20 }} {{ 2.0 ** 0.5 }}');
ok('num/large-integers', '{{ 2 ** 31 }} {{ 2 ** 40 }} {{ 2 ** 53 }} {{ 1000000 * 1000000 }}');
ok('num/booleans-none', '[{{ true }}] [{{ false }}] [{{ True }}] [{{ False }}] [{{ none }}] [{{ None }}] [{{ t }}] [{{ nul }}]');
ok('num/division-by-zero', '{{ 1 / 0 }} {{ -1 / 0 }} {{ 1 // 0 }} {{ 5 % 0 }} {{ 0 / 0 }}');
bad('num/exponent-literal', '{{ 1e3 }}');

// ---- arithmetic ----
ok('arith/basic', '{{ 1 + 2 }} {{ 7 - 10 }} {{ 3 * 4 }} {{ 7 / 2 }} {{ 8 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ 2 ** 10 }} {{ n - 1 }} {{ n-1 }}');
ok('arith/negative-modulo', '{{ -7 % 3 }} {{ 7 % -3 }} {{ 7.5 % 2 }} {{ -7.5 // 2 }}');
ok('arith/precedence', '{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 2 ** 3 ** 2 }} {{ 10 - 2 - 3 }} {{ 2 * 3 ** 2 }} {{ -2 ** 2 }} {{ 100 // 7 % 3 }} {{ 1 - -2 }} {{ -(3 + 4) }} {{ - n }} {{ +n }}');
ok('arith/mixed-int-float', '{{ 1 + 2.0 }} {{ 3 * 1.5 }} {{ 2.0 * 2 }} {{ 7 // 2.0 }} {{ 1 - 1.0 }} {{ 2 ** 0.5 }} {{ 4 ** 0.5 }} {{ f * 2 }} {{ f + n }}');
ok('arith/booleans', '{{ true ** 2 }} {{ -true }} {{ 2 ** false }}');
ok('arith/lists', '{{ [1, 2] + [3] }} {{ [] + [] }} {{ list + ["x"] }}');
bad('arith/bool-plus-int', '{{ true + 1 }}');
bad('arith/string-times-int', "{{ 'ab' * 2 }}");
bad('arith/none-plus', '{{ none + 1 }}');

// ---- concatenation ----
ok('concat/tilde', "{{ 'a' ~ 'b' }} {{ 'n=' ~ 5 }} {{ 1 ~ 2 }} {{ 'x' ~ 2.5 }} {{ 'x' ~ 1.0 }} [{{ 'u' ~ undefined_var ~ 'v' }}] {{ true ~ '' }} {{ 'l' ~ [1, 'b'] }} {{ f ~ n }}");
ok('concat/plus-string-number', "{{ 'a' + 1 }} {{ 1 + 'a' }} {{ 'v' + 2.5 }} {{ 'v' + 2.0 }} {{ 'b' + true }} {{ s + '!' }}");
ok('concat/precedence', "{{ 'a' ~ 1 + 2 }} {{ 1 + 2 ~ 3 }} {{ 'x' ~ 2 * 3 }} {{ 'y' + 1 + 2 }}");
ok('concat/undefined-both-sides', "[{{ missing ~ missing }}] [{{ missing ~ 1 }}]");
bad('concat/none-tilde', "{{ none ~ 'x' }}");
bad('concat/plus-undefined', "{{ 'a' + missing }}");

// ---- comparison ----
ok('cmp/numbers', '{{ 1 < 2 }} {{ 2 <= 2 }} {{ 3 > 4 }} {{ 4 >= 5 }} {{ 1 == 1 }} {{ 1 != 2 }} {{ n > 5 }} {{ f < 2 }}');
ok('cmp/int-float', '{{ 1 == 1.0 }} {{ 2 < 2.5 }} {{ 0 == 0.0 }} {{ 1.0 != 1 }} {{ 3 >= 3.0 }}');
ok('cmp/int-string', "{{ 1 == '1' }} {{ 0 == '' }} {{ 1 != '1' }} {{ '2' == 2.0 }} {{ 'a' == 1 }}");
ok('cmp/none-undefined-bool', '{{ none == missing }} {{ none == none }} {{ missing == missing }} {{ none == false }} {{ 0 == false }} {{ 1 == true }} {{ 2 == true }} {{ missing != none }}');
ok('cmp/strings', "{{ 'abc' == 'abc' }} {{ s == 'Hello World' }} {{ 'a' != 'b' }} {{ '' == e }}");
ok('cmp/containers', "{{ [1, 2] == [1, 2] }} {% set a = {'x': 1} %}{{ a == a }} {{ a == {'x': 1} }} {{ obj == obj }} {{ messages[1] == messages[1] }} {{ messages[1] == messages[2] }}");
bad('cmp/string-less-than', "{{ 'a' < 'b' }}");
bad('cmp/chained', '{{ 1 < 2 < 3 }}');

// ---- logic ----
ok('logic/operand-values', "{{ 0 or 'x' }} {{ 'a' or 'b' }} {{ [] and 1 }}|{{ 1 and [] }}|{{ none or 'd' }} {{ '' or 0 }} {{ 2 and 3 }} [{{ '' and 'x' }}] {{ {} or 'e' }} [{{ false or none }}] [{{ missing or '' }}]");
ok('logic/not', "{{ not true }} {{ not 0 }} {{ not '' }} {{ not [] }} {{ not {} }} {{ not 'a' }} {{ not not 1 }} {{ not missing }} {{ not none }} {{ not 0.0 }}");
ok('logic/precedence', '{{ true or false and false }} {{ not true or true }} {{ not 1 == 2 }} {{ (true or false) and false }} {{ not (1 and 0) }}');
ok('logic/short-circuit', '{{ false and undefined_fn() }} {{ true or undefined_fn() }} {{ missing and missing.x.y }}');
ok('logic/truthiness', "{% for v in [0, 1, -1, '', 'a', ' ', [], [0], {}, {'k': 1}, none, 0.0, 0.5, true, false, missing] %}{{ 'T' if v else 'F' }}{% endfor %}");

// ---- membership ----
ok('in/strings', "{{ 'ell' in 'hello' }} {{ 'z' in 'hello' }} {{ 'z' not in 'hello' }} {{ '' in 'abc' }} {{ 'World' in s }} {{ 'é' in unicode }}");
ok('in/arrays', "{{ 2 in [1, 2, 3] }} {{ 'b' in ['a', 'b'] }} {{ 4 not in [1, 2] }} {{ 1 in [1.0] }} {{ '1' in [1] }} {{ true in [1] }} {{ 'two' in list }}");
bad('in/none-in-list', '{{ none in [none] }}');
ok('in/objects', "{{ 'a' in obj }} {{ 'zz' in obj }} {{ 'zz' not in obj }} {{ 'role' in messages[0] }} {{ 'tool_calls' in messages[0] }}");
ok('in/undefined', "{{ 'a' in missing }} {{ 'a' not in missing }}");
ok('in/not-precedence', "{{ not 'a' in 'abc' }} {{ not 'z' in 'abc' }} {{ 'a' in 'abc' and 'b' in 'abc' }}");
bad('in/number-in-string', "{{ 1 in 'a1' }}");

// ---- conditional expressions ----
ok('ternary/else', "{{ 'yes' if n > 5 else 'no' }} {{ 'yes' if n > 10 else 'no' }} {{ s if t else e }}");
ok('ternary/no-else', "[{{ 'yes' if false }}] [{{ 'yes' if true }}] {{ ('a' if false) is defined }}");
ok('ternary/chained', "{{ 'a' if n == 1 else 'b' if n == 7 else 'c' }} {{ 'a' if n == 1 else 'b' if n == 2 else 'c' }}");
ok('ternary/in-set-and-concat', "{% set x = 1 if true else 2 %}{{ x }} {{ 'p' ~ ('q' if t else 'r') ~ 's' }} {{ 1 + (2 if fa else 3) }}");

// ---- member access ----
ok('member/dot-and-bracket', "{{ obj.a }} {{ obj['b'] }} {{ nested.user.name }} {{ nested['user']['tags'][1] }} {{ nested.user['meta'].rank }} {{ messages[0].role }}");
ok('member/index', "{{ list[0] }} {{ list[-1] }} {{ list[1] }} [{{ list[10] }}] [{{ list[-10] }}] {{ 'abc'[1] }} {{ 'abc'[-1] }} [{{ 'abc'[5] }}] {{ list.0 }} {{ nums[n - 5] }}");
ok('member/missing', "[{{ obj.zz }}][{{ obj['zz'] }}][{{ missing.attr }}][{{ obj.zz.yy }}][{{ missing['k'] }}][{{ none.x }}][{{ nested.none.x }}]");
ok('member/builtin-attributes', "{{ 'abc'.length }} {{ list.length }} [{{ obj.length }}] {{ shadow.items }} {{ shadow.get }}");
ok('member/unicode-index', "{{ '😀ab'|length }} {{ '😀ab'[2] }} {{ 'a😀b'[1:] }} {{ 'é'[0] }}");
ok('member/key-order', '{% for k in keyorder %}{{ k }},{% endfor %} {{ keyorder }}');
bad('member/int-key-on-object', '{{ obj[0] }}');
bad('member/index-of-undefined', '{{ missing[0] }}');

// ---- slices ----
ok('slice/arrays', '{{ nums[1:] }} {{ nums[:-1] }} {{ nums[::-1] }} {{ nums[1:5:2] }} {{ nums[:2] }} {{ nums[-2:] }} {{ nums[::2] }} {{ nums[:] }}');
ok('slice/strings', "{{ s[1:] }} {{ s[:-1] }} {{ s[::-1] }} {{ s[1:5:2] }} {{ s[:5] }} {{ s[-5:] }} {{ unicode[::-1] }} {{ unicode[5:7] }}");
ok('slice/out-of-range', '{{ nums[5:] }} {{ nums[2:1] }} {{ nums[-100:2] }} {{ nums[6:100] }} {{ nums[100:] }} [{{ s[20:] }}]');
ok('slice/negative-step', "{{ nums[3:0:-1] }} {{ nums[-1:-3:-1] }} {{ nums[::-3] }} {{ 'abcdef'[4:1:-2] }}");
ok('slice/messages', '{% for m in messages[1:] %}{{ m.role }} {% endfor %}|{{ messages[:1]|length }}');
bad('slice/on-object', '{{ obj[1:] }}');

// ---- literals and printing ----
ok('print/list', "{{ [1, 'a', 2.5, true, none] }}");
ok('print/dict', "{{ {'a': 1, 'b': [1, 2], 'c': {'d': 'e'}, \"q\": none} }}");
ok('print/nested-context', '{{ nested }} {{ users[0] }}');
ok('print/undefined-in-list', '{{ [missing, 1] }} {{ {"k": missing} }}');
bad('print/tuple', '{{ (1, 2) }}');
ok('print/tuple-items', "{% set tp = ('a', 'b') %}{{ tp[0] }}{{ tp|length }}{{ tp|join('+') }}{% for x in tp %}{{ x }}{% endfor %}{{ 'a' in tp }}");
bad('print/one-element-tuple', '{{ (1,) }}');
ok('print/empty', '{{ [] }} {{ {} }} {{ nested.empty }} {{ nested.list }}');
ok('print/escapes-in-list', "{{ ['a\"b', 'c\\nd', 'é', 'back\\\\slash', 'tab\\t'] }}");
ok('print/floats-in-list', '{{ [1.0, 0.5, 2.0 * 3, f, -0.0] }}');
ok('print/trailing-commas', "{{ {'a': 1,} }} {{ [1, 2,] }}");
ok('print/nested-braces', "{{ {'a': {'b': {'c': 1}}}}}");
ok('print/namespace', '{% set ns = namespace(a=1, b=[1]) %}{{ ns }}');
ok('print/loop-object', '{% for x in [5] %}{{ loop }}{% endfor %}');
bad('print/int-dict-key', "{{ {1: 'a'} }}");

// ---- for loops ----
ok('for/loop-variables', "{% for x in ['a', 'b', 'c'] %}{{ x }}:{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}|{% endfor %}");
ok('for/previtem-nextitem', '{% for x in [1, 2, 3] %}({{ loop.previtem }},{{ loop.nextitem }},{{ loop.previtem is defined }}){% endfor %}');
ok('for/else-on-empty', '{% for x in [] %}{{ x }}{% else %}empty{% endfor %}|{% for x in [1] %}{{ x }}{% else %}empty{% endfor %}|{% for x in nested.empty %}{{ x }}{% else %}no keys{% endfor %}');
ok('for/over-dict', '{% for k in obj %}{{ k }},{% endfor %}');
ok('for/unpack-items', '{% for k, v in obj.items() %}{{ k }}={{ v }};{% endfor %}|{% for k, v in obj|items %}{{ k }}={{ v }};{% endfor %}|{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }} {% endfor %}');
ok('for/if-filter', "{% for x in range(10) if x is odd %}{{ x }}{{ ',' if not loop.last }}{% endfor %}|{% for m in messages if m.role != 'system' %}{{ loop.index }}{{ m.role }} {% endfor %}|{% for x in [1, 2] if x > 5 %}{{ x }}{% else %}none passed{% endfor %}");
ok('for/nested', "{% for a in [1, 2] %}{% for b in ['x', 'y'] %}{{ a }}{{ b }}{{ loop.index }}/{{ loop.length }} {% endfor %}{{ loop.index }};{% endfor %}");
ok('for/outer-loop', '{% for a in [1, 2] %}{% set outer = loop %}{% for b in [3, 4] %}{{ outer.index }}{{ loop.index }} {% endfor %}{% endfor %}');
ok('for/break-continue', '{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}');
ok('for/break-continue-else', '[{% for x in [1, 2] %}{% continue %}{% else %}E{% endfor %}] [{% for x in [1, 2] %}{% break %}{% else %}E{% endfor %}] [{% for x in [1, 2] %}{{ x }}{% break %}{% else %}E{% endfor %}] [{% for x in [1, 2] %}{% if x == 1 %}{% continue %}{% endif %}{{ x }}{% else %}E{% endfor %}]');
ok('for/break-continue-drop-iteration-output', "{% for x in [1, 2, 3] %}a{{ x }}{% if x == 2 %}{% continue %}{% endif %}b{% endfor %}|{% for x in [1, 2, 3] %}c{{ x }}{% if x == 2 %}d{% break %}{% endif %}{% endfor %}|{% for a in [1, 2] %}{% for b in [1, 2, 3] %}{{ a }}{{ b }}{% if b == 2 %}{% break %}{% endif %} {% endfor %};{% endfor %}");
ok('for/set-scoping', "{% set x = 'outer' %}{% for i in [1, 2] %}{% set x = 'inner' ~ i %}{{ x }} {% endfor %}{{ x }}");
ok('for/set-persists-across-iterations', "{% for i in [1, 2, 3] %}{% if loop.first %}{% set y = 'set' %}{% endif %}[{{ y }}]{% endfor %}[{{ y }}]");
ok('for/loop-variable-after-loop', "{% set i = 'before' %}{% for i in [1, 2] %}{% endfor %}[{{ i }}] {% for j in [1] %}{% endfor %}[{{ j }}] [{{ loop }}]");
ok('for/namespace', '{% set ns = namespace(count=0, found=false, items=[]) %}{% for x in [1, 2, 3] %}{% set ns.count = ns.count + x %}{% if x == 2 %}{% set ns.found = true %}{% endif %}{% set ns.items = ns.items + [x * 10] %}{% endfor %}{{ ns.count }} {{ ns.found }} {{ ns.items }}');
ok('for/namespace-from-dict', "{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}{% set ns.a = 'z' %}{{ ns.a }} [{{ ns.missing }}] {{ ns['b'] }}");
ok('for/set-tuple', "{% set a, b = [1, 2] %}{{ a }}{{ b }} {% set c, d = 'x', 'y' %}{{ c }}{{ d }} {% set (e1, e2) = (3, 4) %}{{ e1 + e2 }}");
ok('for/set-block', '{% set x %}abc {{ n }}\n{% endset %}[{{ x }}] {{ x|length }}');
ok('for/range', '{% for i in range(3) %}{{ i }}{% endfor %}|{% for i in range(2, 5) %}{{ i }}{% endfor %}|{% for i in range(0, 10, 3) %}{{ i }}{% endfor %}|{% for i in range(5, 0, -2) %}{{ i }}{% endfor %}|{% for i in range(0) %}x{% endfor %}|{% for i in range(-2, 2) %}{{ i }}{% endfor %}');
ok('for/loop-in-macro-and-messages', "{% for m in messages %}{{ '<|' + m['role'] + '|>' + m['content'] }}{% if not loop.last %}\n{% endif %}{% endfor %}");
ok('for/loop-over-items-of-list', '{% for pair in obj|items %}{{ pair[0] }}{{ pair[1] }} {% endfor %}');
bad('for/unpack-too-few', '{% for a, b in [[1, 2], [3]] %}{{ a }}{% endfor %}');
bad('for/over-string', "{% for c in 'abc' %}{{ c }}{% endfor %}");
bad('for/over-undefined', '{% for x in missing %}{{ x }}{% endfor %}');
bad('for/over-none', '{% for x in none %}{{ x }}{% endfor %}');
bad('for/loop-cycle', "{% for x in [1, 2] %}{{ loop.cycle('a', 'b') }}{% endfor %}");
bad('for/range-zero-step', '{{ range(0, 5, 0) }}');

// ---- if ----
ok('if/elif-else', '{% for v in [1, 2, 3] %}{% if v == 1 %}one{% elif v == 2 %}two{% else %}many{% endif %} {% endfor %}');
ok('if/nested', "{% if t %}{% if fa %}A{% elif nul is none %}B{% endif %}{% else %}C{% endif %}{% if not t %}D{% endif %}");
ok('if/set-visible-after', '{% if true %}{% set y = 5 %}{% endif %}{{ y }}');
ok('if/elif-chain-whitespace', "{%- if n == 1 -%}\n one\n{%- elif n == 7 -%}\n seven\n{%- else -%}\n other\n{%- endif -%}\n!");

// ---- macros ----
ok('macro/positional', "{% macro greet(name, punct) %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Ann', '!') }} {{ greet(s, '?') }}");
ok('macro/defaults-and-keywords', "{% macro m(a, b=2, c='z') %}{{ a }}-{{ b }}-{{ c }}{% endmacro %}{{ m(1) }} {{ m(1, 3) }} {{ m(1, c='q') }} {{ m(a=5, b=6) }} {{ m(b=0, a=9) }}");
ok('macro/missing-argument', '{% macro m(a, b) %}[{{ a }}][{{ b }}][{{ b is defined }}]{% endmacro %}{{ m(1) }}');
ok('macro/calls-macro', "{% macro inner(x) %}<{{ x }}>{% endmacro %}{% macro outer(y) %}{{ inner(y ~ '!') }}{{ inner(y) }}{% endmacro %}{{ outer('a') }}");
ok('macro/whitespace', "{% macro row(k, v) -%}\n    {{ k }}: {{ v }}\n{%- endmacro %}\n{% for k, v in obj|items %}\n{{ row(k, v) }}\n{% endfor %}");
ok('macro/caller', "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}inner {{ n }}{% endcall %}");
ok('macro/varargs-kwargs', "{% macro v(a) %}{{ a }} {{ varargs }} {{ kwargs }}{% endmacro %}{{ v(1, 2, 3, k='x') }}");
ok('macro/scope', "{% set g = 'global' %}{% macro m() %}{% set g = 'local' %}{{ g }}{% endmacro %}{{ m() }} {{ g }}");
ok('macro/late-binding', "{% macro m() %}{{ later }}{% endmacro %}{% set later = 'bound' %}{{ m() }}");
ok('macro/result-is-string', "{% macro num() %}42{% endmacro %}{{ num() ~ '!' }} {{ num()|int + 1 }} {{ num() is string }}");
bad('macro/too-many-arguments', '{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}');
bad('macro/unknown-keyword', '{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, b=2) }}');

// ---- filters ----
ok('filter/trim', "[{{ sp|trim }}] [{{ '  x  '|trim }}] [{{ '\\n\\tx\\n'|trim }}] [{{ e|trim }}] [{{ '\\ufeff\\u00a0x\\u3000\\u2003'|trim }}]");
ok('filter/upper-lower', "{{ 'hello wORLD'|upper }} {{ 'HeLLo'|lower }} {{ 'éàü'|upper }} {{ 'ÉCOLE'|lower }} {{ 'straße'|upper }}");
ok('filter/title', "{{ 'hello wORLD'|title }}|{{ 'foo-bar baz_qux'|title }}|{{ \"they're\"|title }}|{{ 'élan vital'|title }}|{{ 'a1b c'|title }}");
ok('filter/capitalize', "{{ 'hELLO world'|capitalize }}|{{ 'élan'|capitalize }}|{{ e|capitalize }}|{{ '1abc'|capitalize }}");
ok('filter/length', "{{ 'héllo'|length }} {{ list|length }} {{ obj|length }} {{ '😀'|length }} {{ e|length }} {{ []|length }} {{ {}|length }} {{ unicode|length }}");
ok('filter/first-last', '{{ list|first }} {{ list|last }} {{ nums|first + nums|last }} {{ words|first|upper }}');
bad('filter/first-of-empty', '{{ []|first }}');
ok('filter/reverse', "{{ [1, 2, 3]|reverse }} {{ words|reverse|first }}");
ok('filter/sort', "{{ [3, 1, 2]|sort }} {{ words|sort }} {{ [3, 1, 2]|sort(reverse=true) }} {{ ['b', 'A', 'a', 'B']|sort(case_sensitive=true) }} {{ [2.5, 1, true, 0]|sort }} {{ words|sort(true) }}");
ok('filter/sort-attribute', "{{ users|sort(attribute='age')|map(attribute='name')|join(',') }} {{ users|sort(attribute='name')|map(attribute='name')|join(',') }} {{ users|sort(attribute='meta.rank', reverse=true)|map(attribute='name')|join(',') }}");
ok('filter/join', "{{ ['a', 'b', 'c']|join }} {{ ['a', 'b']|join(', ') }} {{ [1, 2, 3]|join('-') }} {{ 'abc'|join('.') }} {{ 'abc'|join }} {{ [1.0, 2.5, true, none]|join(',') }} {{ ['x', 'y']|join(separator='+') }} {{ unicode|join('|') }}");
ok('filter/unique', "{{ [1, 2, 1, '1', 'a', 'A', 'a', 2.0]|unique }} {{ words|unique|length }}");
ok('filter/list', "{{ [1, 2]|list }} {{ range(3)|list }}");
ok('filter/string', "{{ 5|string }} {{ 2.0|string }} {{ 2.5|string }} {{ true|string }} {{ [1, 'a', 1.0]|string }} {{ 'x'|string }} {{ (5|string) ~ 'x' }} {{ 5|string is string }}");
ok('filter/int', "{{ '42'|int }} {{ '3.9'|int }} {{ 'abc'|int }} {{ 3.9|int }} {{ -3.9|int }} {{ true|int }} {{ '12abc'|int }} {{ 'x'|int(7) }} {{ 'x'|int(default=9) }} {{ ' 5 '|int }} {{ '-8'|int }} {{ '0x1A'|int }}");
ok('filter/float', "{{ '2.5'|float }} {{ '1'|float }} {{ 'x'|float }} {{ 'x'|float(1.5) }} {{ 3|float }} {{ true|float }} {{ '1e3'|float }} {{ 'inf'|float }} {{ '-0.25'|float }} {{ 2.5|float }}");
ok('filter/abs', '{{ -5|abs }} {{ -2.5|abs }} {{ n|abs }} {{ neg|abs }} {{ -n|abs }} {{ 0|abs }} {{ (0 - 4)|abs }}');
ok('filter/default', "[{{ missing|default('d') }}] [{{ ''|default('d') }}] [{{ ''|default('d', true) }}] [{{ none|default('d') }}] [{{ none|default('d', boolean=true) }}] [{{ 0|default(5, true) }}] [{{ s|default('d') }}] [{{ []|default('empty', true) }}] [{{ obj.zz|default(obj.a) }}]");
ok('filter/tojson-plain', '{{ nested|tojson }}\n{{ users|tojson }}\n{{ s|tojson }} {{ n|tojson }} {{ f|tojson }} {{ nul|tojson }} {{ t|tojson }}');
ok('filter/tojson-indent', '{{ nested|tojson(indent=2) }}\n{{ users[1]|tojson(indent=4) }}\n{{ [1, [2, 3], {"a": []}, {}]|tojson(indent=2) }}\n{{ [[]]|tojson(indent=1) }}');
ok('filter/tojson-sort-keys', "{{ {'b': 1, 'a': {'d': 2, 'c': 3}, 'B': 0, '_': 1, 'aa': 2, 'A': 5, 'Z': 6, '-x': 7, ' sp': 8}|tojson(sort_keys=true) }} {{ keyorder|tojson(sort_keys=true) }}");
ok('filter/tojson-separators', "{{ {'a': [1, 2], 'b': 'c'}|tojson(separators=(',', ':')) }} {{ {'a': [1, 2]}|tojson(separators=[';', '=']) }} {{ {'a': [1, {'b': 2}]}|tojson(indent=2, separators=(', ', ' = ')) }}");
ok('filter/tojson-ensure-ascii', "{{ 'é世😀\\x7f'|tojson(ensure_ascii=true) }} {{ 'é世😀'|tojson }} {{ {'ké': 'vé'}|tojson(ensure_ascii=true) }} {{ unicode|tojson(ensure_ascii=false) }}");
ok('filter/tojson-escapes', "{{ 'a\"b\\\\c\\n\\t/<>&\\'\\x01\\x1f\\u2028'|tojson }}");
ok('filter/tojson-values', '{{ [1.0, 2.5, 0.1 + 0.2, -0.0, 10.0 ** 21, 2 ** 53]|tojson }} {{ [true, false, none, missing]|tojson }} {{ missing|tojson }}');
bad('filter/tojson-tuple', '{{ (1, "a")|tojson }}');
ok('filter/tojson-namespace-loop', '{% set ns = namespace(a=1) %}{{ ns|tojson }} {% for x in [7] %}{{ loop|tojson }}{% endfor %}');
ok('filter/items', '{% for k, v in obj|items %}{{ k }}:{{ v }} {% endfor %}{{ nested.empty|items }} {{ obj|items|length }}');
ok('filter/dictsort', "{{ {'b': 2, 'a': 1, 'C': 3}|dictsort }} {{ {'b': 2, 'a': 1, 'C': 3}|dictsort(reverse=true) }} {{ {'b': 2, 'a': 3, 'c': 1}|dictsort(by='value') }} {{ {'b': 2, 'a': 1, 'C': 3}|dictsort(true) }}");
ok('filter/selectattr', "{{ users|selectattr('admin')|map(attribute='name')|join(',') }} {{ users|selectattr('name', 'equalto', 'bob')|map(attribute='age')|first }} {{ users|selectattr('email', 'defined')|map(attribute='name')|join(',') }} {{ users|selectattr('email', 'none')|map(attribute='name')|join(',') }} {{ users|selectattr('email', 'string')|map(attribute='name')|join(',') }} {{ messages|selectattr('role', 'eq', 'user')|list|length }}");
ok('filter/rejectattr', "{{ users|rejectattr('admin')|map(attribute='name')|join(',') }} {{ users|rejectattr('email', 'defined')|map(attribute='name')|join(',') }} {{ users|rejectattr('email', 'undefined')|map(attribute='name')|join(',') }} {{ users|rejectattr('email', 'none')|map(attribute='name')|join(',') }} {{ messages|rejectattr('role', 'equalto', 'system')|map(attribute='content')|join('/') }}");
ok('filter/map-attribute', "{{ users|map(attribute='name')|list }} {{ users|map(attribute='email')|list }} {{ users|map(attribute='email', default='?')|join(',') }} {{ users|map(attribute='meta.rank')|list }} {{ []|map(attribute='x')|list }}");
ok('filter/indent', "[{{ text|indent }}]\n[{{ text|indent(2) }}]\n[{{ text|indent(2, true) }}]\n[{{ text|indent(width=3, first=true, blank=true) }}]\n[{{ text|indent('> ') }}]\n[{{ 'a\\nb\\n'|indent(1, true) }}]\n[{{ 'solo'|indent(first=true) }}]");
ok('filter/replace', "{{ 'aaa'|replace('a', 'b') }} {{ 'aaa'|replace('a', 'b', 2) }} {{ 'aaa'|replace('a', 'b', count=1) }} {{ 'abc'|replace('', '-') }} {{ s|replace('World', 'There') }} {{ 'a.b.c'|replace('.', '\\\\') }} {{ 'x$y'|replace('$', '$$') }}");
ok('filter/safe', "{{ '<b>&amp;</b>'|safe }} {{ s|safe }} {{ 5|safe }}");
ok('filter/chain', "{{ '  Hello  '|trim|upper|replace('L', 'l') }} {{ words|sort|first|upper }} {{ users|map(attribute='name')|join('-')|lower|length }}");
ok('filter/statement', '{% filter upper %}hello {{ s }}{% endfilter %} {% filter replace("a", "4") %}banana{% endfilter %}');
ok('filter/bool', '{{ true|bool }} {{ false|bool }}');
ok('filter/on-loop-and-objects', "{% for x in [1] %}{{ loop|length }}{% endfor %} {{ obj|items|first }}");
bad('filter/default-without-parentheses', '{{ missing|default }}');
bad('filter/unknown', "{{ 'x'|frobnicate }}");
bad('filter/trim-with-argument', "{{ 'xxhixx'|trim('x') }}");
bad('filter/count', '{{ list|count }}');
bad('filter/first-of-string', "{{ 'abc'|first }}");
bad('filter/reverse-string', "{{ 'abc'|reverse }}");
bad('filter/list-of-string', "{{ 'abc'|list }}");
bad('filter/string-of-object', '{{ obj|string }}');
bad('filter/string-of-none', '{{ none|string }}');
bad('filter/upper-of-undefined', '{{ missing|upper }}');
bad('filter/length-of-undefined', '{{ missing|length }}');
bad('filter/sort-mixed', "{{ [1, 'a']|sort }}");
bad('filter/selectattr-int-argument', "{{ users|selectattr('age', 'equalto', 25)|list }}");
bad('filter/map-without-attribute', "{{ words|map('upper')|list }}");
bad('filter/sum', '{{ nums|sum }}');
bad('filter/tojson-function', '{{ range|tojson }}');

// ---- tests ----
ok('test/defined', '{{ s is defined }} {{ missing is defined }} {{ missing is undefined }} {{ none is defined }} {{ obj.zz is defined }} {{ s is not defined }} {{ nul is defined }} {{ obj.a is undefined }}');
ok('test/none', '{{ none is none }} {{ missing is none }} {{ 0 is none }} {{ none is not none }} {{ nul is none }} {{ nested.none is none }}');
ok('test/types', "{% for v in [1, 2.5, 'a', true, none, [1], {'a': 1}, missing, -0.0, ''] %}{{ 'S' if v is string else '-' }}{{ 'N' if v is number else '-' }}{{ 'I' if v is integer else '-' }}{{ 'B' if v is boolean else '-' }}{{ 'M' if v is mapping else '-' }}{{ 'T' if v is iterable else '-' }}{{ 'Q' if v is sequence else '-' }}{{ 'C' if v is callable else '-' }}{{ 'n' if v is none else '-' }}{{ 'd' if v is defined else '-' }} {% endfor %}");
ok('test/special-values', "{{ range is callable }} {{ s.upper is callable }} {{ namespace() is mapping }} {% for x in [1] %}{{ loop is mapping }}{% endfor %} {{ (1, 2) is sequence }} {{ (1, 2) is iterable }}");
ok('test/true-false', '{{ true is true }} {{ 1 is true }} {{ false is false }} {{ 0 is false }} {{ none is false }} {{ t is true }} {{ fa is not true }}');
ok('test/odd-even', '{{ 3 is odd }} {{ 4 is even }} {{ -3 is odd }} {{ 0 is even }} {{ n is odd }} {{ neg is even }} {{ 2 is not odd }}');
ok('test/lower-upper', "{{ 'abc' is lower }} {{ 'aBc' is lower }} {{ 'ABC' is upper }} {{ '123' is lower }} {{ '123' is upper }} {{ 5 is lower }} {{ '' is upper }} {{ 'é' is lower }}");
ok('test/precedence', "{{ not s is none }} {{ (2 * 3) is odd }} {{ (n + 1) is even }} {{ 'x' ~ n is odd }} {{ s is string and n is number }} {{ messages[0]['role'] is string }}");
bad('test/binds-tighter-than-multiply', '{{ 2 * 3 is odd }}');
bad('test/with-argument', '{{ 1 is equalto 1 }}');
bad('test/divisibleby', '{{ 6 is divisibleby(3) }}');
bad('test/unknown', '{{ 1 is frobnicated }}');
bad('test/odd-of-float', '{{ 2.0 is even }}');

// ---- string methods ----
ok('strmethod/strip', '[{{ sp.strip() }}][{{ sp.lstrip() }}][{{ sp.rstrip() }}][{{ e.strip() }}]');
ok('strmethod/strip-argument', r`[{{ 'xxhixx'.strip('x') }}][{{ '--a--'.lstrip('-') }}][{{ '\n\nhi\n'.lstrip('\n') }}][{{ 'hi  \n'.rstrip(' ') }}][{{ '  hi  '.strip(' ') }}]`);
ok('strmethod/split', r`{{ '  a b  c '.split() }} {{ 'a,b,,c'.split(',') }} {{ 'a b c d'.split(' ', 2) }} {{ '  a  b c '.split(none, 1) }} {{ 'abc'.split('x') }} {{ ''.split() }} {{ ''.split(',') }} {{ 'a\tb\nc'.split() }} {{ 'a-b-c'.split('-', 0) }} {{ 'a-b-c'.split('-', -1) }}`);
ok('strmethod/split-index', "{{ 'k=v'.split('=')[1] }} {{ s.split()|length }} {{ s.split(' ')|last }}");
ok('strmethod/startswith-endswith', "{{ s.startswith('Hell') }} {{ s.startswith(('x', 'He')) }} {{ s.endswith('ld') }} {{ s.endswith(['q', 'z']) }} {{ s.startswith('') }} {{ e.endswith('a') }}");
ok('strmethod/replace', "{{ s.replace('o', '0') }} {{ s.replace('o', '0', 1) }} {{ s.replace('xyz', 'q') }} {{ 'aXbXc'.replace('X', '') }} {{ 'ab'.replace('', '.') }}");
ok('strmethod/case', "{{ s.upper() }} {{ s.lower() }} {{ 'ab cd-ef'.title() }} {{ 'aBC dEF'.capitalize() }} {{ unicode.upper() }}");
ok('strmethod/chain', "{{ '  A-b  '.strip().lower().replace('-', '_') }} {{ messages[0].content.upper().split('.')[0] }}");
bad('strmethod/split-empty-separator', "{{ 'abc'.split('') }}");
bad('strmethod/split-keyword', "{{ 'a,b,c'.split(',', maxsplit=1) }}");
bad('strmethod/unknown', '{{ s.format(1) }}');
bad('strmethod/startswith-number', '{{ s.startswith(1) }}');

// ---- dict methods ----
ok('dictmethod/get', "{{ obj.get('a') }} [{{ obj.get('zz') }}] {{ obj.get('zz', 'dflt') }} {{ obj.get('a', 5) }} {{ obj.get('c')|length }} {{ obj.get('zz') is none }}");
ok('dictmethod/items-keys-values', '{{ obj.items() }} {{ obj.keys() }} {{ obj.values() }} {{ nested.empty.items() }}');
ok('dictmethod/iterate', "{% for k in obj.keys() %}{{ k }}{% endfor %} {% for v in obj.values() %}{{ v }};{% endfor %} {% for k, v in nested.user.items() %}{{ k }} {% endfor %}");
ok('dictmethod/key-shadows-method', "{{ shadow.items }} {{ shadow['get'] }} {{ shadow|length }} {{ shadow|items|length }}");
bad('dictmethod/method-shadowed-by-key', "{{ shadow.get('items') }}");
bad('dictmethod/get-int-key', '{{ obj.get(1) }}');

// ---- globals ----
ok('global/range', '{{ range(5) }} {{ range(2, 5) }} {{ range(0, 10, 3) }} {{ range(5, 0, -2) }} {{ range(0) }} {{ range(3)|length }} {{ range(-3) }} {{ range(n)|last }}');
ok('global/strftime-now', "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M') }}|{{ strftime_now('%B') }}|{{ strftime_now('%m/%d') }}|{{ strftime_now('100%%') }}|{{ strftime_now('%A %j %y %S') }}|{{ strftime_now('') }}");
ok('global/raise-not-reached', "{% if false %}{{ raise_exception('never') }}{% endif %}ok");
ok('global/booleans-shadowable', '{% set x = true %}{{ x }} {{ True and None is none }}');
bad('global/raise-exception', "{{ raise_exception('Custom failure: ' ~ n) }}");
bad('global/raise-in-loop', "{% for m in messages %}{% if m.role == 'assistant' %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{{ m.content }}{% endfor %}");
bad('global/call-undefined', '{{ foo() }}');
bad('global/call-string', "{{ s() }}");

// ---- set and assignment ----
ok('set/reassign', '{% set x = 1 %}{% set x = x + 1 %}{{ x }} {% set s = "shadowed" %}{{ s }}');
ok('set/context-variable', "{% set messages = messages[1:] %}{{ messages|length }} {{ messages[0].role }}");
ok('set/list-and-dict', "{% set l = [1, n, 'x'] %}{% set d = {'k': l, 'n': n * 2} %}{{ d }} {{ d.k[1] }}");
bad('set/attribute-on-dict', '{% set obj.a = 2 %}{{ obj.a }}');
bad('set/unpack-count', '{% set a, b = [1, 2, 3] %}');

// ---- syntax errors ----
bad('syntax/unclosed-if', '{% if true %}x');
bad('syntax/unclosed-for', '{% for x in [1] %}x');
bad('syntax/unclosed-expression', '{{ x ');
bad('syntax/unclosed-comment', 'a {# b');
bad('syntax/unknown-statement', '{% frobnicate %}');
bad('syntax/stray-endif', 'a{% endif %}');
bad('syntax/missing-operand', '{{ 1 + }}');
bad('syntax/empty-expression', '{{ }}');
bad('syntax/bad-character', '{{ 1 ; 2 }}');
bad('syntax/extends', "{% extends 'base.html' %}");

// ---- mini chat templates (the shapes real templates take) ----
ok('chat/tojson-tools', r`{%- for tool in tools %}
{{- tool | tojson(indent=4) }}
{{- "\n\n" }}
{%- endfor %}`, { tools: [{ type: 'function', function: { name: 'get_weather', description: 'Get the weather — °C', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }] });
ok('chat/system-slice', r`{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set system_message = '' %}
    {%- set loop_messages = messages %}
{%- endif %}
[{{ system_message }}]
{%- for message in loop_messages %}
    {{- '\n' + message['role'] + ': ' + message['content'] | trim }}
{%- endfor %}`);
ok('chat/content-list', r`{%- for message in messages %}
{%- if message.content is string %}{{ message.content }}
{%- else %}{% for part in message.content %}{% if part.type == 'text' %}{{ part.text }}{% elif part.type == 'image' %}<image>{% endif %}{% endfor %}
{%- endif %}|
{%- endfor %}`, { messages: [{ role: 'user', content: [{ type: 'text', text: 'Look: ' }, { type: 'image' }, { type: 'text', text: ' ok?' }] }, { role: 'assistant', content: 'Nice.' }] });
ok('chat/tool-calls', r`{%- for message in messages %}
{%- if message.tool_calls is defined and message.tool_calls %}
{%- for tc in message.tool_calls %}{{ tc.function.name }}({{ tc.function.arguments|tojson }}){% if not loop.last %}, {% endif %}{% endfor %}
{%- else %}{{ message.content }}{% endif %}
{%- if not loop.last %}{{ '\n' }}{% endif %}
{%- endfor %}`, { messages: [{ role: 'user', content: 'Weather?' }, { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: { city: 'Paris', days: 2 } } }, { id: 'c2', type: 'function', function: { name: 'now', arguments: {} } }] }] });

// ---- serving: what /v1/chat/completions must give the engine (issue 19, must-show 2) ----
// Llama 3.2's template for one conversation, as binserve's server renders it:
// add_generation_prompt true, the BOS and EOS texts of the GGUF the test
// serves, and no date_string, so strftime_now reads the real clock (the
// server's), not the frozen one above.
const servingMessages = [
  { role: 'system', content: 'You are a concise assistant. Answer in one sentence.' },
  { role: 'user', content: 'What is the capital of France?' },
  { role: 'assistant', content: 'Paris.' },
  { role: 'user', content: '  And of Japan? Ünïcödé, 日本, 🗾  ' },
];
globalThis.Date = RealDate;
const servingTemplate = readFileSync(join(templatesDir, 'llama3.2.jinja'), 'utf8');
const serving = {
  template: servingTemplate,
  messages: servingMessages,
  bos_token: '<|begin_of_text|>',
  eos_token: '<|end_of_text|>',
  expected: new Template(servingTemplate).render({
    messages: servingMessages, add_generation_prompt: true, bos_token: '<|begin_of_text|>', eos_token: '<|end_of_text|>',
  }),
};
globalThis.Date = FrozenDate;

// ---- write ----
const errors = cases.filter((c) => 'error' in c).length;
writeFileSync(outPath, JSON.stringify({ jinja: JINJA_VERSION, now_unix: NOW_MS / 1000, cases, serving }, null, 1) + '\n');
console.log(`template-ref: ${cases.length} cases (${realCount} real-template, ${constructCount} construct), ${errors} errors`);
