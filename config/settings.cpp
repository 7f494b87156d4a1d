#include "config/settings.hpp"

#include <algorithm>
#include <stdexcept>

namespace weft::config {

const node_settings& settings::master() const {
  auto candidates = master_candidates();
  if (candidates.empty()) throw std::logic_error("validated settings without a master");
  return *candidates.front();
}

std::vector<const node_settings*> settings::master_candidates() const {
  std::vector<const node_settings*> out;
  for (const auto& n : nodes)
    if (n.role == node_role::master) out.push_back(&n);
  std::stable_sort(out.begin(), out.end(), [](const node_settings* a, const node_settings* b) {
    return a->master_priority > b->master_priority;
  });
  return out;
}

tls_files settings::node_tls(const node_settings& n) const {
  if (tls.ca_file.empty()) return {};
  return {tls.ca_file, n.tls_cert_file.empty() ? tls.cert_file : n.tls_cert_file,
          n.tls_key_file.empty() ? tls.key_file : n.tls_key_file};
}

int settings::extension_merge_engines() const {
  // A standby master candidate runs as an extension of the active master.
  int sum = 0;
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].role == node_role::extension ||
        (i != self && self < nodes.size() && nodes[self].role == node_role::master))
      sum += nodes[i].merge_engines;
  return sum;
}

int settings::extension_weaver_engines() const {
  // A standby master candidate runs as an extension of the active master.
  int sum = 0;
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].role == node_role::extension ||
        (i != self && self < nodes.size() && nodes[self].role == node_role::master))
      sum += nodes[i].weaver_engines;
  return sum;
}

}  // namespace weft::config
