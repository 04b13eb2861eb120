#include "gpu/gguf_loader.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include "gpu/backend.hpp"
#include "gpu/gguf_writer.hpp"
#include "tests/gpu/tiny_model.hpp"
#include "tests/test_paths.hpp"

namespace binserve {
namespace {

using gguf_writer = gguf::writer;

constexpr const char* kGguf = "models/stories260K.gguf";
constexpr const char* kBin = "models/stories260K.bin";
constexpr const char* kTok = "models/tok512.bin";

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

template <class T>
T load_le(const std::string& bytes, std::size_t at) {
  T v;
  std::memcpy(&v, bytes.data() + at, sizeof v);
  return v;
}

// A llama2.c legacy checkpoint read raw: its 7-int header and every float after it.
struct llama2c_checkpoint {
  std::int32_t header[7];  // dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab, seq_len
  std::vector<float> floats;
};

llama2c_checkpoint read_checkpoint(const std::string& path) {
  const std::string bytes = read_bytes(path);
  llama2c_checkpoint c{};
  std::memcpy(c.header, bytes.data(), sizeof c.header);
  c.floats.resize((bytes.size() - sizeof c.header) / sizeof(float));
  std::memcpy(c.floats.data(), bytes.data() + sizeof c.header, c.floats.size() * sizeof(float));
  return c;
}

// Expects `got` and `want` bit-identical, reporting the first difference.
void expect_bits_equal(const std::string& what, const float* got, const float* want, std::size_t n) {
  std::size_t differing = 0, first = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (std::bit_cast<std::uint32_t>(got[i]) != std::bit_cast<std::uint32_t>(want[i]))
      if (differing++ == 0) first = i;
  EXPECT_EQ(differing, 0u) << what << ": " << differing << " of " << n << " elements differ; first at " << first
                           << ": got " << got[first] << ", want " << want[first];
}

// Two layers, context 32, and non-default norm and RoPE constants (GGUF
// carries them).
model tiny_model(bool shared_classifier) {
  model m = testing::tiny_model(shared_classifier, 2, 32);
  m.config.norm_eps = 1e-6f;
  m.config.rope_theta = 500000.0f;
  return m;
}

bool has_code(const status& s, error_code code, const std::string& substring) {
  return s.code() == code && s.message().find(substring) != std::string::npos;
}

class GgufLoader : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("binserve_gguf_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Writes `bytes` to a file in the test's folder and loads it.
  status load_bytes(const std::string& bytes, model& out, const std::string& name = "m.gguf") {
    const std::string p = path(name);
    if (!testing::write_file(p, bytes)) return status(error_code::io_error, "cannot write " + p);
    return load_gguf(p, out);
  }

  status load_writer(const gguf_writer& w) {
    model m;
    return load_bytes(w.bytes(), m);
  }

  std::filesystem::path dir_;
};

// ---- the real stories260K file ----------------------------------------------

TEST_F(GgufLoader, LoadsStories260KShapeAndTokenizer) {
  BINSERVE_REQUIRE_SHARED(kGguf);
  model m;
  ASSERT_TRUE(load_gguf(binserve::testing::shared_path(kGguf), m).ok());
  const model_config& c = m.config;
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.hidden_dim, 172);
  EXPECT_EQ(c.n_layers, 5);
  EXPECT_EQ(c.n_heads, 8);
  EXPECT_EQ(c.n_kv_heads, 4);
  EXPECT_EQ(c.vocab_size, 512);
  EXPECT_EQ(c.n_ctx, 2048);  // what the metadata says; the model was trained at 512
  EXPECT_FLOAT_EQ(c.norm_eps, 1e-5f);
  EXPECT_EQ(c.rope_theta, 10000.0f);  // no llama.rope.freq_base key: the default
  EXPECT_FALSE(c.shared_classifier);  // the file carries output.weight
  EXPECT_EQ(m.vocab.size(), 512);
  EXPECT_EQ(m.vocab.bos_id, 1);
  EXPECT_EQ(m.vocab.eos_id, 2);
  EXPECT_EQ(m.vocab.unk_id, 0);
  EXPECT_EQ(m.vocab.pieces[1], "<s>");
  EXPECT_EQ(m.vocab.pieces[259], " t");
  EXPECT_EQ(m.vocab.pieces[261], " a");
  EXPECT_EQ(m.vocab.kinds[0], token_kind::unknown);
  EXPECT_EQ(m.vocab.kinds[2], token_kind::control);
  EXPECT_EQ(m.vocab.kinds[3 + 'A'], token_kind::byte);
  EXPECT_EQ(m.vocab.kinds[261], token_kind::normal);
  for (const auto& piece : m.vocab.pieces) EXPECT_EQ(piece.find("\xE2\x96\x81"), std::string::npos);
}

TEST_F(GgufLoader, VocabMatchesLlama2cTokenizerFile) {
  BINSERVE_REQUIRE_SHARED(kGguf);
  BINSERVE_REQUIRE_SHARED(kTok);
  model m;
  ASSERT_TRUE(load_gguf(binserve::testing::shared_path(kGguf), m).ok());
  const std::string tok = read_bytes(binserve::testing::shared_path(kTok));
  std::size_t at = 4;  // after max_token_length
  for (int id = 0; id < 512; ++id) {
    const float score = load_le<float>(tok, at);
    const auto len = static_cast<std::size_t>(load_le<std::int32_t>(tok, at + 4));
    const std::string piece = tok.substr(at + 8, len);
    at += 8 + len;
    EXPECT_EQ(m.vocab.scores[id], score) << "token " << id;
    // llama2.c's exporter writes BOS/EOS as "\n<s>\n" and "\n</s>\n".
    if (id != 1 && id != 2) {
      EXPECT_EQ(m.vocab.pieces[id], piece) << "token " << id;
    }
  }
}

TEST_F(GgufLoader, MatchesLlama2cCheckpointTensors) {
  BINSERVE_REQUIRE_SHARED(kGguf);
  BINSERVE_REQUIRE_SHARED(kBin);
  model m;
  ASSERT_TRUE(load_gguf(binserve::testing::shared_path(kGguf), m).ok());
  const llama2c_checkpoint bin = read_checkpoint(binserve::testing::shared_path(kBin));
  const model_config& c = m.config;
  const std::int32_t want_header[7] = {c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size, 512};
  ASSERT_EQ(std::memcmp(bin.header, want_header, sizeof want_header), 0);
  const std::size_t d = c.dim, v = c.vocab_size;
  // llama2.c order: embedding, each per-layer kind stacked over all layers, rms_final.
  const std::vector<float> got = testing::all_values(*m.weights);
  ASSERT_EQ(got.size(), std::size_t(c.n_params()));
  const std::size_t before_cls = got.size() - v * d;
  expect_bits_equal("weights up to rms_final", got.data(), bin.floats.data(), before_cls);
  // The checkpoint shares its classifier; the GGUF stores a copy as output.weight.
  expect_bits_equal("wcls", got.data() + before_cls, bin.floats.data(), v * d);
  const float* next = bin.floats.data() + before_cls;
  const std::size_t rope_tables = 512 * (d / c.n_heads);  // freq_cis_real + freq_cis_imag
  EXPECT_EQ(static_cast<std::size_t>(next - bin.floats.data()) + rope_tables, bin.floats.size());
}

TEST_F(GgufLoader, F16CopyMatchesF32WithinHalfPrecision) {
  BINSERVE_REQUIRE_SHARED(kGguf);
  model f32;
  ASSERT_TRUE(load_gguf(binserve::testing::shared_path(kGguf), f32).ok());
  model f16;
  const status s = load_bytes(gguf::llama_gguf(f32, gguf::tensor_type::f16).bytes(), f16);
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(f16.vocab.pieces, f32.vocab.pieces);
  EXPECT_EQ(f16.config.dim, f32.config.dim);
  const std::vector<float> want = testing::all_values(*f32.weights);
  const std::vector<float> got = testing::all_values(*f16.weights);
  ASSERT_EQ(got.size(), want.size());
  std::size_t outside = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    // Half an fp16 ulp: 2^-11 relative for normals, 2^-25 absolute for subnormals.
    const float bound = std::max(std::fabs(want[i]) * 0x1p-11f, 0x1p-25f);
    if (!(std::fabs(got[i] - want[i]) <= bound)) ++outside;
  }
  EXPECT_EQ(outside, 0u);
  EXPECT_NE(got, want);  // the copy really was rounded to fp16
}

