// `binserve quantize` against llama.cpp's llama-quantize: the same F32 model
// (../shared/models/quant/dummyq.gguf) quantized by both.
#include "gpu/gguf_quantize.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>

#include <gtest/gtest.h>

#include "gpu/gguf_reader.hpp"
#include "gpu/model.hpp"
#include "tests/gpu/tiny_model.hpp"
#include "tests/run_binserve.hpp"
#include "tests/test_paths.hpp"

namespace binserve::gguf {
namespace {

std::string temp_gguf(const std::string& name) {
  return (std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid()) + ".gguf")).string();
}

class QuantizeGguf : public ::testing::TestWithParam<std::pair<const char*, tensor_type>> {};

// Every tensor llama.cpp wrote in the type, byte for byte; the rest (norms,
// and the classifier llama.cpp's Q4_0 preset keeps in Q6_K) as binserve's rule says.
TEST_P(QuantizeGguf, MatricesAreByteIdenticalToLlamaCpps) {
  BINSERVE_REQUIRE_SHARED("models/quant/dummyq.gguf");
  const auto [name, type] = GetParam();
  const std::string out = temp_gguf(std::string("quantized_") + name);
  const status s = quantize_gguf(testing::shared_path("models/quant/dummyq.gguf"), out, type);
  ASSERT_TRUE(s.ok()) << s.to_string();
  auto ours = file::open(out);
  auto theirs = file::open(testing::shared_path(std::string("models/quant/dummyq-") + name + ".gguf"));
  ASSERT_TRUE(ours.ok()) << ours.error().to_string();
  ASSERT_TRUE(theirs.ok());
  EXPECT_EQ(ours->tensors().size(), theirs->tensors().size());
  int compared = 0;
  for (const tensor_info& t : theirs->tensors()) {
    const tensor_info* o = ours->find_tensor(t.name);
    ASSERT_NE(o, nullptr) << t.name;
    EXPECT_EQ(o->dims, t.dims) << t.name;
    EXPECT_EQ(o->type, t.dims.size() == 2 ? type : tensor_type::f32) << t.name;
    if (t.type != type) continue;
    ++compared;
    ASSERT_EQ(o->n_bytes, t.n_bytes) << t.name;
    EXPECT_EQ(std::memcmp(o->data, t.data, t.n_bytes), 0) << t.name << " differs from llama.cpp's";
  }
  EXPECT_GE(compared, 2 * 7 + 1) << "every layer's seven matrices and the embedding";
  std::int64_t file_type = -1;
  EXPECT_TRUE(ours->get_int("general.file_type", file_type).ok());
  EXPECT_EQ(file_type, type == tensor_type::q8_0 ? 7 : 2);  // llama.cpp's LLAMA_FTYPE_MOSTLY_*
  std::filesystem::remove(out);
}

INSTANTIATE_TEST_SUITE_P(LlamaCppTypes, QuantizeGguf,
                         ::testing::Values(std::pair{"Q8_0", tensor_type::q8_0}, std::pair{"Q4_0", tensor_type::q4_0}),
                         [](const auto& info) { return std::string(info.param.first); });

double rmse_to(const tensor_info& t, const std::vector<float>& reference) {
  std::vector<float> v(t.n_elements);
  dequantize(t.type, t.data, v.data(), t.n_elements);
  double sq = 0;
  for (std::size_t i = 0; i < v.size(); ++i) sq += (double(v[i]) - reference[i]) * (double(v[i]) - reference[i]);
  return std::sqrt(sq / double(v.size()));
}

// The k-quant searches are binserve's own: every tensor llama.cpp stored in
// a k-quant type (its Q4_K_M, Q5_K_M and Q6_K files), quantized here to the
// same type, is at most 1.05x as far from the F32 weights.
TEST(QuantizeGgufKQuants, ErrorToTheF32WeightsIsWithin5PercentOfLlamaCpps) {
  BINSERVE_REQUIRE_SHARED("models/quant/dummyq.gguf");
  const std::string f32_path = testing::shared_path("models/quant/dummyq.gguf");
  auto f32 = file::open(f32_path);
  ASSERT_TRUE(f32.ok());
  std::map<tensor_type, int> compared;
  for (const tensor_type type : {tensor_type::q4_k, tensor_type::q5_k, tensor_type::q6_k}) {
    const std::string out = temp_gguf("kquant_" + type_name(std::uint32_t(type)));
    ASSERT_TRUE(quantize_gguf(f32_path, out, type).ok());
    auto ours = file::open(out);
    ASSERT_TRUE(ours.ok()) << ours.error().to_string();
    double worst = 0;
    for (const char* name : {"Q4_K_M", "Q5_K_M", "Q6_K"}) {
      auto theirs = file::open(testing::shared_path(std::string("models/quant/dummyq-") + name + ".gguf"));
      ASSERT_TRUE(theirs.ok());
      for (const tensor_info& t : theirs->tensors()) {
        if (t.type != type) continue;
        const tensor_info* source = f32->find_tensor(t.name);
        ASSERT_NE(source, nullptr);
        std::vector<float> reference(source->n_elements);
        dequantize(source->type, source->data, reference.data(), source->n_elements);
        const double mine = rmse_to(*ours->find_tensor(t.name), reference), llama = rmse_to(t, reference);
        EXPECT_LE(mine, 1.05 * llama) << name << " " << t.name << ": " << mine << " vs llama.cpp's " << llama;
        worst = std::max(worst, mine / llama);
        ++compared[type];
      }
    }
    std::cout << type_name(std::uint32_t(type)) << ": worst RMSE ratio to llama.cpp's " << worst << " over "
              << compared[type] << " tensors\n";
    std::filesystem::remove(out);
  }
  EXPECT_EQ(compared.size(), 3u);  // each type was in some llama.cpp file
}

