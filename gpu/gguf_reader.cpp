#include "gpu/gguf_reader.hpp"

#include <fstream>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

namespace binserve::gguf {

static_assert(std::endian::native == std::endian::little, "GGUF is little-endian and is read in place");

namespace {

constexpr std::uint64_t kMaxDims = 4;  // GGML_MAX_DIMS
constexpr std::int64_t kDefaultAlignment = 32;

constexpr std::array<const char*, 13> kTypeNames = {"u8",   "i8",     "u16",   "i16", "u32", "i32", "f32",
                                                    "bool", "string", "array", "u64", "i64", "f64"};

std::string type_name(value_type t) {
  const auto i = static_cast<std::uint32_t>(t);
  return i < kTypeNames.size() ? kTypeNames[i] : "type " + std::to_string(i);
}

bool is_known(std::uint32_t type) { return type < kTypeNames.size(); }

// Bytes of a fixed-size value; 0 for strings and arrays.
std::uint64_t scalar_size(value_type t) {
  switch (t) {
    case value_type::u8:
    case value_type::i8:
    case value_type::boolean:
      return 1;
    case value_type::u16:
    case value_type::i16:
      return 2;
    case value_type::u32:
    case value_type::i32:
    case value_type::f32:
      return 4;
    case value_type::u64:
    case value_type::i64:
    case value_type::f64:
      return 8;
    default:
      return 0;
  }
}

template <class T>
T load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Decodes an integer of any width; false when it is not an integer type or a
// u64 too large for int64.
bool decode_int(value_type t, const char* p, std::int64_t& out) {
  switch (t) {
    case value_type::u8:
      out = load<std::uint8_t>(p);
      return true;
    case value_type::i8:
      out = load<std::int8_t>(p);
      return true;
    case value_type::u16:
      out = load<std::uint16_t>(p);
      return true;
    case value_type::i16:
      out = load<std::int16_t>(p);
      return true;
    case value_type::u32:
      out = load<std::uint32_t>(p);
      return true;
    case value_type::i32:
      out = load<std::int32_t>(p);
      return true;
    case value_type::i64:
      out = load<std::int64_t>(p);
      return true;
    case value_type::u64: {
      const auto u = load<std::uint64_t>(p);
      out = static_cast<std::int64_t>(u);
      return u <= std::uint64_t(std::numeric_limits<std::int64_t>::max());
    }
    default:
      return false;
  }
}

bool is_integer(value_type t) {
  return scalar_size(t) != 0 && t != value_type::f32 && t != value_type::f64 && t != value_type::boolean;
}

// Sequential little-endian reads over [data, data + size); a read past the end
// returns model_invalid naming the file and what was being read.
class cursor {
 public:
  cursor(const std::string& path, const unsigned char* data, std::uint64_t size)
      : path_(path), data_(reinterpret_cast<const char*>(data)), size_(size) {}

  void set_context(std::string context) { context_ = std::move(context); }
  std::uint64_t offset() const { return pos_; }

  status take(std::uint64_t n, std::string_view& out) {
    if (n > size_ - pos_) return truncated(std::to_string(n) + " bytes");
    out = std::string_view(data_ + pos_, n);
    pos_ += n;
    return status::ok_status();
  }

  template <class T>
  status read(T& out) {
    std::string_view bytes;
    if (status s = take(sizeof(T), bytes); !s.ok()) return s;
    out = load<T>(bytes.data());
    return status::ok_status();
  }

  status read_string(std::string_view& out) {
    std::uint64_t n = 0;
    if (status s = read(n); !s.ok()) return s;
    return take(n, out);
  }

  // Checks that `count` elements of at least `min_size` bytes can still fit,
  // before a loop over a count that the file chose.
  status require(std::uint64_t count, std::uint64_t min_size) const {
    if (count <= (size_ - pos_) / min_size) return status::ok_status();
    return truncated(std::to_string(count) + " elements of at least " + std::to_string(min_size) + " bytes");
  }

 private:
  status truncated(const std::string& need) const {
    return status(error_code::model_invalid, path_ + ": truncated in " + context_ + " (needs " + need + " at offset " +
                                                 std::to_string(pos_) + ", " + std::to_string(size_ - pos_) + " left)");
  }

  const std::string& path_;
  const char* data_;
  std::uint64_t size_;
  std::uint64_t pos_ = 0;
  std::string context_ = "header";
};

}  // namespace

// Fills a `file` from its mapping: header, metadata, tensor infos, data placement.
class parser {
 public:
  explicit parser(file& f) : f_(f), c_(f.path_, f.map_.data(), f.map_.size()) {}