// Cutting the real file anywhere is reported, never a crash: every byte of the
// header and first keys, a stride of 7 through the rest of the metadata and
// tensor infos, a coarse stride through the data.
TEST_F(GgufLoader, RejectsEveryTruncationOfRealFile) {
  BINSERVE_REQUIRE_SHARED(kGguf);
  const std::string bytes = read_bytes(binserve::testing::shared_path(kGguf));
  const std::size_t data_start = 14176;  // after the tensor infos, 32-aligned
  std::vector<std::size_t> cuts;
  for (std::size_t n = 0; n <= data_start + 64; n += n < 1024 ? 1 : 7) cuts.push_back(n);
  for (std::size_t n = data_start + 64; n < bytes.size(); n += 65537) cuts.push_back(n);
  cuts.push_back(bytes.size() - 1);
  for (std::size_t n : cuts) {
    model m;
    const status s = load_bytes(bytes.substr(0, n), m);
    ASSERT_TRUE(has_code(s, error_code::model_invalid, "truncated")) << n << ": " << s.to_string();
  }
}

// ---- synthetic files ----------------------------------------------------------

TEST_F(GgufLoader, RoundTripsWriterOutputExactly) {
  const model want = tiny_model(false);
  model got;
  const status s = load_bytes(gguf::llama_gguf(want).bytes(), got);
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(got.config.dim, 16);
  EXPECT_EQ(got.config.hidden_dim, 24);
  EXPECT_EQ(got.config.n_layers, 2);
  EXPECT_EQ(got.config.n_heads, 4);
  EXPECT_EQ(got.config.n_kv_heads, 2);
  EXPECT_EQ(got.config.n_ctx, 32);
  EXPECT_EQ(got.config.vocab_size, 7);
  EXPECT_EQ(got.config.norm_eps, 1e-6f);
  EXPECT_EQ(got.config.rope_theta, 500000.0f);
  EXPECT_FALSE(got.config.shared_classifier);
  EXPECT_EQ(got.vocab.pieces, want.vocab.pieces);
  EXPECT_EQ(got.vocab.scores, want.vocab.scores);
  EXPECT_EQ(got.vocab.kinds, want.vocab.kinds);
  EXPECT_EQ(testing::all_values(*got.weights), want.weights->storage);
}

