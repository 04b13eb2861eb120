#include "net/prometheus.hpp"

#include <charconv>
#include <climits>
#include <cmath>
#include <type_traits>

#include "actors/stats_schema.hpp"

namespace binserve::net {
namespace {

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc{} ? std::string(buf, end) : "NaN";
}

// Prometheus text: HELP and TYPE once per metric, then its samples.
class exposition {
 public:
  void family(const std::string& name, const char* type, const std::string& help) {
    out_ += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  void sample(const std::string& name, const std::string& labels, double v) {
    out_ += name + (labels.empty() ? "" : "{" + labels + "}") + " " + number(v) + "\n";
  }
  void single(const std::string& name, const char* type, const std::string& help, double v) {
    family(name, type, help);
    sample(name, "", v);
  }
  void summary(const std::string& name, const char* help, const latency_summary& l) {
    family(name, "summary", help);
    sample(name, R"(quantile="0.5")", l.p50);
    sample(name, R"(quantile="0.9")", l.p90);
    sample(name, R"(quantile="0.99")", l.p99);
    sample(name + "_sum", "", l.sum);
    sample(name + "_count", "", static_cast<double>(l.count));
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

const char* type_of(metric_kind k) { return k == metric_kind::counter ? "counter" : "gauge"; }

std::string labels_of(const bin_summary& b) {
  if (b.retry) return R"(bin="retry")";
  const std::string hi = b.hi == INT_MAX ? "+Inf" : std::to_string(b.hi);
  return "bin=\"" + std::to_string(b.bin) + "\",lo=\"" + std::to_string(b.lo) + "\",hi=\"" + hi + "\"";
}

std::string labels_of(const node_summary& n) {
  return "node=\"" + std::to_string(n.node) + "\",name=\"" + n.name + "\"";
}

// One family per numeric field of Item that is a metric, a sample per item.
template <class Item>
void list(exposition& e, const std::string& prefix, const std::vector<Item>& items) {
  for_each_field<Item>([&](const auto& f) {
    using T = typename std::decay_t<decltype(f)>::value_type;
    if constexpr (std::is_arithmetic_v<T>) {
      if (f.kind == metric_kind::none) return;
      const std::string name = prefix + f.metric;
      e.family(name, type_of(f.kind), f.help);
      for (const Item& item : items) e.sample(name, labels_of(item), static_cast<double>(item.*f.member));
    }
  });
}

}  // namespace

std::string metrics_text(const stats& s) {
  exposition e;
  for_each_field<stats>([&](const auto& f) {
    using T = typename std::decay_t<decltype(f)>::value_type;
    const std::string name = std::string("binserve_") + f.metric;
    if constexpr (std::is_same_v<T, latency_summary>) {
      e.summary(name, f.help, s.*f.member);
    } else if constexpr (std::is_arithmetic_v<T>) {
      if (f.kind != metric_kind::none) e.single(name, type_of(f.kind), f.help, static_cast<double>(s.*f.member));
    } else {
      list(e, name, s.*f.member);
    }
  });
  return e.take();
}

}  // namespace binserve::net