  status run() {
    std::uint64_t n_tensors = 0, n_kv = 0;
    if (status s = read_header(n_tensors, n_kv); !s.ok()) return s;
    for (std::uint64_t i = 0; i < n_kv; ++i)
      if (status s = read_kv(i); !s.ok()) return s;
    for (std::uint64_t i = 0; i < n_tensors; ++i)
      if (status s = read_tensor_info(i); !s.ok()) return s;
    return place_data();
  }

 private:
  status read_header(std::uint64_t& n_tensors, std::uint64_t& n_kv) {
    std::string_view magic;
    if (status s = c_.take(4, magic); !s.ok()) return s;
    if (magic != "GGUF") return f_.invalid("not a GGUF file (does not start with 'GGUF')");
    std::uint32_t version = 0;
    if (status s = c_.read(version); !s.ok()) return s;
    if (version != 3)
      return f_.invalid("GGUF version " + std::to_string(version) + " is not supported (only version 3)");
    if (status s = c_.read(n_tensors); !s.ok()) return s;
    return c_.read(n_kv);
  }

  status read_kv(std::uint64_t i) {
    c_.set_context("metadata key " + std::to_string(i));
    std::string_view key;
    if (status s = c_.read_string(key); !s.ok()) return s;
    const std::string where = "metadata key " + std::to_string(i) + " (" + std::string(key) + ")";
    c_.set_context(where);
    std::uint32_t type = 0;
    if (status s = c_.read(type); !s.ok()) return s;
    if (!is_known(type)) return f_.invalid(where + " has unknown value type " + std::to_string(type));
    value v;
    v.type = static_cast<value_type>(type);
    if (status s = read_value(v, where); !s.ok()) return s;
    if (!f_.metadata_.emplace(std::string(key), v).second) return f_.invalid("duplicate " + where);
    return status::ok_status();
  }

  status read_value(value& v, const std::string& where) {
    if (v.type == value_type::string) return c_.read_string(v.bytes);
    if (v.type == value_type::array) return read_array(v, where);
    return c_.take(scalar_size(v.type), v.bytes);
  }

  status read_array(value& v, const std::string& where) {
    std::uint32_t elem = 0;
    if (status s = c_.read(elem); !s.ok()) return s;
    if (!is_known(elem) || elem == std::uint32_t(value_type::array))
      return f_.invalid(where + " is an array of unsupported " + type_name(static_cast<value_type>(elem)));
    v.elem_type = static_cast<value_type>(elem);
    if (status s = c_.read(v.count); !s.ok()) return s;
    if (v.elem_type != value_type::string) {
      const std::uint64_t size = scalar_size(v.elem_type);
      if (status s = c_.require(v.count, size); !s.ok()) return s;
      return c_.take(v.count * size, v.bytes);
    }
    if (status s = c_.require(v.count, sizeof(std::uint64_t)); !s.ok()) return s;
    const std::uint64_t start = c_.offset();
    std::string_view piece;
    for (std::uint64_t k = 0; k < v.count; ++k)
      if (status s = c_.read_string(piece); !s.ok()) return s;
    v.bytes = std::string_view(reinterpret_cast<const char*>(f_.map_.data()) + start, c_.offset() - start);
    return status::ok_status();
  }

  status read_tensor_info(std::uint64_t i) {
    c_.set_context("tensor info " + std::to_string(i));
    std::string_view name;
    if (status s = c_.read_string(name); !s.ok()) return s;
    tensor_info t;
    t.name = std::string(name);
    c_.set_context("tensor info " + std::to_string(i) + " (" + t.name + ")");
    if (status s = read_shape(t); !s.ok()) return s;
    std::uint32_t type = 0;
    std::uint64_t offset = 0;
    if (status s = c_.read(type); !s.ok()) return s;
    if (!layout_of(type))
      return f_.invalid("tensor '" + t.name + "' has unsupported type " + type_name(type) +
                        "; binserve reads F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K and Q6_K");
    t.type = static_cast<tensor_type>(type);
    if (status s = c_.read(offset); !s.ok()) return s;
    if (!f_.tensor_index_.emplace(t.name, f_.tensors_.size()).second)
      return f_.invalid("duplicate tensor '" + t.name + "'");
    f_.tensors_.push_back(std::move(t));
    offsets_.push_back(offset);
    return status::ok_status();
  }