TEST_F(GgufLoader, MissingOutputWeightSharesClassifier) {
  const model want = tiny_model(true);
  model got;
  const status s = load_bytes(gguf::llama_gguf(want).bytes(), got);
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_TRUE(got.config.shared_classifier);
  EXPECT_EQ(got.weights->wcls.data, got.weights->token_embedding.data);
  EXPECT_EQ(testing::all_values(*got.weights), want.weights->storage);
}

TEST_F(GgufLoader, ConvertsF16SpecialValuesExactly) {
  const std::vector<std::uint16_t> halves = {0x0001, 0x03ff, 0x0200, 0x0400, 0x7bff, 0x7c00, 0xfc00, 0x8000,
                                             0x7e00, 0x3c00, 0xc000, 0x3555, 0x8001, 0x83ff, 0x3bff, 0xfe01};
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> want = {
      0x1p-24f, 1023 * 0x1p-24f, 0x1p-15f,  0x1p-14f,         65504.0f,       inf, -inf, -0.0f, NAN, 1.0f,
      -2.0f,    0.333251953125f, -0x1p-24f, -1023 * 0x1p-24f, 0.99951171875f, -NAN};
  gguf_writer w = gguf::llama_gguf(tiny_model(false), gguf::tensor_type::f16);
  std::string raw(reinterpret_cast<const char*>(halves.data()), halves.size() * 2);
  w.add_raw_tensor("output_norm.weight", {16}, 1, raw);
  model m;
  const status s = load_bytes(w.bytes(), m);
  ASSERT_TRUE(s.ok()) << s.to_string();
  for (std::size_t i = 0; i < want.size(); ++i) {
    const float got = m.weights->rms_final[i];
    if (std::isnan(want[i]))
      EXPECT_TRUE(std::isnan(got)) << i;
    else
      EXPECT_EQ(got, want[i]) << i;
    EXPECT_EQ(std::signbit(got), std::signbit(want[i])) << i;
  }
}

