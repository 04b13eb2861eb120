// Fuzzes the TCP protocol's line parsers (net/protocol.hpp): any bytes must
// parse or give an error value; a parsed generate message must survive an
// encode/parse round trip.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "net/protocol.hpp"

using namespace binserve::net;

namespace {

// A generate message re-encoded by the client encoder must parse again.
void check_round_trip(const generate_message& m) {
  const auto again = parse_client_line(encode_generate(m), 1 << 24);
  if (!again.ok() || !std::holds_alternative<generate_message>(*again)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  auto msg = parse_client_line(line, 4096);
  if (msg.ok()) {
    if (const auto* g = std::get_if<generate_message>(&*msg)) check_round_trip(*g);
  } else {
    (void)encode_error({}, msg.error());
  }
  (void)parse_server_line(line);
  return 0;
}
