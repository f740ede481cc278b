#include "server/core/dedup_window.h"

namespace evrouter::core {

std::optional<uint64_t> DedupWindow::Find(const std::string& id) const {
  auto it = offsets_.find(id);
  if (it == offsets_.end()) return std::nullopt;
  return it->second;
}

void DedupWindow::Add(const std::string& id, uint64_t offset,
                      absl::Time stored_at) {
  if (!enabled()) return;
  offsets_[id] = offset;
  by_time_.push_back({stored_at, id, offset});
  while (by_time_.size() > max_ids_) PopOldest();
}

void DedupWindow::PopOldest() {
  const Entry& oldest = by_time_.front();
  auto it = offsets_.find(oldest.id);
  // The same id may have been stored again later (after its window passed);
  // only the entry that still owns the id removes it.
  if (it != offsets_.end() && it->second == oldest.offset) offsets_.erase(it);
  by_time_.pop_front();
}

void DedupWindow::Expire(absl::Time now) {
  absl::Time cutoff = now - window_;
  while (!by_time_.empty() && by_time_.front().stored_at < cutoff) {
    PopOldest();
  }
}

}  // namespace evrouter::core