TEST_F(GgufLoader, HonorsGeneralAlignment) {
  const model want = tiny_model(false);
  gguf_writer w = gguf::llama_gguf(want);
  w.set_alignment(64);
  model got;
  const status s = load_bytes(w.bytes(), got);
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(testing::all_values(*got.weights), want.weights->storage);
}

TEST_F(GgufLoader, AcceptsAnyIntegerTypeForSizes) {
  gguf_writer w = gguf::llama_gguf(tiny_model(false));
  w.set_u64("llama.embedding_length", 16);
  w.set_i32("llama.feed_forward_length", 24);
  w.set_raw("llama.block_count", 0, std::string(1, '\x02'));                    // u8
  w.set_raw("llama.attention.head_count", 3, std::string("\x04\x00", 2));       // i16
  w.set_raw("llama.context_length", 11, std::string("\x20\0\0\0\0\0\0\0", 8));  // i64
  w.set_raw("tokenizer.ggml.bos_token_id", 2, std::string("\x01\x00", 2));      // u16
  model m;
  const status s = load_bytes(w.bytes(), m);
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(m.config.dim, 16);
  EXPECT_EQ(m.config.hidden_dim, 24);
  EXPECT_EQ(m.config.n_layers, 2);
  EXPECT_EQ(m.config.n_heads, 4);
  EXPECT_EQ(m.config.n_ctx, 32);
  EXPECT_EQ(m.vocab.bos_id, 1);
}

TEST_F(GgufLoader, AppliesDefaultsForOptionalKeys) {
  const model tiny = tiny_model(false);
  gguf_writer w = gguf::llama_gguf(tiny);
  for (const char* key :
       {"llama.attention.head_count_kv", "llama.rope.freq_base", "tokenizer.ggml.scores", "tokenizer.ggml.token_type",
        "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id"})
    w.remove(key);
  const float* wq = tiny.weights->layers[0].wq.f32();
  for (int l = 0; l < 2; ++l) {  // an absent head_count_kv means n_heads: full-width K and V
    const std::string p = "blk." + std::to_string(l) + ".";
    w.add_tensor(p + "attn_k.weight", {16, 16}, wq, 256);
    w.add_tensor(p + "attn_v.weight", {16, 16}, wq, 256);
  }
  model m;
  const status s = load_bytes(w.bytes(), m);
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(m.config.n_kv_heads, 4);
  EXPECT_EQ(m.config.rope_theta, 10000.0f);
  EXPECT_EQ(m.vocab.scores, std::vector<float>(7, 0.0f));
  EXPECT_EQ(m.vocab.kinds, std::vector<token_kind>(7, token_kind::normal));
  EXPECT_EQ(m.vocab.bos_id, 1);
  EXPECT_EQ(m.vocab.eos_id, 2);
  EXPECT_EQ(m.vocab.unk_id, 0);
}

TEST_F(GgufLoader, RejectsWrongMagic) {
  std::string bytes = gguf::llama_gguf(tiny_model(false)).bytes();
  bytes[0] = 'X';
  model m;
  const status s = load_bytes(bytes, m, "magic.gguf");
  EXPECT_TRUE(has_code(s, error_code::model_invalid, "not a GGUF file")) << s.to_string();
  EXPECT_NE(s.message().find("magic.gguf"), std::string::npos) << s.to_string();
}

TEST_F(GgufLoader, RejectsVersion2) {
  gguf_writer w = gguf::llama_gguf(tiny_model(false));
  w.set_version(2);
  const status s = load_writer(w);
  EXPECT_TRUE(has_code(s, error_code::model_invalid, "version 2")) << s.to_string();
}

TEST_F(GgufLoader, RejectsEveryTruncationOfSyntheticFile) {
  const std::string bytes = gguf::llama_gguf(tiny_model(false)).bytes();
  // Every byte through the metadata and tensor infos (about 1.5 KB), then a stride.
  for (std::size_t n = 0; n < bytes.size(); n += n < 2048 ? 1 : 61) {
    model m;
    const status s = load_bytes(bytes.substr(0, n), m);
    ASSERT_TRUE(has_code(s, error_code::model_invalid, "truncated")) << n << ": " << s.to_string();
  }
}

