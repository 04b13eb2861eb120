// load_model on llama2.c checkpoints and dummy specs, including bad files.
#include <unistd.h>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "gpu/gguf_writer.hpp"
#include "gpu/host_weights.hpp"
#include "gpu/model.hpp"
#include "gpu/quantize.hpp"
#include "tests/test_paths.hpp"

namespace binserve {
namespace {

namespace fs = std::filesystem;

class ModelLoader : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("binserve_model_loader_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes `bytes` to a file in the test folder; returns its path.
  std::string write(const std::string& name, const std::string& bytes) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p.string();
  }
  std::string real_checkpoint() {
    std::ifstream in(testing::shared_path("models/stories260K.bin"), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  model_options with_tokenizer() { return model_options{testing::shared_path("models/tok512.bin"), {}}; }

  fs::path dir_;
};

TEST_F(ModelLoader, LoadsStories260kCheckpoint) {
  BINSERVE_REQUIRE_SHARED("models/stories260K.bin");
  auto m = load_model(testing::shared_path("models/stories260K.bin"));
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_EQ(m->config.dim, 64);
  EXPECT_EQ(m->config.hidden_dim, 172);
  EXPECT_EQ(m->config.n_layers, 5);
  EXPECT_EQ(m->config.n_heads, 8);
  EXPECT_EQ(m->config.n_kv_heads, 4);
  EXPECT_EQ(m->config.vocab_size, 512);
  EXPECT_EQ(m->config.n_ctx, 512);
  EXPECT_TRUE(m->config.shared_classifier);
  EXPECT_EQ(m->vocab.size(), 512);  // tok512.bin found beside the model
  EXPECT_EQ(m->stop_tokens, (std::vector<int>{2, 1}));
  EXPECT_FALSE(m->is_dummy());
}

TEST_F(ModelLoader, TruncatedCheckpointIsModelInvalidAtEveryCut) {
  BINSERVE_REQUIRE_SHARED("models/stories260K.bin");
  const std::string bytes = real_checkpoint();
  for (size_t cut : {size_t(0), size_t(3), size_t(27), size_t(28), size_t(1000), bytes.size() / 2, bytes.size() - 1}) {
    auto m = load_model(write("cut.bin", bytes.substr(0, cut)), with_tokenizer());
    ASSERT_FALSE(m.ok()) << "cut at " << cut;
    EXPECT_EQ(m.error().code(), error_code::model_invalid) << m.error().to_string();
    EXPECT_NE(m.error().message().find("cut.bin"), std::string::npos);
  }
}

TEST_F(ModelLoader, ExtraBytesAreModelInvalid) {
  BINSERVE_REQUIRE_SHARED("models/stories260K.bin");
  auto m = load_model(write("long.bin", real_checkpoint() + "xxxx"), with_tokenizer());
  EXPECT_EQ(m.error().code(), error_code::model_invalid);
  EXPECT_NE(m.error().message().find("implies"), std::string::npos) << m.error().message();
}

TEST_F(ModelLoader, InconsistentHeaderIsModelInvalid) {
  BINSERVE_REQUIRE_SHARED("models/stories260K.bin");
  std::string bytes = real_checkpoint();
  const std::int32_t heads = 7;  // 64 is not a multiple of 7
  std::memcpy(&bytes[12], &heads, 4);
  auto m = load_model(write("heads.bin", bytes), with_tokenizer());
  EXPECT_EQ(m.error().code(), error_code::model_invalid);
  EXPECT_NE(m.error().message().find("n_heads"), std::string::npos) << m.error().message();
}

// Found by the llama2c fuzzer (tests/fuzz/corpus/llama2c/crash_header_n_params_overflow.bin):
// sizes each within the header's range whose product overflowed 64 bits.
TEST_F(ModelLoader, HeaderOfAbsurdSizesIsModelInvalidWithoutOverflow) {
  const std::int32_t h[7] = {1 << 20, 1 << 24, 1 << 24, 1 << 4, 1 << 4, 1 << 24, 1 << 10};
  auto m = load_model(write("huge.bin", std::string(reinterpret_cast<const char*>(h), sizeof h)), model_options{});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code(), error_code::model_invalid);
  EXPECT_NE(m.error().message().find("2^40 parameters"), std::string::npos) << m.error().message();
}

TEST_F(ModelLoader, ForeignFileIsModelInvalid) {
  auto m = load_model(write("text.bin", std::string(4096, 'a')), model_options{});
  EXPECT_EQ(m.error().code(), error_code::model_invalid) << m.error().to_string();
}

TEST_F(ModelLoader, MissingFilesAreIoErrors) {
  EXPECT_EQ(load_model((dir_ / "absent.bin").string()).error().code(), error_code::io_error);
  BINSERVE_REQUIRE_SHARED("models/stories260K.bin");
  // A checkpoint whose tokenizer is not beside it.
  auto m = load_model(write("alone.bin", real_checkpoint()));
  EXPECT_EQ(m.error().code(), error_code::io_error) << m.error().to_string();
}

TEST_F(ModelLoader, TokenizerOfTheWrongSizeIsModelInvalid) {
  BINSERVE_REQUIRE_SHARED("models/stories260K.bin");
  std::string tok;
  {
    std::ifstream in(testing::shared_path("models/tok512.bin"), std::ios::binary);
    tok.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto m =
      load_model(write("m.bin", real_checkpoint()), model_options{write("tok.bin", tok.substr(0, tok.size() / 2)), {}});
  EXPECT_EQ(m.error().code(), error_code::model_invalid) << m.error().to_string();
}

TEST_F(ModelLoader, DummySpecGivesPresetShapeWithoutHostWeights) {
  auto m = load_model("dummy:stories15m");
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_TRUE(m->is_dummy());
  EXPECT_EQ(m->config.dim, 288);
  EXPECT_EQ(m->config.vocab_size, 32000);
  EXPECT_EQ(m->vocab.size(), 32000);
  auto big = load_model("dummy:llama2-7b,ctx=2048,seed=9");
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->config.n_ctx, 2048);
  EXPECT_EQ(big->dummy_seed, 9u);
  EXPECT_NEAR(double(big->config.n_params()), 6.74e9, 0.01e9);
  auto two = load_model("dummy:llama2-7b,layers=2");  // a layer's cost where the whole does not fit
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->config.n_layers, 2);
  EXPECT_EQ(two->config.dim, 4096);
}

TEST_F(ModelLoader, CustomDummyShapesNeedNoPreset) {
  auto m = load_model("dummy:custom,dim=768,hidden=2048,layers=12,heads=12,kv_heads=12,vocab=512,ctx=1024");
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_EQ(m->config.dim, 768);
  EXPECT_EQ(m->config.hidden_dim, 2048);
  EXPECT_EQ(m->config.n_layers, 12);
  EXPECT_EQ(m->config.n_heads, 12);
  EXPECT_EQ(m->config.vocab_size, 512);
  EXPECT_EQ(m->vocab.size(), 512);
  // 12 x (4 x 768^2 + 3 x 768 x 2048 + 2 x 768) + 512 x 768 + 768: the 85M shape of issue 17
  EXPECT_EQ(m->config.n_params(), 12LL * (4 * 768 * 768 + 3 * 768 * 2048 + 2 * 768) + 512 * 768 + 768);
  auto gqa = load_model("dummy:custom,dim=256,hidden=512,layers=2,heads=8,kv_heads=2,vocab=512");
  ASSERT_TRUE(gqa.ok()) << gqa.error().to_string();
  EXPECT_EQ(gqa->config.kv_dim(), 64);
  EXPECT_EQ(gqa->config.n_ctx, 1024);  // custom's default context
  auto mha = load_model("dummy:custom,dim=256,hidden=512,layers=2,heads=8,vocab=512");
  ASSERT_TRUE(mha.ok());
  EXPECT_EQ(mha->config.n_kv_heads, 8);                     // kv_heads defaults to heads
  auto wider = load_model("dummy:stories260k,vocab=1024");  // a preset with one field changed
  ASSERT_TRUE(wider.ok());
  EXPECT_EQ(wider->config.vocab_size, 1024);
  EXPECT_EQ(wider->config.dim, 64);
}

TEST_F(ModelLoader, BadDummySpecsAreInvalidArguments) {
  for (const char* spec :
       {"dummy:nope", "dummy:stories15m,ctx=0", "dummy:stories15m,ctx=abc", "dummy:stories15m,depth=3",
        "dummy:stories15m,layers=0", "dummy:", "dummy:custom,dim=768",
        "dummy:custom,dim=770,hidden=8,layers=1,heads=12,vocab=8",
        "dummy:custom,dim=768,hidden=8,layers=1,heads=12,kv_heads=5,vocab=8", "dummy:stories15m,dim=99999999",
        "dummy:custom,dim=64,hidden=8,layers=1,heads=2,vocab=258"}) {
    auto m = load_model(spec);
    ASSERT_FALSE(m.ok()) << spec;
    EXPECT_EQ(m.error().code(), error_code::invalid_argument) << spec;
  }
}

// dummy:...,type=T: the dummy's own fp32 weights, quantized by gguf::quantize
// wherever a matrix's rows are whole blocks of T (all of stories260K's but
// the FFN down projection, whose rows of 172 are not).
TEST_F(ModelLoader, TypedDummyHoldsItsWeightsQuantized) {
  auto m = load_model("dummy:stories260k,seed=4,type=Q8_0");
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  ASSERT_NE(m->weights, nullptr);
  host_weights want(m->config);
  fill_dummy_weights(m->config, 4, want);
  auto same = [](const weight_matrix& got, const weight_matrix& fp32, gguf::tensor_type type) {
    ASSERT_EQ(got.type, type);
    std::vector<unsigned char> bytes(got.bytes());
    gguf::quantize(type, fp32.f32(), bytes.data(), std::uint64_t(fp32.rows * fp32.cols));
    EXPECT_EQ(std::memcmp(bytes.data(), got.data, bytes.size()), 0);
  };
  same(m->weights->token_embedding, want.token_embedding, gguf::tensor_type::q8_0);
  for (std::size_t l = 0; l < want.layers.size(); ++l) {
    same(m->weights->layers[l].wq, want.layers[l].wq, gguf::tensor_type::q8_0);
    same(m->weights->layers[l].w1, want.layers[l].w1, gguf::tensor_type::q8_0);
    same(m->weights->layers[l].w2, want.layers[l].w2, gguf::tensor_type::f32);
    EXPECT_EQ(m->weights->layers[l].rms_ffn[3], 1.0f);
  }
  EXPECT_EQ(m->weights->wcls.data, m->weights->token_embedding.data);
  auto bad = load_model("dummy:stories260k,type=Q4_1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), error_code::invalid_argument);
  EXPECT_NE(bad.error().message().find("Q4_K"), std::string::npos) << bad.error().message();
}

TEST_F(ModelLoader, DummyWeightsAreSeededAndDeterministic) {
  const model_config c = *model_preset("stories260k");
  host_weights a(c), b(c), other(c);
  fill_dummy_weights(c, 1, a);
  fill_dummy_weights(c, 1, b);
  fill_dummy_weights(c, 2, other);
  EXPECT_EQ(a.storage, b.storage);
  EXPECT_NE(a.storage, other.storage);
  EXPECT_EQ(a.layers[0].rms_att[0], 1.0f);
  const float bound = 1.0f / std::sqrt(64.0f);
  for (int i = 0; i < 64 * 64; ++i) ASSERT_LE(std::abs(a.layers[2].wq.f32()[i]), bound);
}

// A dummy of a preset's shape with a real vocabulary: a GGUF's (here a
// byte-level BPE one written by binserve) or a llama2.c tokenizer file's;
// the file's size sets the model's vocabulary.
TEST_F(ModelLoader, DummyTakesItsVocabularyFromATokenizerFile) {
  model source = *load_model("dummy:custom,dim=32,hidden=48,layers=1,heads=4,vocab=300");
  source.vocab.scheme = vocab_scheme::byte_bpe;
  source.vocab.pre = "llama-bpe";
  source.vocab.merges = {"h e", "l l", "he ll"};
  source.vocab.pieces.resize(280);
  source.vocab.pieces[259] = "he", source.vocab.pieces[260] = "ll", source.vocab.pieces[261] = "hell";
  source.vocab.scores.resize(280), source.vocab.kinds.resize(280);
  source.vocab.eot_id = 5;
  source.vocab.chat_template =
      "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}";
  source.config.vocab_size = 280;
  auto w = std::make_shared<host_weights>(source.config);
  fill_dummy_weights(source.config, 1, *w);
  source.weights = std::move(w);
  const std::string gguf = (dir_ / "vocab.gguf").string();
  ASSERT_TRUE(gguf::llama_gguf(source).write(gguf).ok());

  auto m = load_model("dummy:smollm2-135m,layers=1,tokenizer=" + gguf);
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_EQ(m->config.vocab_size, 280);
  EXPECT_EQ(m->config.dim, 576);
  EXPECT_EQ(m->vocab.scheme, vocab_scheme::byte_bpe);
  EXPECT_EQ(m->vocab.merges, source.vocab.merges);
  EXPECT_NE(std::find(m->stop_tokens.begin(), m->stop_tokens.end(), 5), m->stop_tokens.end()) << "EOT stops";
  EXPECT_EQ(m->vocab.chat_template, source.vocab.chat_template) << "tokenizer.chat_template comes with the vocabulary";

  BINSERVE_REQUIRE_SHARED("models/tok512.bin");
  auto sp = load_model("dummy:stories260k,tokenizer=" + testing::shared_path("models/tok512.bin"));
  ASSERT_TRUE(sp.ok()) << sp.error().to_string();
  EXPECT_EQ(sp->vocab.scheme, vocab_scheme::sentencepiece);
  EXPECT_EQ(sp->vocab.pieces[300], load_model(testing::shared_path("models/stories260K.bin"))->vocab.pieces[300]);

  auto missing = load_model("dummy:stories260k,tokenizer=" + (dir_ / "absent.gguf").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("tokenizer:"), std::string::npos) << missing.error().to_string();
}

}  // namespace
}  // namespace binserve
