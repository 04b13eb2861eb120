// `binserve quantize` against llama.cpp's llama-quantize: the same F32 model
// (../shared/models/quant/dummyq.gguf) quantized by both.
#include "gpu/gguf_quantize.hpp"

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include <gtest/gtest.h>

#include "gpu/gguf_reader.hpp"
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

TEST(QuantizeGgufCli, WritesALoadableFileAndRefusesTypesItCannotWrite) {
  BINSERVE_REQUIRE_SHARED("models/quant/dummyq.gguf");
  const std::string in = testing::shared_path("models/quant/dummyq.gguf"), out = temp_gguf("cli_q8");
  const auto ok = testing::run_binserve("quantize --model " + in + " --type Q8_0 --out " + out);
  ASSERT_EQ(ok.exit_code, 0) << ok.out;
  const auto inspected = testing::run_binserve("inspect --model " + out);
  EXPECT_EQ(inspected.exit_code, 0) << inspected.out;
  EXPECT_NE(inspected.out.find("blk.1.ffn_down.weight"), std::string::npos) << inspected.out;
  const auto refused = testing::run_binserve("quantize --model " + in + " --type Q4_K --out " + out);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.out.find("Q4_K"), std::string::npos) << refused.out;
  EXPECT_EQ(quantize_gguf(in, out, tensor_type::q6_k).code(), error_code::invalid_argument);
  std::filesystem::remove(out);
}

}  // namespace
}  // namespace binserve::gguf