TEST_F(GgufLoader, NamesTheKeyWhereMetadataIsTruncated) {
  gguf_writer w;
  w.set_string("general.architecture", "llama");
  w.set_strings("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>"});
  const std::string bytes = w.bytes();
  model m;
  const status s = load_bytes(bytes.substr(0, bytes.find("</s>") + 2), m);
  EXPECT_TRUE(has_code(s, error_code::model_invalid, "truncated in metadata key 1 (tokenizer.ggml.tokens)"))
      << s.to_string();
}

TEST_F(GgufLoader, RejectsNonLlamaArchitecture) {
  gguf_writer w = gguf::llama_gguf(tiny_model(false));
  w.set_string("general.architecture", "gpt2");
  const status s = load_writer(w);
  EXPECT_TRUE(has_code(s, error_code::model_invalid, "architecture 'gpt2'")) << s.to_string();
}

TEST_F(GgufLoader, RejectsEachMissingRequiredMetadataKey) {
  for (const char* key : {"general.architecture", "llama.embedding_length", "llama.feed_forward_length",
                          "llama.block_count", "llama.attention.head_count", "llama.context_length",
                          "llama.attention.layer_norm_rms_epsilon", "tokenizer.ggml.tokens"}) {
    gguf_writer w = gguf::llama_gguf(tiny_model(false));
    w.remove(key);
    const status s = load_writer(w);
    EXPECT_TRUE(has_code(s, error_code::model_invalid, "missing metadata key '" + std::string(key) + "'"))
        << s.to_string();
  }
}

TEST_F(GgufLoader, RejectsMetadataOfWrongType) {
  gguf_writer w = gguf::llama_gguf(tiny_model(false));
  w.set_string("llama.embedding_length", "16");
  const status s = load_writer(w);
  EXPECT_TRUE(has_code(s, error_code::model_invalid, "'llama.embedding_length' is string, expected an integer"))
      << s.to_string();
}

TEST_F(GgufLoader, RejectsMissingTensor) {
  gguf_writer w = gguf::llama_gguf(tiny_model(false));
  w.remove_tensor("blk.1.ffn_up.weight");
  const status s = load_writer(w);
  EXPECT_TRUE(has_code(s, error_code::model_invalid, "missing tensor 'blk.1.ffn_up.weight'")) << s.to_string();
}

TEST_F(GgufLoader, RejectsWrongTensorShape) {
  const model tiny = tiny_model(false);
  gguf_writer w = gguf::llama_gguf(tiny);
  w.add_tensor("blk.0.attn_k.weight", {8, 16}, tiny.weights->layers[0].wk.f32(), 128);  // transposed
  const status s = load_writer(w);
  EXPECT_TRUE(
      has_code(s, error_code::model_invalid, "tensor 'blk.0.attn_k.weight' has shape [8, 16], expected [16, 8]"))
      << s.to_string();
}

