// The counter workload: state kept across dispatches. `add` adds its payload (decimal text, or
// 8 bytes of a little-endian u64) to the total and answers the new total in decimal; `get`
// answers the total. on-start logs the actor's own id.
#include <actr/workload.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace {

std::string describe(const actr::ActrId& id) {
  return std::to_string(id.realm.realm_id) + "/" + std::to_string(id.serial_number) + "/" +
         id.type.manufacturer + ":" + id.type.name + ":" + id.type.version;
}

// Decimal digits (at most 20, no overflow), else exactly 8 bytes as a little-endian u64.
std::optional<uint64_t> parse_amount(const actr::Bytes& payload) {
  bool decimal = !payload.empty() && payload.size() <= 20;
  uint64_t value = 0;
  for (uint8_t c : payload) {
    if (!decimal) break;
    if (c < '0' || c > '9') {
      decimal = false;
      break;
    }
    uint64_t digit = c - '0';
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  if (decimal) return value;
  if (payload.size() != 8) return std::nullopt;
  value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | payload[i];
  return value;
}

class Counter : public actr::Workload {
 public:
  actr::Status on_start(actr::Context& ctx) override {
    ctx.info("counter started as " + describe(ctx.self_id()));
    return actr::Status::Ok();
  }

  actr::Reply dispatch(actr::Context& ctx, actr::RpcEnvelope envelope) override {
    static const actr::Routes<Counter> routes{{"add", &Counter::add}, {"get", &Counter::get}};
    return routes.dispatch(*this, ctx, envelope);
  }

  actr::Reply add(actr::Context& ctx, const actr::Bytes& payload) {
    auto amount = parse_amount(payload);
    if (!amount) {
      return actr::Reply::Err(actr::ActrError::invalid_argument(
          "add expects a decimal number or an 8-byte little-endian u64"));
    }
    if (total_ > UINT64_MAX - *amount) {
      return actr::Reply::Err(actr::ActrError::invalid_argument("the total would overflow u64"));
    }
    total_ += *amount;
    ctx.debug("total " + std::to_string(total_));
    return get(ctx, payload);
  }

  actr::Reply get(actr::Context&, const actr::Bytes&) {
    return actr::Reply::Ok(actr::to_bytes(std::to_string(total_)));
  }

 private:
  uint64_t total_ = 0;
};

}  // namespace

ACTR_WORKLOAD(Counter)
