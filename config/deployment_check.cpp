#include "config/deployment_check.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <new>

#include "config/backend_fit.hpp"
#include "gpu/gguf_reader.hpp"
#include "gpu/llama2c_loader.hpp"
#include "gpu/model.hpp"
#include "predict/embedding_predictor.hpp"
#include "predict/make_predictor.hpp"
#include "predict/probe_predictor.hpp"
#include "sched/bin_layout.hpp"

namespace binserve {
namespace {

constexpr std::string_view kDummyPrefix = "dummy:";

// A runtime message that starts with a key path ("predictor.kind: ..." or
// "predictor.kind 'x' ...") as {key, the rest}; {fallback, message} when it
// starts with none.
std::pair<std::string, std::string> split_key(const std::string& message, const std::string& fallback) {
  const std::size_t end = message.find(' ');
  std::string first = message.substr(0, end);
  if (first.ends_with(':')) first.pop_back();
  const bool is_key = end != std::string::npos && first.find('.') != std::string::npos &&
                      first.find_first_not_of("abcdefghijklmnopqrstuvwxyz_.") == std::string::npos;
  if (!is_key) return {fallback, message};
  return {first, message.substr(end + 1)};
}

// The key a failed load_model blames: the model file, unless it is a
// llama2.c checkpoint whose weights load by themselves (then its tokenizer
// is at fault: a GGUF file carries its own).
std::string key_of_load_failure(const service_config& c) {
  if (c.model.starts_with(kDummyPrefix)) return "model.dummy";
  if (c.model_format == "gguf" || gguf::is_gguf_file(c.model)) return "model.path";
  model weights_only;
  return load_llama2c_weights(c.model, weights_only).ok() ? "model.tokenizer" : "model.path";
}

// The model start_service serves: loaded as start_backends loads it, but
// with the stop tokens checked here rather than by load_model (the same
// test), to name the one at fault; then set as load_model sets a non-empty
// list.
status_or<std::shared_ptr<const model>> check_model(const located_deployment& d) {
  const service_config& c = d.config.service;
  const std::string model_key = c.model.starts_with(kDummyPrefix) ? "model.dummy" : "model.path";
  try {
    auto m = load_model(c.model, model_options{c.tokenizer, {}, c.model_format});
    if (!m.ok()) return d.marks.error(key_of_load_failure(c), "does not load: " + m.error().to_string());
    for (std::size_t i = 0; i < c.stop_tokens.size(); ++i) {
      const int t = c.stop_tokens[i];
      if (t < 0 || t >= m->config.vocab_size)
        return d.marks.error("model.stop_tokens[" + std::to_string(i) + "]",
                             "token " + std::to_string(t) + " is outside the vocabulary of " + c.model + " (0 to " +
                                 std::to_string(m->config.vocab_size - 1) + ")");
    }
    if (!c.stop_tokens.empty()) m->stop_tokens = c.stop_tokens;
    return std::make_shared<const model>(std::move(*m));
  } catch (const std::bad_alloc&) {
    return d.marks.error(model_key, "does not fit in host memory");
  }
}

// Only the served model: all embedding_predictor::load reads of its backend,
// which the check must not create (it may need a GPU, or generate gigabytes
// of dummy weights). Computes nothing.
class shape_only_backend final : public backend {
 public:
  explicit shape_only_backend(std::shared_ptr<const model> m) : m_(std::move(m)), kv_(kv_layout{}, m_->config.n_ctx) {}
  const model& served_model() const override { return *m_; }
  const kv_cache& kv() const override { return kv_; }
  status_or<int> open_sequence(int) override { return unusable(); }
  void close_sequence(int) override {}
  status forward(std::span<const sequence_chunk>) override { return unusable(); }
  std::span<const float> logits(int) const override { return {}; }
  std::span<const float> hidden(int) const override { return {}; }
  std::span<const float> layer_states(int) const override { return {}; }

