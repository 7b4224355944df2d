// The metric families of one process, rendered together for `GET /metrics`.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "actr/common/result.hpp"
#include "runtime/metrics/family.hpp"
#include "runtime/metrics/histogram.hpp"

namespace actr::runtime::metrics {

class Registry {
 public:
  // Registering a name again returns the family registered first when the type (and for
  // histograms the bounds) match; otherwise, or for a name that is not a valid Prometheus metric
  // name ([a-zA-Z_:][a-zA-Z0-9_:]*), an error. Families live as long as the registry.
  Result<CounterFamily*> counter(const std::string& name, const std::string& help);
  Result<GaugeFamily*> gauge(const std::string& name, const std::string& help);
  Result<HistogramFamily*> histogram(const std::string& name, const std::string& help,
                                     std::vector<double> bounds = latency_buckets());

  // Runs before every render(), e.g. to copy a queue length into a gauge. Collectors may use
  // the registry's families.
  void add_collector(std::function<void()> collect);

  // Every family in name order, in the Prometheus text exposition format 0.0.4.
  std::string render() const;

 private:
  template <class Metric>
  Result<Family<Metric>*> family(const std::string& name, const std::string& help,
                                 typename Family<Metric>::Factory make,
                                 const std::vector<double>* bounds);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<FamilyBase>> families_;
  std::map<std::string, std::vector<double>> histogram_bounds_;
  std::vector<std::function<void()>> collectors_;
};

}  // namespace actr::runtime::metrics
