// binserve inspect: a GGUF file's tensors, each dequantized as the engine
// reads it: type, shape (GGUF order, row length first), bytes, and the sum,
// sum of squares and count of non-finite values (a gguf-dump that also
// checks the data; compare with llama.cpp's gguf-py dequantizer).
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "gpu/gguf_reader.hpp"
#include "tools/commands.hpp"

namespace binserve::tools {

namespace {

struct inspect_flags {
  std::string model;
  bool json = false;
};

struct tensor_summary {
  double sum = 0, sumsq = 0;
  std::uint64_t nonfinite = 0;
};

// Dequantizes row by row, so a tensor of any size needs one row of memory.
tensor_summary summarize(const gguf::tensor_info& t) {
  tensor_summary s;
  const std::uint64_t row = t.dims[0];
  const std::uint64_t row_bytes = t.n_bytes / (t.n_elements / row);
  std::vector<float> values(row);
  for (std::uint64_t r = 0; r < t.n_elements / row; ++r) {
    gguf::dequantize(t.type, t.data + r * row_bytes, values.data(), row);
    for (float v : values) {
      if (!std::isfinite(v)) {
        ++s.nonfinite;
        continue;
      }
      s.sum += v;
      s.sumsq += double(v) * v;
    }
  }
  return s;
}

int run_inspect(const inspect_flags& f) {
  auto file = gguf::file::open(f.model);
  if (!file.ok()) {
    std::cerr << "binserve inspect: " << file.error().to_string() << "\n";
    return 1;
  }
  nlohmann::json out = {{"file", f.model}, {"tensors", nlohmann::json::array()}};
  if (!f.json)
    std::printf("%-28s %-5s %-16s %12s %16s %16s %9s\n", "tensor", "type", "shape", "bytes", "sum", "sumsq",
                "nonfinite");
  std::uint64_t nonfinite = 0;
  for (const gguf::tensor_info& t : file->tensors()) {
    const tensor_summary s = summarize(t);
    nonfinite += s.nonfinite;
    const std::string type = gguf::type_name(std::uint32_t(t.type));
    if (f.json) {
      out["tensors"].push_back({{"name", t.name},
                                {"type", type},
                                {"shape", t.dims},
                                {"bytes", t.n_bytes},
                                {"sum", s.sum},
                                {"sumsq", s.sumsq},
                                {"nonfinite", s.nonfinite}});
      continue;
    }
    std::printf("%-28s %-5s %-16s %12llu %16.9g %16.9g %9llu\n", t.name.c_str(), type.c_str(),
                gguf::format_dims(t.dims).c_str(), static_cast<unsigned long long>(t.n_bytes), s.sum, s.sumsq,
                static_cast<unsigned long long>(s.nonfinite));
  }
  if (f.json) std::cout << out.dump() << "\n";
  if (nonfinite > 0) {
    std::cerr << "binserve inspect: " << f.model << ": " << nonfinite << " values are NaN or infinite\n";
    return 2;
  }
  return 0;
}

}  // namespace

void add_inspect_command(CLI::App& app) {
  auto flags = std::make_shared<inspect_flags>();
  auto* cmd = app.add_subcommand(
      "inspect", "List a GGUF file's tensors with their dequantized sums (exit 2 when a value is NaN or infinite)");
  cmd->add_option("--model", flags->model, "a .gguf file")->required();
  cmd->add_flag("--json", flags->json, "print one JSON object");
  cmd->callback([flags] {
    const int rc = run_inspect(*flags);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace binserve::tools
