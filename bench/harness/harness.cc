// bench/harness/harness.cc: timing, memory and output helpers; main().
#include "harness.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "registry.h"

namespace bench {

namespace {

// A "Name:   <n> kB" field of /proc/self/status, in bytes (0 if absent).
std::size_t status_bytes(const char* field) {
  std::ifstream status("/proc/self/status");
  const std::string prefix = std::string(field) + ":";
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(prefix, 0) == 0) {
      std::istringstream in(line.substr(prefix.size()));
      std::size_t kib = 0;
      in >> kib;
      return kib * 1024;
    }
  }
  return 0;
}

}  // namespace

// Resident anonymous memory (RssAnon): the heap, not the pages of program
// code a workload touches for the first time (file-backed, shared, and no
// part of any object). bench/python/common.py measures the same.
std::size_t current_rss_bytes() { return status_bytes("RssAnon"); }

std::size_t peak_rss_bytes() { return status_bytes("VmHWM"); }

namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

Result::Result(std::string metric, std::string system, double value, std::string unit)
    : metric_(std::move(metric)),
      system_(std::move(system)),
      value_(value),
      null_value_(false),
      unit_(std::move(unit)) {}

Result& Result::field(const std::string& key, double v) {
  extra_.emplace_back(key, json_number(v));
  return *this;
}
Result& Result::field(const std::string& key, const std::string& v) {
  extra_.emplace_back(key, json_string(v));
  return *this;
}
Result& Result::flag(const std::string& key, bool v) {
  extra_.emplace_back(key, v ? "true" : "false");
  return *this;
}

void Result::emit() const {
  std::string line;
  line.append("{\"metric\":").append(json_string(metric_));
  line.append(",\"system\":").append(json_string(system_));
  line.append(",\"value\":").append(null_value_ ? std::string("null") : json_number(value_));
  line.append(",\"unit\":").append(json_string(unit_));
  for (const auto& [key, text] : extra_)
    line.append(",").append(json_string(key)).append(":").append(text);
  line.append("}\n");
  std::fputs(line.c_str(), stdout);
  std::fflush(stdout);
}

Result crashed_result(std::string metric, std::string system, std::string unit, int signal) {
  Result r(std::move(metric), std::move(system), 0.0, std::move(unit));
  r.null_value_ = true;
  r.field("crashed_signal", static_cast<double>(signal));
  r.field("signal_name", std::string(strsignal(signal)));
  return r;
}

void fail(const std::string& msg) {
  std::fprintf(stderr, "bench: %s\n", msg.c_str());
  std::fflush(stderr);
  std::exit(2);
}

std::string size_label(std::size_t n) {
  if (n >= 1000000 && n % 1000000 == 0) return std::to_string(n / 1000000) + "M";
  if (n >= 1000 && n % 1000 == 0) return std::to_string(n / 1000) + "K";
  return std::to_string(n);
}

}  // namespace bench

namespace {

void usage(const std::vector<bench::Entry>& entries) {
  std::fprintf(stderr,
               "usage: refgc_bench --workload W --system S [--variant V] [--n N] [--inner K]\n"
               "       refgc_bench --list\n"
               "Prints one JSON object per measurement on stdout.\n\nregistered:\n");
  for (const auto& e : entries)
    std::fprintf(stderr, "  %-10s %-12s %s\n", e.workload.c_str(), e.system.c_str(),
                 e.variants.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<bench::Entry> entries;
  bench::register_all(entries);

  bench::Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage(entries);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--workload") {
      opt.workload = value();
    } else if (arg == "--system") {
      opt.system = value();
    } else if (arg == "--variant") {
      opt.variant = value();
    } else if (arg == "--n") {
      opt.n = static_cast<std::size_t>(std::stoull(value()));
    } else if (arg == "--inner") {
      opt.inner = std::stoi(value());
    } else if (arg == "--list") {
      for (const auto& e : entries)
        std::printf("%s %s %s\n", e.workload.c_str(), e.system.c_str(), e.variants.c_str());
      return 0;
    } else {
      usage(entries);
      return 2;
    }
  }
  for (const auto& e : entries) {
    if (e.workload == opt.workload && e.system == opt.system) {
      e.run(opt);
      return 0;
    }
  }
  usage(entries);
  return 2;
}
