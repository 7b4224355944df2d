#include "runtime/metrics/family.hpp"

#include "runtime/metrics/exposition.hpp"

namespace actr::runtime::metrics {
namespace {

void render_header(std::string& out, const FamilyBase& family) {
  out += "# HELP " + family.name() + ' ' + escape_help(family.help()) + '\n';
  out += "# TYPE " + family.name() + ' ' + std::string(family.type()) + '\n';
}

void render_sample(std::string& out, std::string_view name, const std::string& labels,
                   std::string_view value) {
  out += name;
  out += labels;
  out += ' ';
  out += value;
  out += '\n';
}

}  // namespace

template <>
std::string_view Family<Counter>::type() const {
  return "counter";
}
template <>
std::string_view Family<Gauge>::type() const {
  return "gauge";
}
template <>
std::string_view Family<Histogram>::type() const {
  return "histogram";
}

template <>
void Family<Counter>::render(std::string& out) const {
  render_header(out, *this);
  for (const auto& [labels, counter] : series())
    render_sample(out, name(), format_labels(labels), std::to_string(counter->value()));
}

template <>
void Family<Gauge>::render(std::string& out) const {
  render_header(out, *this);
  for (const auto& [labels, gauge] : series())
    render_sample(out, name(), format_labels(labels), format_number(gauge->value()));
}

template <>
void Family<Histogram>::render(std::string& out) const {
  render_header(out, *this);
  const std::string bucket = name() + "_bucket";
  for (const auto& [labels, histogram] : series()) {
    Histogram::Snapshot s = histogram->snapshot();
    for (size_t i = 0; i < s.bounds.size(); ++i)
      render_sample(out, bucket, format_labels(labels, "le", format_number(s.bounds[i])),
                    std::to_string(s.cumulative[i]));
    render_sample(out, bucket, format_labels(labels, "le", "+Inf"), std::to_string(s.count));
    std::string plain = format_labels(labels);
    render_sample(out, name() + "_sum", plain, format_number(s.sum));
    render_sample(out, name() + "_count", plain, std::to_string(s.count));
  }
}

}  // namespace actr::runtime::metrics
