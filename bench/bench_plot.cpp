#include "bench/bench_plot.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace binserve::tools {

namespace {

// Values (a, b) per series title and x, one pair per round; series keep the
// order of their first row.
class samples {
 public:
  void add(const std::string& title, double x, double a, double b) {
    if (!by_title_.contains(title)) order_.push_back(title);
    by_title_[title][x].push_back({a, b});
  }
  const std::vector<std::string>& titles() const { return order_; }
  const std::map<double, std::vector<std::pair<double, double>>>& points(const std::string& title) const {
    return by_title_.at(title);
  }
  bool empty() const { return order_.empty(); }

 private:
  std::vector<std::string> order_;
  std::map<std::string, std::map<double, std::vector<std::pair<double, double>>>> by_title_;
};

samples bins_samples(const std::vector<bench_row>& rows) {
  samples s;
  for (const bench_row& r : rows)
    if (r.point.run.policy == policy_kind::multibin)
      s.add(r.point.run.label + ", " + r.point.arrivals, r.bins, r.requests_per_s, 0);
  for (const std::string& t : s.titles())
    if (s.points(t).size() > 1) return s;
  return {};
}

samples load_samples(const std::vector<bench_row>& rows) {
  samples s;
  for (const bench_row& r : rows) {
    if (!r.point.rate) continue;
    const std::string k = r.point.run.policy == policy_kind::multibin ? " k=" + std::to_string(r.bins) : "";
    s.add(r.point.run.label + k, *r.point.rate, r.figures.latency.p50, r.figures.latency.p99);
  }
  return s;
}

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// A datablock $NAME: per x, either "x mean(a) min(a) max(a)" (spread) or
// "x mean(a) mean(b)".
std::string datablock(const std::string& name, const samples& s, const std::string& title, bool spread) {
  std::ostringstream out;
  out << "$" << name << " << EOD\n";
  for (const auto& [x, v] : s.points(title)) {
    double a = 0, b = 0, lo = v[0].first, hi = v[0].first;
    for (const auto& [va, vb] : v) a += va, b += vb, lo = std::min(lo, va), hi = std::max(hi, va);
    out << x << " " << a / v.size() << " ";
    if (spread)
      out << lo << " " << hi << "\n";
    else
      out << b / v.size() << "\n";
  }
  return out.str() + "EOD\n";
}

std::string bins_plot(const samples& s) {
  std::string data, plot = "plot ";
  for (std::size_t i = 0; i < s.titles().size(); ++i) {
    const std::string name = "bins" + std::to_string(i);
    data += datablock(name, s, s.titles()[i], true);
    plot += (i ? ", " : "") + ("$" + name) + " using 1:2:3:4 with yerrorlines title " + quoted(s.titles()[i]);
  }
  return data +
         "set output 'throughput_vs_bins.png'\nset title 'Throughput against the number of bins'\n"
         "set xlabel 'bins (k)'\nset ylabel 'requests/s (mean, min-max over rounds)'\n"
         "unset logscale\nset yrange [0:*]\n" +
         plot + "\n";
}

std::string load_plot(const samples& s) {
  std::string data, plot = "plot ";
  bool positive = true;
  for (std::size_t i = 0; i < s.titles().size(); ++i) {
    const std::string name = "load" + std::to_string(i), lc = " lc " + std::to_string(i + 1);
    data += datablock(name, s, s.titles()[i], false);
    for (const auto& [x, v] : s.points(s.titles()[i]))
      for (const auto& [p50, p99] : v) positive = positive && p50 > 0 && p99 > 0;
    plot += (i ? ", " : "") + ("$" + name) + " using 1:2 with linespoints" + lc + " title " +
            quoted(s.titles()[i] + " p50") + ", $" + name + " using 1:3 with linespoints" + lc + " dt 2 title " +
            quoted(s.titles()[i] + " p99");
  }
  return data +
         "set output 'latency_vs_load.png'\nset title 'Latency against offered load'\n"
         "set xlabel 'offered load (Poisson requests/s)'\nset ylabel 'latency (ms)'\n" +
         (positive ? "set logscale y\n" : "unset logscale\n") + "set yrange [*:*]\n" + plot + "\n";
}

std::string shell_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

status check_gnuplot() {
  if (std::system("command -v gnuplot > /dev/null 2>&1") == 0) return {};
  return status(error_code::io_error,
                "--plot needs the gnuplot program, which is not on PATH: install gnuplot-nox "
                "(scripts/install-deps.sh does)");
}

status write_plots(const std::vector<bench_row>& rows, const std::string& dir) {
  const samples bins = bins_samples(rows), load = load_samples(rows);
  if (bins.empty() && load.empty())
    return status(error_code::invalid_argument,
                  "--plot: nothing to plot (give --bins-sweep with two or more counts, or --rates)");
  if (status s = check_gnuplot(); !s.ok()) return s;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string script = (std::filesystem::path(dir) / "bench.gp").string();
  std::ofstream out(script);
  out << "# binserve-bench bench plots, data inline. Redraw: cd " << dir << " && gnuplot bench.gp\n"
      << "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) { set terminal pngcairo size 1100,600 } "
         "else { set terminal png size 1100,600 }\n"
      << "set termoption noenhanced\nset grid\nset key outside right top\n"
      << (bins.empty() ? "" : bins_plot(bins)) << (load.empty() ? "" : load_plot(load)) << "set output\n";
  out.close();
  if (!out) return status(error_code::io_error, script + ": cannot write");
  const int rc = std::system(("cd " + shell_quoted(dir) + " && gnuplot bench.gp 1>&2").c_str());
  if (rc != 0) return status(error_code::io_error, "gnuplot failed on " + script);
  return {};
}

}  // namespace binserve::tools
