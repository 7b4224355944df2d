// A metric family: one name, HELP text and type, and one series per label set. Looking a series
// up locks the family once; the returned handle is then updated lock-free, so hot paths look it
// up once and keep it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/metrics/counter.hpp"
#include "runtime/metrics/gauge.hpp"
#include "runtime/metrics/histogram.hpp"
#include "runtime/metrics/labels.hpp"

namespace actr::runtime::metrics {

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help) : name_(std::move(name)), help_(std::move(help)) {}
  virtual ~FamilyBase() = default;
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  virtual std::string_view type() const = 0;
  // Appends the HELP and TYPE lines and every series.
  virtual void render(std::string& out) const = 0;

 private:
  std::string name_;
  std::string help_;
};

template <class Metric>
class Family final : public FamilyBase {
 public:
  using Factory = std::function<std::shared_ptr<Metric>()>;
  Family(std::string name, std::string help, Factory make)
      : FamilyBase(std::move(name), std::move(help)), make_(std::move(make)) {}

  // The series for `labels` (see canonical_labels), created on first use.
  std::shared_ptr<Metric> with(Labels labels) {
    Labels key = canonical_labels(std::move(labels));
    std::lock_guard lock(mu_);
    auto& slot = series_[key];
    if (!slot) slot = make_();
    return slot;
  }

  // Drops a series from the exposition (e.g. of a stopped actor). Handles held elsewhere stay
  // valid but are no longer rendered.
  void remove(Labels labels) {
    Labels key = canonical_labels(std::move(labels));
    std::lock_guard lock(mu_);
    series_.erase(key);
  }

  std::string_view type() const override;
  void render(std::string& out) const override;

 private:
  std::vector<std::pair<Labels, std::shared_ptr<Metric>>> series() const {
    std::lock_guard lock(mu_);
    return {series_.begin(), series_.end()};
  }

  Factory make_;
  mutable std::mutex mu_;
  std::map<Labels, std::shared_ptr<Metric>> series_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

template <>
std::string_view Family<Counter>::type() const;
template <>
std::string_view Family<Gauge>::type() const;
template <>
std::string_view Family<Histogram>::type() const;
template <>
void Family<Counter>::render(std::string& out) const;
template <>
void Family<Gauge>::render(std::string& out) const;
template <>
void Family<Histogram>::render(std::string& out) const;

}  // namespace actr::runtime::metrics
