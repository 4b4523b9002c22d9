#include "parent/proxy/forwarder.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "common/log/log.h"
#include "common/stream/spool.h"

namespace trib::parent::proxy {
namespace {

constexpr std::chrono::seconds kDrainCheck{1};
// How long a host left in the spool by an earlier run has to reconnect before its upstream
// stream ends (once its spool is delivered).
constexpr uint64_t kRecoveredGraceMs = 60'000;

// What an earlier run left in a host's spool: its origin, if it holds batches to forward.
std::optional<stream::SpoolOrigin> leftover_origin(const std::string& directory,
                                                   uint64_t max_size) {
  auto spool = stream::Spool::open(directory, max_size);
  if (!spool.ok()) {
    TRIB_LOG(stream, error, "[proxy] spool {} not recovered: {}", directory,
             spool.error().describe());
    return std::nullopt;
  }
  auto origin = (*spool)->load_origin();
  if (!origin.ok()) {
    TRIB_LOG(stream, error, "[proxy] {}", origin.error().describe());
    return std::nullopt;
  }
  if (!origin->has_value()) return std::nullopt;  // not a relayed host's spool
  auto batches = (*spool)->load();
  if (!batches.ok() || batches->empty()) return std::nullopt;
  return std::move(*origin);
}

}  // namespace

Forwarder::Forwarder(event::Loop& loop, ForwarderOptions options, model::HostInfo self)
    : loop_(loop), options_(std::move(options)), self_(std::move(self)), drain_timer_(loop) {}

Forwarder::~Forwarder() = default;

void Forwarder::start() {
  stream::SenderOptions own = options_.sender;
  own.spool_dir = options_.spool_root + "/" + self_.machine_guid;
  own_ = std::make_unique<stream::Sender>(loop_, std::move(own), self_);
  own_->start();
  recover_spools();
  drain_timer_.start(kDrainCheck, kDrainCheck, [this] { end_drained_links(); });
}

void Forwarder::recover_spools() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options_.spool_root, ec)) {
    const std::string guid = entry.path().filename().string();
    if (!entry.is_directory() || guid == self_.machine_guid || links_.contains(guid)) continue;
    auto origin = leftover_origin(entry.path().string(), options_.sender.spool_max_size);
    if (!origin) continue;
    TRIB_LOG(stream, info, "[proxy] forwarding what the spool holds of {} {} from an earlier run",
             origin->host.hostname, guid);
    // Its own stream is not here (yet): the link ends once drained, unless the host reconnects.
    Link& link = open_link(origin->host, {}, {});
    link.sender->set_path(origin->path, origin->path_guids);
    link.downstream = false;
    link.keep_until_ms = loop_.now_ms() + kRecoveredGraceMs;
  }
}

Forwarder::Link& Forwarder::open_link(const model::HostInfo& host,
                                      const std::vector<std::string>& path,
                                      const std::vector<std::string>& path_guids) {
  auto [it, inserted] = links_.try_emplace(host.machine_guid);
  Link& link = it->second;
  if (inserted) {
    stream::SenderOptions options = options_.sender;
    options.spool_dir = options_.spool_root + "/" + host.machine_guid;
    link.sender = std::make_unique<stream::Sender>(loop_, std::move(options), host,
                                                   stream::SenderMode::relay);
  } else {
    link.sender->set_origin(host);
  }
  // This proxy is the nearest hop to the receiver upstream.
  std::vector<std::string> hostnames{self_.hostname.empty() ? self_.machine_guid : self_.hostname};
  std::vector<std::string> guids{self_.machine_guid};
  hostnames.insert(hostnames.end(), path.begin(), path.end());
  guids.insert(guids.end(), path_guids.begin(), path_guids.end());
  link.sender->set_path(std::move(hostnames), std::move(guids));
  if (inserted) link.sender->start();
  return link;
}

Forwarder::Link* Forwarder::find(const std::string& guid) {
  const auto it = links_.find(guid);
  return it == links_.end() || it->second.stopping ? nullptr : &it->second;
}

stream::SpoolFill Forwarder::spool_fill() const {
  stream::SpoolFill fill{0, options_.sender.spool_max_size};
  if (own_) fill.used = own_->stats().spool_bytes;
  for (const auto& [guid, link] : links_) {
    fill.used = std::max(fill.used, link.sender->stats().spool_bytes);
  }
  return fill;
}