// A llama2.c checkpoint written as an F32 GGUF loads back to the same
// weights and vocabulary; as Q8_0, to weights within Q8_0's rounding.
TEST(QuantizeModel, Llama2cCheckpointsAndDummyModelsBecomeLoadableGgufs) {
  BINSERVE_REQUIRE_SHARED("models/stories260K.bin");
  const std::string bin = testing::shared_path("models/stories260K.bin");
  auto original = load_model(bin);
  ASSERT_TRUE(original.ok()) << original.error().to_string();
  const std::string f32 = temp_gguf("model_f32"), q8 = temp_gguf("model_q8");
  ASSERT_TRUE(testing::run_binserve("quantize --model " + bin + " --type F32 --out " + f32).exit_code == 0);
  auto back = load_model(f32);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->config.dim, original->config.dim);
  EXPECT_EQ(back->vocab.pieces, original->vocab.pieces);
  EXPECT_EQ(testing::all_values(*back->weights), original->weights->storage);
  ASSERT_TRUE(testing::run_binserve("quantize --model " + bin + " --type Q8_0 --out " + q8).exit_code == 0);
  auto quantized = load_model(q8);
  ASSERT_TRUE(quantized.ok()) << quantized.error().to_string();
  auto q8_file = file::open(q8);
  ASSERT_TRUE(q8_file.ok());
  EXPECT_EQ(q8_file->find_tensor("blk.2.attn_q.weight")->type, tensor_type::q8_0);
  EXPECT_EQ(q8_file->find_tensor("blk.2.ffn_down.weight")->type, tensor_type::f32);  // rows of 172: not whole blocks
  const std::vector<float> w = testing::values(quantized->weights->layers[2].wq);
  const float* want = original->weights->layers[2].wq.f32();
  const int n = original->config.dim * original->config.dim;
  float amax = 0;
  for (int i = 0; i < n; ++i) amax = std::max(amax, std::fabs(want[i]));
  for (int i = 0; i < n; ++i) ASSERT_NEAR(w[i], want[i], amax / 127) << i;  // half a step of the widest block
  const auto dummy = testing::run_binserve("quantize --model dummy:stories260k,seed=3 --type Q4_K --out " + q8);
  EXPECT_EQ(dummy.exit_code, 0) << dummy.out;
  auto from_dummy = file::open(q8);
  ASSERT_TRUE(from_dummy.ok()) << from_dummy.error().to_string();
  // 64-wide rows are not whole Q4_K super-blocks: Q8_0, as llama-quantize falls back; 172-wide ones not even that
  EXPECT_EQ(from_dummy->find_tensor("blk.0.ffn_gate.weight")->type, tensor_type::q8_0);
  EXPECT_EQ(from_dummy->find_tensor("blk.0.ffn_down.weight")->type, tensor_type::f32);
  EXPECT_TRUE(load_model(q8).ok());
  std::filesystem::remove(f32);
  std::filesystem::remove(q8);
}

TEST(QuantizeGgufCli, WritesALoadableFileAndRefusesTypesItCannotWrite) {
  BINSERVE_REQUIRE_SHARED("models/quant/dummyq.gguf");
  const std::string in = testing::shared_path("models/quant/dummyq.gguf"), out = temp_gguf("cli_q8");
  const auto ok = testing::run_binserve("quantize --model " + in + " --type Q8_0 --out " + out);
  ASSERT_EQ(ok.exit_code, 0) << ok.out;
  const auto inspected = testing::run_binserve("inspect --model " + out);
  EXPECT_EQ(inspected.exit_code, 0) << inspected.out;
  EXPECT_NE(inspected.out.find("blk.1.ffn_down.weight"), std::string::npos) << inspected.out;
  const auto refused = testing::run_binserve("quantize --model " + in + " --type Q4_1 --out " + out);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.out.find("Q4_1"), std::string::npos) << refused.out;
  EXPECT_EQ(quantize_gguf(in, "/nonexistent/dir/x.gguf", tensor_type::q8_0).code(), error_code::io_error);
  EXPECT_EQ(quantize_gguf(in + ".missing", out, tensor_type::q8_0).code(), error_code::io_error);
  std::filesystem::remove(out);
}

}  // namespace
}  // namespace binserve::gguf