  status read_shape(tensor_info& t) {
    std::uint32_t n_dims = 0;
    if (status s = c_.read(n_dims); !s.ok()) return s;
    if (n_dims == 0 || n_dims > kMaxDims)
      return f_.invalid("tensor '" + t.name + "' has " + std::to_string(n_dims) + " dimensions (1 to 4 supported)");
    t.dims.resize(n_dims);
    t.n_elements = 1;
    bool overflow = false;
    for (auto& d : t.dims) {
      if (status s = c_.read(d); !s.ok()) return s;
      overflow = overflow || __builtin_mul_overflow(t.n_elements, d, &t.n_elements);
    }
    if (overflow) return f_.invalid("tensor '" + t.name + "' shape " + format_dims(t.dims) + " is too large");
    return status::ok_status();
  }

  // The data section starts at the first multiple of general.alignment after
  // the tensor infos; every tensor must lie wholly inside it.
  status place_data() {
    std::int64_t alignment = 0;
    if (status s = f_.get_int("general.alignment", alignment, kDefaultAlignment); !s.ok()) return s;
    if (alignment <= 0 || (alignment & (alignment - 1)) != 0)
      return f_.invalid("general.alignment " + std::to_string(alignment) + " is not a positive power of two");
    const std::uint64_t a = std::uint64_t(alignment), size = f_.map_.size();
    const std::uint64_t start = (c_.offset() + a - 1) / a * a;
    if (start > size)
      return f_.invalid("truncated before the tensor data (it starts at offset " + std::to_string(start) +
                        ", the file has " + std::to_string(size) + " bytes)");
    for (std::size_t i = 0; i < f_.tensors_.size(); ++i)
      if (status s = place_tensor(f_.tensors_[i], offsets_[i], start); !s.ok()) return s;
    return status::ok_status();
  }

  status place_tensor(tensor_info& t, std::uint64_t offset, std::uint64_t start) {
    const type_layout l = *layout_of(std::uint32_t(t.type));
    if (t.dims[0] % l.block_elements != 0)
      return f_.invalid("tensor '" + t.name + "' of type " + type_name(std::uint32_t(t.type)) + " has rows of " +
                        std::to_string(t.dims[0]) + " values, not a whole number of its " +
                        std::to_string(l.block_elements) + "-value blocks");
    const std::uint64_t available = f_.map_.size() - start;
    std::uint64_t bytes = 0;
    if (__builtin_mul_overflow(t.n_elements / l.block_elements, l.block_bytes, &bytes))
      return f_.invalid("tensor '" + t.name + "' shape " + format_dims(t.dims) + " is too large");
    if (offset > available || bytes > available - offset)
      return f_.invalid("truncated: tensor '" + t.name + "' (" + std::to_string(bytes) + " bytes at data offset " +
                        std::to_string(offset) + ") runs past the end of the file (the data section has " +
                        std::to_string(available) + " bytes)");
    t.data = f_.map_.data() + start + offset;
    t.n_bytes = bytes;
    return status::ok_status();
  }

