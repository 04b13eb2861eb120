// The connections of one server port, for admission: a cap in all and per
// client address, and the order in which waiting connections are shed.
//
// A connection is *pending* from accept until it proves it is a client: its
// first request (with an auth token configured: its first authenticated
// one). Pending connections are the only ones shed to make room, oldest
// first, so idle or unauthenticated sockets cannot lock real clients out.
//
// Pure bookkeeping, no sockets: the server owns one per port and touches it
// from its io thread only.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

namespace binserve::net {

using connection_id = std::uint64_t;

class connection_table {
 public:
  struct limits {
    int max_total = 1024;
    int max_per_address = 64;
  };

  enum class verdict {
    admitted,      // room, or room made by shedding `shed`
    address_full,  // its address has max_per_address connections
    full,          // max_total connections, none pending to shed
  };

  struct admission {
    verdict outcome = verdict::admitted;
    std::optional<connection_id> shed;  // a pending connection to close now
  };

  explicit connection_table(limits l) : limits_(l) {}

  // A connection from `address` was accepted. When admitted it is recorded
  // as pending; when a pending one had to be shed for it, that one is
  // already forgotten here and the caller must close it.
  admission admit(connection_id id, const std::string& address);

  // `id` proved it is a client: it is no longer pending. No-op if unknown.
  void established(connection_id id);

  // `id` closed. No-op if unknown.
  void remove(connection_id id);

  int size() const { return static_cast<int>(entries_.size()); }
  int pending() const { return static_cast<int>(pending_.size()); }

 private:
  struct entry {
    std::string address;
    std::optional<std::list<connection_id>::iterator> pending_at;
  };
  limits limits_;
  std::unordered_map<connection_id, entry> entries_;
  std::map<std::string, int> per_address_;
  std::list<connection_id> pending_;  // oldest first
};

}  // namespace binserve::net
