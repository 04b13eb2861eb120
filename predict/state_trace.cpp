#include "predict/state_trace.hpp"

#include <cstring>
#include <fstream>

namespace binserve {

namespace {

constexpr char kMagic[8] = {'B', 'S', 'T', 'R', 'A', 'C', 'E', '1'};

template <class T>
void put(std::ostream& out, const T& v) {
  out.write(reinterpret_cast<const char*>(&v), sizeof v);
}

template <class T>
bool get(std::istream& in, T& v) {
  return static_cast<bool>(in.read(reinterpret_cast<char*>(&v), sizeof v));
}

}  // namespace

state_trace::state_trace(std::vector<int> layers, int dim, int refresh_tokens)
    : layers_(std::move(layers)), dim_(dim), refresh_tokens_(refresh_tokens) {}

void state_trace::add(int generation, int step, std::span<const float> states) {
  generation_.push_back(generation);
  step_.push_back(step);
  states_.insert(states_.end(), states.begin(), states.end());
}

status state_trace::save(const std::string& path) const {
  std::ofstream out(path, std::ios::binary);
  if (!out) return status(error_code::io_error, path + ": cannot create");
  out.write(kMagic, sizeof kMagic);
  put(out, std::int32_t(layers_.size()));
  for (int l : layers_) put(out, std::int32_t(l));
  put(out, std::int32_t(dim_));
  put(out, std::int32_t(refresh_tokens_));
  put(out, std::int64_t(rows()));
  for (std::size_t r = 0; r < rows(); ++r) {
    put(out, generation_[r]);
    put(out, step_[r]);
    out.write(reinterpret_cast<const char*>(states(r).data()), std::streamsize(width()) * 4);
  }
  out.flush();
  if (!out) return status(error_code::io_error, path + ": write failed");
  return status::ok_status();
}

status_or<state_trace> state_trace::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return status(error_code::io_error, path + ": cannot open");
  auto invalid = [&](const std::string& why) { return status(error_code::model_invalid, path + ": " + why); };
  char magic[8];
  if (!in.read(magic, sizeof magic) || std::memcmp(magic, kMagic, sizeof magic) != 0)
    return invalid("not a state trace (bad magic)");
  std::int32_t n_layers = 0, dim = 0, refresh = 0;
  if (!get(in, n_layers) || n_layers < 1 || n_layers > 1024) return invalid("layer count out of range");
  std::vector<int> layers(n_layers);
  for (int& l : layers) {
    std::int32_t v = 0;
    if (!get(in, v) || v < 1) return invalid("bad layer index");
    l = v;
  }
  std::int64_t rows = 0;
  if (!get(in, dim) || dim < 1 || dim > (1 << 16) || std::int64_t(n_layers) * dim > (1 << 22))
    return invalid("dim out of range (at most 2^22 floats a row)");
  if (!get(in, refresh) || refresh < 1) return invalid("refresh_tokens out of range");
  if (!get(in, rows) || rows < 0 || rows > (std::int64_t(1) << 32)) return invalid("row count out of range");
  state_trace t(std::move(layers), dim, refresh);
  std::vector<float> row(t.width());
  for (std::int64_t r = 0; r < rows; ++r) {
    std::int32_t g = 0, step = 0;
    if (!get(in, g) || !get(in, step) || !in.read(reinterpret_cast<char*>(row.data()), std::streamsize(row.size()) * 4))
      return invalid("truncated at row " + std::to_string(r) + " of " + std::to_string(rows));
    if (g < 0 || step < 0) return invalid("row " + std::to_string(r) + ": negative generation or step");
    t.add(g, step, row);
  }
  if (in.peek() != std::ifstream::traits_type::eof()) return invalid("trailing bytes after the last row");
  return t;
}

}  // namespace binserve
