// Waiting jobs of many clients, handed out round-robin across clients so
// that one client's flood cannot starve another: each client's jobs stay in
// arrival order, and the next job is the oldest one of the client served
// least recently. A client with nothing waiting is forgotten (it counts as
// never served when it returns), and among clients never served the one
// whose oldest job is oldest goes first; so a single client is served
// exactly in arrival order (FIFO).
//
// A client is a key (binserve::request::client): jobs with the same key
// share one turn; "" is one anonymous client like any other.
// Pure (no CAF): bin_queue (each bin, in the actors and the simulator)
// uses it. Not thread-safe; one owner.
#pragma once

#include <cstdint>
#include <deque>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace binserve::sched {

template <class Job>
class fair_queue {
 public:
  // Adds `j` of client `client`, arrived at `now` (any monotonic unit).
  void push(const std::string& client, Job j, std::int64_t now) {
    clients_[client].waiting.push_back({std::move(j), now, next_seq_++});
    ++size_;
  }

  // Removes and returns the oldest job of the client served least recently
  // (ties: the client whose oldest job is oldest); nothing when empty.
  std::optional<Job> pop() {
    auto it = pick(clients_, [](const client_queue& a, const client_queue& b) {
      if (a.served != b.served) return a.served < b.served;
      return older(a.waiting.front(), b.waiting.front());
    });
    if (it == clients_.end()) return std::nullopt;
    it->second.served = ++turns_;
    return pop_front(it);
  }

  // Up to `n` jobs by pop(), after forget_turns(): one round-robin rotation
  // that starts with the client whose oldest job is oldest.
  std::vector<Job> pop_round(int n) {
    forget_turns();
    std::vector<Job> out;
    while (static_cast<int>(out.size()) < n)
      if (auto j = pop())
        out.push_back(std::move(*j));
      else
        break;
    return out;
  }

  // Every client counts as never served: the next pop() starts a rotation.
  void forget_turns() {
    for (auto& [client, q] : clients_) q.served = 0;
  }

  // Arrival of the oldest waiting job.
  std::optional<std::int64_t> oldest() const {
    auto it = pick(clients_, [](const client_queue& a, const client_queue& b) {
      return older(a.waiting.front(), b.waiting.front());
    });
    if (it == clients_.end()) return std::nullopt;
    return it->second.waiting.front().arrived;
  }

  // Removes the jobs `pred` selects; returns how many.
  template <class Pred>
  int remove_if(Pred pred) {
    int removed = 0;
    for (auto it = clients_.begin(); it != clients_.end();) {
      removed += static_cast<int>(std::erase_if(it->second.waiting, [&](const entry& e) { return pred(e.job); }));
      it = it->second.waiting.empty() ? clients_.erase(it) : std::next(it);
    }
    size_ -= removed;
    return removed;
  }

  int size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  struct entry {
    Job job;
    std::int64_t arrived;
    std::uint64_t seq;  // push order: breaks ties of equal arrival times
  };
  struct client_queue {
    std::deque<entry> waiting;  // never empty while held
    std::uint64_t served = 0;   // the turn it was last served; 0: never (since forget_turns)
  };
  using clients = std::map<std::string, client_queue>;

  static bool older(const entry& a, const entry& b) {
    return a.arrived != b.arrived ? a.arrived < b.arrived : a.seq < b.seq;
  }

  // The client of `all` that is least by `less`, or all.end().
  template <class Map, class Less>
  static auto pick(Map& all, Less less) {
    auto best = all.end();
    for (auto it = all.begin(); it != all.end(); ++it)
      if (best == all.end() || less(it->second, best->second)) best = it;
    return best;
  }

  Job pop_front(typename clients::iterator it) {
    Job j = std::move(it->second.waiting.front().job);
    it->second.waiting.pop_front();
    left(it);
    return j;
  }

  // A job of client `it` left: counts it; forgets the client once it has none.
  void left(typename clients::iterator it) {
    --size_;
    if (it->second.waiting.empty()) clients_.erase(it);
  }

  clients clients_;
  std::uint64_t next_seq_ = 0;
  std::uint64_t turns_ = 0;
  int size_ = 0;
};

}  // namespace binserve::sched