  file& f_;
  cursor c_;
  std::vector<std::uint64_t> offsets_;  // per tensor, relative to the data section
};

bool is_gguf_file(const std::string& path) {
  char magic[4] = {};
  std::ifstream in(path, std::ios::binary);
  return in.read(magic, 4) && std::memcmp(magic, "GGUF", 4) == 0;
}

std::string format_dims(const std::vector<std::uint64_t>& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

// ---- mapped_file -------------------------------------------------------------

mapped_file::mapped_file(mapped_file&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

mapped_file& mapped_file::operator=(mapped_file&& other) noexcept {
  std::swap(data_, other.data_);
  std::swap(size_, other.size_);
  return *this;
}

mapped_file::~mapped_file() {
  if (data_ != nullptr) ::munmap(const_cast<unsigned char*>(data_), size_);
}

status_or<mapped_file> mapped_file::open(const std::string& path) {
  auto fail = [&path](const std::string& what) {
    return status(error_code::io_error, path + ": " + what + ": " + std::strerror(errno));
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail("cannot open");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    errno = err;
    return fail("cannot stat");
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return status(error_code::io_error, path + ": not a regular file");
  }
  mapped_file m;
  m.size_ = static_cast<std::uint64_t>(st.st_size);
  void* p = m.size_ == 0 ? nullptr : ::mmap(nullptr, m.size_, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) {
    const int err = errno;
    ::close(fd);
    errno = err;
    return fail("cannot map");
  }
  ::close(fd);
  m.data_ = static_cast<const unsigned char*>(p);
  return m;
}

// ---- file --------------------------------------------------------------------

status_or<file> file::open(const std::string& path) {
  auto map = mapped_file::open(path);
  if (!map.ok()) return map.error();
  file f;
  f.path_ = path;
  f.map_ = std::move(*map);
  if (status s = parser(f).run(); !s.ok()) return s;
  return f;
}

const value* file::find(std::string_view key) const {
  const auto it = metadata_.find(std::string(key));
  return it == metadata_.end() ? nullptr : &it->second;
}

const tensor_info* file::find_tensor(std::string_view name) const {
  const auto it = tensor_index_.find(std::string(name));
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

status file::invalid(const std::string& what) const { return status(error_code::model_invalid, path_ + ": " + what); }

status file::lookup(std::string_view key, value_type type, const value*& out) const {
  out = find(key);
  if (out == nullptr) return invalid("missing metadata key '" + std::string(key) + "'");
  if (out->type != type)
    return invalid("metadata key '" + std::string(key) + "' is " + type_name(out->type) + ", expected " +
                   type_name(type));
  return status::ok_status();
}

status file::lookup_array(std::string_view key, const value*& out) const { return lookup(key, value_type::array, out); }

status file::get_int(std::string_view key, std::int64_t& out, std::optional<std::int64_t> fallback) const {
  const value* v = find(key);
  if (v == nullptr && fallback) {
    out = *fallback;
    return status::ok_status();
  }
  if (v == nullptr) return invalid("missing metadata key '" + std::string(key) + "'");
  if (!decode_int(v->type, v->bytes.data(), out))
    return invalid("metadata key '" + std::string(key) + "' is " + type_name(v->type) +
                   (is_integer(v->type) ? " out of range" : ", expected an integer"));
  return status::ok_status();
}

status file::get_bool(std::string_view key, bool& out) const {
  const value* v = nullptr;
  if (status s = lookup(key, value_type::boolean, v); !s.ok()) return s;
  out = v->bytes[0] != 0;
  return status::ok_status();
}

status file::get_float(std::string_view key, float& out, std::optional<float> fallback) const {
  const value* v = find(key);
  if (v == nullptr && fallback) {
    out = *fallback;
    return status::ok_status();
  }
  if (v != nullptr && v->type == value_type::f64) {
    out = static_cast<float>(load<double>(v->bytes.data()));
    return status::ok_status();
  }
  if (status s = lookup(key, value_type::f32, v); !s.ok()) return s;
  out = load<float>(v->bytes.data());
  return status::ok_status();
}

status file::get_string(std::string_view key, std::string& out) const {
  const value* v = nullptr;
  if (status s = lookup(key, value_type::string, v); !s.ok()) return s;
  out = std::string(v->bytes);
  return status::ok_status();
}

status file::get_strings(std::string_view key, std::vector<std::string>& out) const {
  const value* v = nullptr;
  if (status s = lookup_array(key, v); !s.ok()) return s;
  if (v->elem_type != value_type::string)
    return invalid("metadata key '" + std::string(key) + "' is an array of " + type_name(v->elem_type) +
                   ", expected strings");
  // Already walked while parsing; re-walked with the same checks.
  cursor c(path_, reinterpret_cast<const unsigned char*>(v->bytes.data()), v->bytes.size());
  c.set_context("metadata key '" + std::string(key) + "'");
  out.clear();
  out.reserve(v->count);
  std::string_view piece;
  for (std::uint64_t i = 0; i < v->count; ++i) {
    if (status s = c.read_string(piece); !s.ok()) return s;
    out.emplace_back(piece);
  }
  return status::ok_status();
}

status file::get_floats(std::string_view key, std::vector<float>& out) const {
  const value* v = nullptr;
  if (status s = lookup_array(key, v); !s.ok()) return s;
  if (v->elem_type != value_type::f32)
    return invalid("metadata key '" + std::string(key) + "' is an array of " + type_name(v->elem_type) +
                   ", expected f32");
  out.resize(v->count);
  if (!out.empty()) std::memcpy(out.data(), v->bytes.data(), v->bytes.size());
  return status::ok_status();
}

status file::get_ints(std::string_view key, std::vector<std::int64_t>& out) const {
  const value* v = nullptr;
  if (status s = lookup_array(key, v); !s.ok()) return s;
  if (!is_integer(v->elem_type))
    return invalid("metadata key '" + std::string(key) + "' is an array of " + type_name(v->elem_type) +
                   ", expected integers");
  const std::uint64_t stride = scalar_size(v->elem_type);
  out.resize(v->count);
  for (std::uint64_t i = 0; i < v->count; ++i)
    if (!decode_int(v->elem_type, v->bytes.data() + i * stride, out[i]))
      return invalid("metadata key '" + std::string(key) + "' element " + std::to_string(i) + " is out of range");
  return status::ok_status();
}

}  // namespace binserve::gguf