uint64_t Forwarder::connect(const model::HostInfo& host, const std::vector<std::string>& path,
                            const std::vector<std::string>& path_guids) {
  Link* existing = find(host.machine_guid);
  if (existing == nullptr && links_.contains(host.machine_guid)) {
    // Its previous upstream stream is saying goodbye: a new one takes over (same spool).
    links_.erase(host.machine_guid);
  }
  Link& link = open_link(host, path, path_guids);
  link.downstream = true;
  link.clean_end = false;
  // chart_slots stay: a new downstream connection defines every chart again before its rows
  // use the slot, and a HostDef repeated mid-stream (new labels) keeps the charts.
  return link.sender->relayed_through();
}

Status Forwarder::chart(const std::string& guid, uint32_t chart_slot, const model::ChartDef& def) {
  Link* link = find(guid);
  if (link == nullptr) return Error(Errc::not_found, "no upstream stream for host " + guid);
  link->chart_slots[chart_slot] = link->sender->define_chart(def);
  return {};
}

Status Forwarder::samples(const std::string& guid, const stream::SamplesMsg& batch) {
  Link* link = find(guid);
  if (link == nullptr) return Error(Errc::not_found, "no upstream stream for host " + guid);
  stream::SamplesMsg relayed;
  relayed.seq = batch.seq;
  relayed.rows.reserve(batch.rows.size());
  for (const auto& row : batch.rows) {
    const auto slot = link->chart_slots.find(row.chart_slot);
    if (slot == link->chart_slots.end() || slot->second == 0) continue;  // left out upstream
    relayed.rows.push_back({slot->second, row.timestamp, row.values});
  }
  if (relayed.rows.empty()) return {};  // nothing of it goes upstream
  return link->sender->relay(std::move(relayed));
}

Status Forwarder::logs(const std::string& guid, const stream::LogsMsg& batch) {
  Link* link = find(guid);
  if (link == nullptr) return Error(Errc::not_found, "no upstream stream for host " + guid);
  return link->sender->relay(batch);
}

Status Forwarder::gaps(const std::string& guid, const stream::GapsMsg& batch) {
  Link* link = find(guid);
  if (link == nullptr) return Error(Errc::not_found, "no upstream stream for host " + guid);
  return link->sender->relay(batch);
}

void Forwarder::disconnect(const std::string& guid, bool clean) {
  Link* link = find(guid);
  if (link == nullptr) return;
  link->downstream = false;
  link->clean_end = clean;
}

void Forwarder::end_drained_links() {
  for (auto it = links_.begin(); it != links_.end();) {
    Link& link = it->second;
    if (link.downstream || link.stopping || !link.sender->drained() ||
        loop_.now_ms() < link.keep_until_ms) {
      ++it;
      continue;
    }
    if (!link.clean_end) {
      // Lost downstream: the upstream stream ends without a goodbye, so the host shows as lost
      // there too.
      TRIB_LOG(stream, info, "[proxy] {} is gone and its spool delivered; closing its stream",
               it->first);
      it = links_.erase(it);
      continue;
    }
    link.stopping = true;
    link.sender->stop([this, guid = it->first, weak = std::weak_ptr<int>(alive_)] {
      // Erased on a later turn: this runs inside the sender's own callbacks.
      loop_.post([this, guid, weak] {
        if (!weak.lock()) return;
        const auto found = links_.find(guid);
        if (found != links_.end() && found->second.stopping) links_.erase(found);
      });
    });
    ++it;
  }
}

void Forwarder::own_chart(const model::ChartDef& def) {
  if (own_) own_->define_chart(def);
}

void Forwarder::own_sample(const std::string& chart_id, model::ChartSample sample) {
  if (own_) own_->submit(chart_id, std::move(sample));
}

void Forwarder::stop(std::function<void()> done) {
  drain_timer_.stop();
  alive_ = std::make_shared<int>(0);
  auto remaining = std::make_shared<size_t>(links_.size() + (own_ ? 1 : 0));
  if (*remaining == 0) {
    if (done) done();
    return;
  }
  auto finished = [remaining, done = std::move(done)] {
    if (--*remaining == 0 && done) done();
  };
  if (own_) own_->stop(finished);
  for (auto& [guid, link] : links_) {
    link.stopping = true;
    link.sender->stop(finished);
  }
}

}  // namespace trib::parent::proxy
