#include "net/connection_table.hpp"

namespace binserve::net {

connection_table::admission connection_table::admit(connection_id id, const std::string& address) {
  admission out;
  auto per = per_address_.find(address);
  if (per != per_address_.end() && per->second >= limits_.max_per_address) {
    out.outcome = verdict::address_full;
    return out;
  }
  if (size() >= limits_.max_total) {
    if (pending_.empty()) {
      out.outcome = verdict::full;
      return out;
    }
    out.shed = pending_.front();
    remove(*out.shed);
  }
  ++per_address_[address];
  pending_.push_back(id);
  entries_[id] = entry{address, std::prev(pending_.end())};
  return out;
}

void connection_table::established(connection_id id) {
  auto it = entries_.find(id);
  if (it == entries_.end() || !it->second.pending_at) return;
  pending_.erase(*it->second.pending_at);
  it->second.pending_at.reset();
}

void connection_table::remove(connection_id id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  if (it->second.pending_at) pending_.erase(*it->second.pending_at);
  auto per = per_address_.find(it->second.address);
  if (per != per_address_.end() && --per->second == 0) per_address_.erase(per);
  entries_.erase(it);
}

}  // namespace binserve::net