TEST_F(GgufLoader, RejectsVocabSizeNotMatchingEmbedding) {
  gguf_writer w = gguf::llama_gguf(tiny_model(false));
  w.set_strings("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "a", "b", "c"});
  w.remove("tokenizer.ggml.scores");
  w.remove("tokenizer.ggml.token_type");
  const status s = load_writer(w);
  EXPECT_TRUE(has_code(s, error_code::model_invalid, "tensor 'token_embd.weight' has shape [16, 7], expected [16, 6]"))
      << s.to_string();
}

TEST_F(GgufLoader, RejectsUnsupportedTensorType) {
  gguf_writer w = gguf::llama_gguf(tiny_model(false));
  w.add_raw_tensor("blk.0.attn_q.weight", {32, 16}, 3, std::string(16 * 20, '\0'));  // Q4_1
  const status s = load_writer(w);
  EXPECT_TRUE(has_code(s, error_code::model_invalid, "tensor 'blk.0.attn_q.weight' has unsupported type 3 (Q4_1)"))
      << s.to_string();
}

TEST_F(GgufLoader, RejectsQuantizedRowsThatAreNotWholeBlocks) {
  gguf_writer w = gguf::llama_gguf(tiny_model(false));
  w.add_raw_tensor("blk.0.attn_q.weight", {16, 16}, 12, std::string(144, '\0'));  // Q4_K
  const status s = load_writer(w);
  EXPECT_TRUE(has_code(s, error_code::model_invalid,
                       "tensor 'blk.0.attn_q.weight' of type Q4_K has rows of 16 values, not a whole "
                       "number of its 256-value blocks"))
      << s.to_string();
}

TEST_F(GgufLoader, RejectsATruncatedQuantizedTensor) {
  gguf_writer w = gguf::llama_gguf(tiny_model(false));
  // Q8_0 [32, 16] is 16 blocks of 34 bytes; the file ends after 15.
  w.add_raw_tensor("zz.last", {32, 16}, 8, std::string(15 * 34, '\0'));
  const status s = load_writer(w);
  EXPECT_TRUE(has_code(s, error_code::model_invalid, "truncated: tensor 'zz.last' (544 bytes")) << s.to_string();
}

TEST_F(GgufLoader, RejectsHugeStringLength) {
  gguf_writer w = gguf::llama_gguf(tiny_model(false));
  std::string payload(8, '\0');
  const std::uint64_t huge = std::uint64_t(1) << 62;
  std::memcpy(payload.data(), &huge, 8);
  w.set_raw("general.name", 8, payload + "stories");
  const status s = load_writer(w);
  EXPECT_TRUE(has_code(s, error_code::model_invalid, "truncated in metadata key")) << s.to_string();
  EXPECT_NE(s.message().find("(general.name)"), std::string::npos) << s.to_string();
}

TEST_F(GgufLoader, RejectsHugeArrayCount) {
  for (std::uint32_t elem_type : {8u, 6u, 0u}) {  // strings, f32, u8
    gguf_writer w = gguf::llama_gguf(tiny_model(false));
    std::string payload(12, '\0');
    const std::uint64_t huge = ~std::uint64_t(0);
    std::memcpy(payload.data(), &elem_type, 4);
    std::memcpy(payload.data() + 4, &huge, 8);
    w.set_raw("tokenizer.ggml.merges", 9, payload + std::string(64, 'x'));
    const status s = load_writer(w);
    EXPECT_TRUE(has_code(s, error_code::model_invalid, "(tokenizer.ggml.merges)")) << s.to_string();
    EXPECT_NE(s.message().find("truncated"), std::string::npos) << s.to_string();
  }
}

TEST_F(GgufLoader, RejectsNestedArray) {
  gguf_writer w = gguf::llama_gguf(tiny_model(false));
  std::string payload(12, '\0');
  payload[0] = 9;  // elements are arrays
  w.set_raw("tokenizer.ggml.merges", 9, payload);
  const status s = load_writer(w);
  EXPECT_TRUE(has_code(s, error_code::model_invalid, "array of unsupported array")) << s.to_string();
}

TEST_F(GgufLoader, RejectsTensorOffsetPastEnd) {
  for (std::uint64_t offset : {std::uint64_t(1) << 40, ~std::uint64_t(0) - 8}) {
    gguf_writer w = gguf::llama_gguf(tiny_model(false));
    w.add_raw_tensor("output_norm.weight", {16}, 0, std::string(64, '\0'), offset);
    const status s = load_writer(w);
    EXPECT_TRUE(has_code(s, error_code::model_invalid, "tensor 'output_norm.weight'")) << s.to_string();
    EXPECT_NE(s.message().find("past the end"), std::string::npos) << s.to_string();
  }
}

TEST_F(GgufLoader, RejectsTooManyDimensions) {
  gguf_writer w = gguf::llama_gguf(tiny_model(false));
  w.add_raw_tensor("output_norm.weight", {16, 1, 1, 1, 1}, 0, std::string(64, '\0'));
  const status s = load_writer(w);
  EXPECT_TRUE(has_code(s, error_code::model_invalid, "has 5 dimensions")) << s.to_string();
}

TEST_F(GgufLoader, RejectsOverflowingTensorShape) {
  const std::uint64_t big = std::uint64_t(1) << 32;
  for (const std::vector<std::uint64_t>& dims :
       {std::vector<std::uint64_t>{big, big, big}, std::vector<std::uint64_t>{big, big / 2}}) {
    gguf_writer w = gguf::llama_gguf(tiny_model(false));
    w.add_raw_tensor("output_norm.weight", dims, 0, std::string(64, '\0'));
    const status s = load_writer(w);
    EXPECT_TRUE(has_code(s, error_code::model_invalid, "is too large")) << s.to_string();
  }
}

TEST_F(GgufLoader, RejectsSpecialTokenOutsideVocabulary) {
  gguf_writer w = gguf::llama_gguf(tiny_model(false));
  w.set_u32("tokenizer.ggml.eos_token_id", 7);
  status s = load_writer(w);
  EXPECT_TRUE(
      has_code(s, error_code::model_invalid, "tokenizer.ggml.eos_token_id 7 is outside the vocabulary (7 tokens)"))
      << s.to_string();
  w.set_u32("tokenizer.ggml.eos_token_id", 4294967295u);  // llama.cpp's "none"
  s = load_writer(w);
  EXPECT_TRUE(has_code(s, error_code::model_invalid, "'tokenizer.ggml.eos_token_id' = 4294967295 is out of range"))
      << s.to_string();
}

TEST_F(GgufLoader, RejectsInconsistentShapeMetadata) {
  gguf_writer w = gguf::llama_gguf(tiny_model(false));
  w.set_u32("llama.attention.head_count_kv", 3);
  const status s = load_writer(w);
  EXPECT_TRUE(has_code(s, error_code::model_invalid, "m.gguf: model shape: n_heads 4")) << s.to_string();
}

// Found by gguf_fuzz (tests/fuzz/corpus/gguf/crash_huge_block_count.gguf):
// the layer count sized the tensor plan before any tensor was looked up.
TEST_F(GgufLoader, RejectsABlockCountTheTensorsCannotBack) {
  gguf_writer w = gguf::llama_gguf(tiny_model(false));
  w.set_u32("llama.block_count", 400000000);
  const status s = load_writer(w);
  EXPECT_TRUE(has_code(s, error_code::model_invalid, "llama.block_count 400000000 needs 9 tensors a layer"))
      << s.to_string();
}

// Random byte corruption (a poor man's fuzzer) may load or fail, but never crash.
TEST_F(GgufLoader, SurvivesRandomByteCorruption) {
  const std::string clean = gguf::llama_gguf(tiny_model(false)).bytes();
  std::uint64_t rng = 0x9e3779b97f4a7c15ull;
  auto next = [&rng] {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
  };
  // Most corruptions hit the metadata and tensor infos, where parsing can go wrong.
  const std::size_t header_end = std::min<std::size_t>(clean.size(), 2048);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string bytes = clean;
    for (int k = 1 + int(next() % 4); k > 0; --k) bytes[next() % header_end] = static_cast<char>(next());
    model m;
    const status s = load_bytes(bytes, m);
    if (!s.ok()) {
      EXPECT_EQ(s.code(), error_code::model_invalid) << s.to_string();
    }
  }
}