 private:
  static status unusable() { return status(error_code::internal, "a shape-only backend computes nothing"); }
  std::shared_ptr<const model> m_;
  kv_cache kv_;
};

// The trained predictor file loads for this model, as make_predictor loads
// it (the embedding kind against the model's shape, without its backend).
status check_predictor(const located_deployment& d, const std::shared_ptr<const model>& m) {
  const predictor_config& p = d.config.service.predictor;
  const std::string& kind = p.kind == "history" ? p.fallback : p.kind;
  status s;
  if (kind != "embedding") {
    auto made = make_predictor(p, m, backend_options{});  // no backend for these kinds
    if (!made.ok()) s = made.error();
  } else if (!p.model_file.empty()) {
    auto made = embedding_predictor::load(p.model_file, std::make_unique<shape_only_backend>(m), p.online);
    if (!made.ok()) s = made.error();
  }
  if (s.ok()) return s;
  if (s.code() == error_code::config_invalid) {
    const auto [key, what] = split_key(s.message(), "predictor");
    return d.marks.error(key, what);
  }
  return d.marks.error("predictor.model_file", "does not load: " + s.to_string());
}

// The probe file loads and reads layers the model has.
status check_probe(const located_deployment& d, const model& m) {
  const predictor_config& p = d.config.service.predictor;
  if (p.probe_file.empty()) return status::ok_status();
  auto probe = probe_predictor::load(p.probe_file);
  if (!probe.ok()) return d.marks.error("predictor.probe_file", "does not load: " + probe.error().to_string());
  if (status s = probe->fits(m.config); !s.ok()) return d.marks.error("predictor.probe_file", s.message());
  return status::ok_status();
}

// The servers resolve server.host and bind its first address (net/): the
// same lookup, and a bind to port 0 on it, which fails for an address that
// is not this machine's. Nothing listens when both ports are -1.
status check_host(const located_deployment& d) {
  const server_config& s = d.config.server;
  if (s.tcp_port < 0 && s.http_port < 0) return status::ok_status();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(s.host.c_str(), "0", &hints, &found); rc != 0)
    return d.marks.error("server.host", "'" + s.host + "' does not resolve: " + ::gai_strerror(rc));
  const std::unique_ptr<addrinfo, void (*)(addrinfo*)> results(found, ::freeaddrinfo);
  const int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, found->ai_protocol);
  const bool bound = fd >= 0 && ::bind(fd, found->ai_addr, found->ai_addrlen) == 0;
  const int bind_errno = errno;
  if (fd >= 0) ::close(fd);
  if (bound) return status::ok_status();
  return d.marks.error("server.host", "cannot listen on '" + s.host + "': " + std::strerror(bind_errno));
}

// step_trace::open appends, creating the file. Opened here the same way,
// without truncating a file that exists or leaving one that did not.
status check_step_trace(const located_deployment& d) {
  const std::string& path = d.config.service.step_trace;
  if (path.empty()) return status::ok_status();
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  bool created = false;
  if (fd < 0 && errno == ENOENT) {
    fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    created = fd >= 0;
  }
  if (fd < 0) return d.marks.error("logging.step_trace", path + ": cannot open for appending: " + std::strerror(errno));
  ::close(fd);
  if (created) ::unlink(path.c_str());
  return status::ok_status();
}

}  // namespace

status_or<std::shared_ptr<const model>> check_deployment(const located_deployment& d) {
  auto m = check_model(d);
  if (!m.ok()) return m.error();
  if (status s = check_backend_fit(d, **m); !s.ok()) return s;
  if (status s = check_predictor(d, *m); !s.ok()) return s;
  if (status s = check_probe(d, **m); !s.ok()) return s;
  if (status s = check_host(d); !s.ok()) return s;
  if (status s = check_step_trace(d); !s.ok()) return s;
  return m;
}

status_or<deployment_config> load_checked_deployment(const std::string& path) {
  auto d = load_located_deployment(path);
  if (!d.ok()) return d.error();
  auto m = check_deployment(*d);
  if (!m.ok()) return m.error();
  d->config.service.loaded = std::move(*m);
  return std::move(d->config);
}

}  // namespace binserve
