// Dequantization against llama.cpp's reference: ../shared/models/quant/ holds
// one random-weight model quantized by llama-quantize, and
// dequant_stats.json what gguf-py's dequantizer makes of every tensor.
#include "gpu/tensor_types.hpp"

#include <cmath>
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gpu/gguf_loader.hpp"
#include "gpu/gguf_reader.hpp"
#include "gpu/model.hpp"
#include "tests/gpu/tiny_model.hpp"
#include "tests/test_paths.hpp"

namespace binserve::gguf {
namespace {

const char* kStats = "models/quant/dequant_stats.json";

nlohmann::json reference_stats() {
  std::ifstream in(testing::shared_path(kStats));
  return nlohmann::json::parse(in);
}

void expect_relative(double got, double want, const std::string& what) {
  EXPECT_LE(std::abs(got - want), 1e-9 * std::max(1.0, std::abs(want))) << what << ": " << got << " vs " << want;
}

TEST(DequantStats, EveryTensorOfEveryQuantizedFileMatchesLlamaCppsReference) {
  BINSERVE_REQUIRE_SHARED(kStats);
  const nlohmann::json stats = reference_stats();
  ASSERT_EQ(stats.size(), 5u);  // Q8_0, Q4_0, Q4_K_M, Q5_K_M, Q6_K
  std::set<std::string> types_seen;
  for (const auto& [name, tensors] : stats.items()) {
    auto f = file::open(testing::shared_path("models/quant/" + name));
    ASSERT_TRUE(f.ok()) << f.error().to_string();
    EXPECT_EQ(f->tensors().size(), tensors.size()) << name;
    for (const auto& [tensor, want] : tensors.items()) {
      const std::string where = name + " " + tensor;
      const tensor_info* t = f->find_tensor(tensor);
      ASSERT_NE(t, nullptr) << where;
      EXPECT_EQ(type_name(std::uint32_t(t->type)), want.at("type").get<std::string>()) << where;
      types_seen.insert(type_name(std::uint32_t(t->type)));
      EXPECT_EQ(t->dims, want.at("shape").get<std::vector<std::uint64_t>>()) << where;
      std::vector<float> values(t->n_elements);
      dequantize(t->type, t->data, values.data(), t->n_elements);
      double sum = 0, sumsq = 0;
      for (float v : values) {
        sum += v;
        sumsq += double(v) * v;
      }
      expect_relative(sum, want.at("sum").get<double>(), where + " sum");
      expect_relative(sumsq, want.at("sumsq").get<double>(), where + " sumsq");
      for (const auto& [index, value] : want.at("samples").items())
        EXPECT_EQ(double(values.at(std::stoull(index))), value.get<double>()) << where << " [" << index << "]";
    }
  }
  EXPECT_EQ(types_seen, (std::set<std::string>{"F32", "Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"}));
}

TEST(DequantStats, QuantizedFilesLoadAsTheirDequantizedWeights) {
  BINSERVE_REQUIRE_SHARED("models/quant/dummyq-Q4_K_M.gguf");
  auto f = file::open(testing::shared_path("models/quant/dummyq-Q4_K_M.gguf"));
  ASSERT_TRUE(f.ok());
  model m;
  const status s = load_gguf(testing::shared_path("models/quant/dummyq-Q4_K_M.gguf"), m);
  ASSERT_TRUE(s.ok()) << s.to_string();
  const tensor_info* wq = f->find_tensor("blk.1.attn_q.weight");
  ASSERT_NE(wq, nullptr);
  EXPECT_EQ(type_name(std::uint32_t(wq->type)), "Q4_K");
  std::vector<float> want(wq->n_elements);
  dequantize(wq->type, wq->data, want.data(), wq->n_elements);
  const std::vector<float> got = testing::values(m.weights->layers[1].wq);
  for (std::size_t i = 0; i < want.size(); ++i) ASSERT_EQ(got[i], want[i]) << i;
}

TEST(TensorTypes, BlockLayoutsAreLlamaCpps) {
  EXPECT_EQ(layout_of(8)->block_bytes, 34u);    // Q8_0: half + 32 int8
  EXPECT_EQ(layout_of(2)->block_bytes, 18u);    // Q4_0: half + 16 bytes of nibbles
  EXPECT_EQ(layout_of(12)->block_bytes, 144u);  // Q4_K: 2 halves + 12 scale bytes + 128
  EXPECT_EQ(layout_of(13)->block_bytes, 176u);  // Q5_K: Q4_K + 32 bytes of fifth bits
  EXPECT_EQ(layout_of(14)->block_bytes, 210u);  // Q6_K: 128 + 64 + 16 + half
  EXPECT_EQ(layout_of(12)->block_elements, 256u);
  EXPECT_FALSE(layout_of(3));  // Q4_1: not read
  EXPECT_EQ(type_name(3), "3 (Q4_1)");
  EXPECT_EQ(type_name(99), "99");
}

TEST(TensorTypes, Bf16IsTheHighHalfOfAFloat) {
  const unsigned char b[4] = {0x80, 0x3f, 0x00, 0xc0};  // 1.0, -2.0
  float y[2];
  dequantize(tensor_type::bf16, b, y, 2);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], -2.0f);
}

}  // namespace
}  // namespace binserve::gguf
