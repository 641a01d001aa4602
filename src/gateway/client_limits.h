#pragma once
// Requests in progress per client, capped (--max-requests-per-client): a
// client is its API key when keys are on (so a key shared by many machines
// shares one budget), else its remote address. Acquire() takes a slot or
// says no; the slot is given back when the returned Slot is destroyed, so a
// streamed response holds its slot until the stream ends. Thread-safe; a
// client's entry is dropped when its last slot is given back.

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace ss::gateway {

class ClientLimits {
 public:
  explicit ClientLimits(size_t per_client) : per_client_(per_client) {}
  ClientLimits(const ClientLimits&) = delete;
  ClientLimits& operator=(const ClientLimits&) = delete;

  class Slot {
   public:
    Slot(ClientLimits* limits, std::string client) : limits_(limits), client_(std::move(client)) {}
    ~Slot() { limits_->Release(client_); }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    ClientLimits* limits_;
    std::string client_;
  };

  // A slot for `client`, or nullptr when it has per_client() requests in
  // progress already. The ClientLimits must outlive every slot.
  std::unique_ptr<Slot> Acquire(const std::string& client);
  size_t InProgress(const std::string& client) const;
  size_t per_client() const { return per_client_; }
  size_t clients() const;

 private:
  void Release(const std::string& client);

  const size_t per_client_;
  mutable std::mutex mu_;
  std::map<std::string, size_t> in_progress_;
};

// The address part of "host:port" ("127.0.0.1:5555", "::1:5555").
std::string AddressOf(const std::string& remote);

}  // namespace ss::gateway