TEST_F(GgufLoader, MissingFileIsIoError) {
  model m;
  const status s = load_gguf(path("absent.gguf"), m);
  EXPECT_TRUE(has_code(s, error_code::io_error, "absent.gguf")) << s.to_string();
}

// ---- Qwen2 and Llama 3 layers (issue 19) -------------------------------------

// A dummy of `spec` with its fp32 weights in host memory, as a loader gives them.
model dummy_in_memory(const std::string& spec, std::vector<float> rope_factors = {}) {
  auto m = load_model(spec);
  EXPECT_TRUE(m.ok()) << m.error().to_string();
  m->config.rope_freq_factors = std::move(rope_factors);
  auto w = std::make_shared<host_weights>(m->config);
  fill_dummy_weights(m->config, m->dummy_seed, *w);
  m->weights = std::move(w);
  m->dummy_seed = 0;
  return std::move(*m);
}

// The logits after `tokens` on a CPU backend.
std::vector<float> logits_after(const model& m, const std::vector<int>& tokens) {
  backend_options o;
  o.kv_cache_bytes = 1 << 20;
  auto b = make_backend(std::make_shared<const model>(m), o);
  EXPECT_TRUE(b.ok()) << b.error().to_string();
  const int seq = *(*b)->open_sequence(static_cast<int>(tokens.size()));
  const sequence_chunk ch{seq, tokens};
  EXPECT_TRUE((*b)->forward({&ch, 1}).ok());
  const auto l = (*b)->logits(0);
  return {l.begin(), l.end()};
}

TEST_F(GgufLoader, Qwen2RoundTripsWithItsBiasesAndHalfSplitRope) {
  const model m = dummy_in_memory("dummy:custom,arch=qwen2,dim=32,hidden=48,layers=2,heads=4,kv_heads=2,vocab=300");
  model got;
  const status s = load_bytes(gguf::llama_gguf(m).bytes(), got);
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_TRUE(got.config.qkv_bias);
  EXPECT_EQ(got.config.rope, rope_style::halves);
  for (int l = 0; l < 2; ++l) {
    expect_bits_equal("bq", got.weights->layers[l].bq, m.weights->layers[l].bq, 32);
    expect_bits_equal("bk", got.weights->layers[l].bk, m.weights->layers[l].bk, 16);
    expect_bits_equal("bv", got.weights->layers[l].bv, m.weights->layers[l].bv, 16);
  }
  const std::vector<int> tokens = {1, 5, 200, 7, 9};
  const std::vector<float> want = logits_after(m, tokens), have = logits_after(got, tokens);
  expect_bits_equal("logits", have.data(), want.data(), want.size());
}

// Llama 3's long-context RoPE, as llama.cpp's converter writes it: the
// rope_freqs.weight tensor of frequency divisors.
TEST_F(GgufLoader, RopeFrequencyFactorsRoundTripAndTurnTheSameAngles) {
  const std::vector<float> factors = llama3_rope_factors(500000.0f, 16, 32.0f, 1.0f, 4.0f, 8192);
  const model m = dummy_in_memory("dummy:custom,dim=64,hidden=96,layers=1,heads=4,kv_heads=2,vocab=300", factors);
  model got;
  const status s = load_bytes(gguf::llama_gguf(m).bytes(), got);
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(got.config.rope_freq_factors, factors);
  const std::vector<int> tokens = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  const std::vector<float> want = logits_after(m, tokens), have = logits_after(got, tokens);
  expect_bits_equal("logits", have.data(), want.data(), want.size());
  model plain = m;
  plain.config.rope_freq_factors.clear();
  EXPECT_NE(logits_after(plain, tokens), want) << "the factors must change the logits";
}

TEST_F(GgufLoader, LinearRopeScalingDividesEveryFrequency) {
  gguf_writer w = gguf::llama_gguf(tiny_model(false));
  w.set_string("llama.rope.scaling.type", "linear");
  w.set_f32("llama.rope.scaling.factor", 4.0f);
  model got;
  const status s = load_bytes(w.bytes(), got);
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(got.config.rope_freq_factors, std::vector<float>(2, 4.0f));  // head_dim 4
}

TEST_F(GgufLoader, UnsupportedArchitecturesAndFeaturesNameTheirKey) {
  struct unsupported {
    const char* key;
    std::string value;
    const char* message;
  };
  for (const unsupported& u : std::vector<unsupported>{
           {"general.architecture", "gemma", "general.architecture 'gemma' is not supported (llama, qwen2)"},
           {"tokenizer.ggml.model", "rwkv", "tokenizer.ggml.model 'rwkv' is not supported (llama: SentencePiece; gpt2"},
           {"llama.rope.scaling.type", "yarn", "llama.rope.scaling.type 'yarn' is not supported"},
       }) {
    gguf_writer w = gguf::llama_gguf(tiny_model(false));
    w.set_string(u.key, u.value);
    const status s = load_writer(w);
    EXPECT_TRUE(has_code(s, error_code::model_invalid, u.message)) << u.key << ": " << s.to_string();
  }
  {
    gguf_writer w = gguf::llama_gguf(tiny_model(false));
    w.set_string("tokenizer.ggml.model", "gpt2");
    w.set_strings("tokenizer.ggml.merges", {"a b"});
    w.set_string("tokenizer.ggml.pre", "falcon");
    const status s = load_writer(w);
    EXPECT_TRUE(has_code(s, error_code::model_invalid, "tokenizer.ggml.pre: pre-tokenizer 'falcon' is not supported"))
        << s.to_string();
  }
  gguf_writer w = gguf::llama_gguf(tiny_model(false));
  w.set_u32("llama.attention.key_length", 8);  // head size 4 here
  const status s = load_writer(w);
  EXPECT_TRUE(has_code(s, error_code::model_invalid, "llama.attention.key_length = 8 is not supported"))
      << s.to_string();
}

}  // namespace
}  // namespace binserve
