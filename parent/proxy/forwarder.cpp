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

std::string destinations_text(const stream::SenderOptions& options) {
  std::string out;
  for (const auto& d : options.destinations) out += (out.empty() ? "" : " ") + d.text;
  return out;
}

}  // namespace

Forwarder::Forwarder(event::Loop& loop, ForwarderOptions options, model::HostInfo self)
    : loop_(loop), options_(std::move(options)), self_(std::move(self)), drain_timer_(loop) {}

Forwarder::~Forwarder() = default;

void Forwarder::start() {
  apply_own_forwarding();
  recover_spools();
  drain_timer_.start(kDrainCheck, kDrainCheck, [this] { end_drained_links(); });
}

std::optional<stream::SenderOptions> Forwarder::sender_options(const std::string& guid,
                                                               const std::string& api_key) const {
  const config::StreamSender forwarding = options_.stream.forwarding(api_key, guid);
  if (!forwarding.enabled) return std::nullopt;
  stream::SenderOptions options = stream::options_from_stream_conf(forwarding);
  options.spool_dir = options_.spool_root + "/" + guid;
  options.spool_max_size = options_.spool_max_size;
  options.relay_when_full = options_.when_full;
  return options;
}

void Forwarder::recover_spools() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options_.spool_root, ec)) {
    const std::string guid = entry.path().filename().string();
    if (!entry.is_directory() || guid == self_.machine_guid || links_.contains(guid)) continue;
    // The key the host came with is known only when it reconnects: until then its machine
    // section and [stream] say where it goes.
    auto options = sender_options(guid, "");
    if (!options) continue;  // not forwarded any more: its spool stays as it is
    auto origin = leftover_origin(entry.path().string(), options_.spool_max_size);
    if (!origin) continue;
    TRIB_LOG(stream, info, "[proxy] forwarding what the spool holds of {} {} from an earlier run",
             origin->host.hostname, guid);
    Link& link = links_[guid];
    link.host = origin->host;
    // The spool keeps the path as sent upstream, this proxy first.
    link.path = origin->path;
    link.path_guids = origin->path_guids;
    if (!link.path_guids.empty() && link.path_guids.front() == self_.machine_guid) {
      link.path_guids.erase(link.path_guids.begin());
      if (!link.path.empty()) link.path.erase(link.path.begin());
    }
    // Its own stream is not here (yet): the link ends once drained, unless the host reconnects.
    link.keep_until_ms = loop_.now_ms() + kRecoveredGraceMs;
    start_sender(guid, link, std::move(*options));
  }
}

void Forwarder::start_sender(const std::string& guid, Link& link, stream::SenderOptions options) {
  retiring_.erase(guid);  // closes its spool before the new sender opens it
  link.sender = std::make_unique<stream::Sender>(loop_, std::move(options), link.host,
                                                 stream::SenderMode::relay);
  set_upstream_path(link);
  map_charts(link);
  link.sender->start();
}

void Forwarder::set_upstream_path(Link& link) {
  // This proxy is the nearest hop to the receiver upstream.
  std::vector<std::string> hostnames{self_.hostname.empty() ? self_.machine_guid : self_.hostname};
  std::vector<std::string> guids{self_.machine_guid};
  hostnames.insert(hostnames.end(), link.path.begin(), link.path.end());
  guids.insert(guids.end(), link.path_guids.begin(), link.path_guids.end());
  link.sender->set_path(std::move(hostnames), std::move(guids));
}

void Forwarder::map_charts(Link& link) {
  link.chart_slots.clear();
  for (const auto& [slot, def] : link.charts) {
    link.chart_slots[slot] = link.sender->define_chart(def);
  }
}

void Forwarder::apply_forwarding(const std::string& guid, Link& link) {
  auto options = sender_options(guid, link.api_key);
  if (!options) {
    if (!link.sender) return;
    TRIB_LOG(stream, info,
             "[proxy] {} {} is no longer forwarded (stream.conf); its stream upstream ends, what "
             "its spool holds stays there",
             link.host.hostname, guid);
    retire(guid, std::move(link.sender));
    link.chart_slots.clear();
    return;
  }
  if (!link.sender) {
    if (link.downstream && !link.charts_kept) {
      TRIB_LOG(stream, info,
               "[proxy] {} {} is forwarded from now on: its stream here restarts so that its "
               "charts go upstream too",
               link.host.hostname, guid);
      if (on_restart_needed_) on_restart_needed_(guid);
      return;
    }
    TRIB_LOG(stream, info, "[proxy] {} {} is forwarded to '{}'", link.host.hostname, guid,
             destinations_text(*options));
    start_sender(guid, link, std::move(*options));
    return;
  }
  link.sender->reconfigure(std::move(*options));
  map_charts(link);  // `send charts matching` may have changed
}

void Forwarder::retire(const std::string& guid, std::unique_ptr<stream::Sender> sender) {
  if (!sender) return;
  stream::Sender* stopping = sender.get();
  retiring_[guid] = std::move(sender);  // one still closing for this host is cut short
  stopping->stop([this, guid, stopping, weak = std::weak_ptr<int>(alive_)] {
    // Destroyed on a later turn: this runs inside the sender's own callbacks.
    loop_.post([this, guid, stopping, weak] {
      if (!weak.lock()) return;
      const auto found = retiring_.find(guid);
      if (found != retiring_.end() && found->second.get() == stopping) retiring_.erase(found);
    });
  });
}

void Forwarder::apply_own_forwarding() {
  const config::StreamSender& stream = options_.stream.stream;
  if (!stream.enabled) {
    retire(self_.machine_guid, std::move(own_));
    return;
  }
  stream::SenderOptions options = stream::options_from_stream_conf(stream);
  options.spool_dir = options_.spool_root + "/" + self_.machine_guid;
  options.spool_max_size = options_.spool_max_size;
  if (own_) {
    own_->reconfigure(std::move(options));
    return;
  }
  retiring_.erase(self_.machine_guid);
  own_ = std::make_unique<stream::Sender>(loop_, std::move(options), self_);
  for (const auto& [id, def] : own_charts_) own_->define_chart(def);
  own_->start();
}

void Forwarder::reconfigure(config::StreamConf stream) {
  if (stopped_) return;
  const std::string changes = config::describe_changes(options_.stream.stream, stream.stream);
  if (!changes.empty()) {
    TRIB_LOG(stream, info, "[proxy] stream.conf [stream] changed: {}", changes);
  }
  options_.stream = std::move(stream);
  apply_own_forwarding();
  for (auto& [guid, link] : links_) apply_forwarding(guid, link);
}

Forwarder::Link* Forwarder::find(const std::string& guid) {
  const auto it = links_.find(guid);
  return it == links_.end() ? nullptr : &it->second;
}

stream::SpoolFill Forwarder::spool_fill() const {
  stream::SpoolFill fill{0, options_.spool_max_size};
  if (own_) fill.used = own_->stats().spool_bytes;
  for (const auto& [guid, link] : links_) {
    if (link.sender) fill.used = std::max(fill.used, link.sender->stats().spool_bytes);
  }
  return fill;
}

std::optional<uint64_t> Forwarder::connect(const model::HostInfo& host, const std::string& api_key,
                                           const std::vector<std::string>& path,
                                           const std::vector<std::string>& path_guids) {
  const std::string& guid = host.machine_guid;
  Link& link = links_[guid];
  link.host = host;
  link.api_key = api_key;
  link.path = path;
  link.path_guids = path_guids;
  link.downstream = true;
  link.clean_end = false;
  // charts stay: a new downstream connection defines every chart again before its rows use the
  // slot, and a HostDef repeated mid-stream (new labels) keeps the charts.
  // The upstream stream goes on (the receiver there would refuse a second one for the host); a
  // new path is sent with its next handshake.
  if (link.sender) {
    link.sender->set_origin(host);
    set_upstream_path(link);
  }
  link.charts_kept = true;       // it defines every chart next
  apply_forwarding(guid, link);  // the key may send it elsewhere, or nowhere
  if (!link.sender) {
    link.charts_kept = false;
    link.charts.clear();
    return std::nullopt;
  }
  return link.sender->relayed_through();
}

Status Forwarder::chart(const std::string& guid, uint32_t chart_slot, const model::ChartDef& def) {
  Link* link = find(guid);
  if (link == nullptr) return Error(Errc::not_found, "no upstream stream for host " + guid);
  if (link->charts_kept) link->charts[chart_slot] = def;
  if (link->sender) link->chart_slots[chart_slot] = link->sender->define_chart(def);
  return {};
}

Status Forwarder::samples(const std::string& guid, const stream::SamplesMsg& batch) {
  Link* link = find(guid);
  if (link == nullptr) return Error(Errc::not_found, "no upstream stream for host " + guid);
  if (!link->sender) return {};  // not forwarded
  stream::SamplesMsg relayed;
  relayed.seq = batch.seq;
  relayed.rows.reserve(batch.rows.size());
  relayed.values.reserve(batch.values.size());
  for (const auto& row : batch.rows) {
    const auto slot = link->chart_slots.find(row.chart_slot);
    if (slot == link->chart_slots.end() || slot->second == 0) continue;  // left out upstream
    relayed.add_row(slot->second, row.timestamp, batch.values_of(row));
  }
  if (relayed.rows.empty()) return {};  // nothing of it goes upstream
  return link->sender->relay(std::move(relayed));
}

Status Forwarder::logs(const std::string& guid, const stream::LogsMsg& batch) {
  Link* link = find(guid);
  if (link == nullptr) return Error(Errc::not_found, "no upstream stream for host " + guid);
  if (!link->sender) return {};
  return link->sender->relay(batch);
}

Status Forwarder::gaps(const std::string& guid, const stream::GapsMsg& batch) {
  Link* link = find(guid);
  if (link == nullptr) return Error(Errc::not_found, "no upstream stream for host " + guid);
  if (!link->sender) return {};
  return link->sender->relay(batch);
}

bool Forwarder::spool_full(const std::string& guid) const {
  const auto it = links_.find(guid);
  return it != links_.end() && it->second.sender && it->second.sender->spool_full();
}

void Forwarder::disconnect(const std::string& guid, bool clean) {
  Link* link = find(guid);
  if (link == nullptr) return;
  link->downstream = false;
  link->clean_end = clean;
}

size_t Forwarder::forwarded() const {
  size_t n = 0;
  for (const auto& [guid, link] : links_) n += link.sender ? 1 : 0;
  return n;
}

void Forwarder::end_drained_links() {
  for (auto it = links_.begin(); it != links_.end();) {
    Link& link = it->second;
    if (link.downstream || loop_.now_ms() < link.keep_until_ms ||
        (link.sender && !link.sender->drained())) {
      ++it;
      continue;
    }
    if (link.sender && link.clean_end) {
      retire(it->first, std::move(link.sender));
    } else if (link.sender) {
      // Lost downstream: the upstream stream ends without a goodbye, so the host shows as lost
      // there too.
      TRIB_LOG(stream, info, "[proxy] {} is gone and its spool delivered; closing its stream",
               it->first);
    }
    it = links_.erase(it);
  }
}

void Forwarder::own_chart(const model::ChartDef& def) {
  own_charts_[def.id] = def;
  if (own_) own_->define_chart(def);
}

void Forwarder::own_sample(const std::string& chart_id, model::ChartSample sample) {
  if (own_) own_->submit(chart_id, std::move(sample));
}

void Forwarder::stop(std::function<void()> done) {
  stopped_ = true;
  drain_timer_.stop();
  alive_ = std::make_shared<int>(0);
  retiring_.clear();  // their goodbyes are written or cut short now
  std::vector<stream::Sender*> senders;
  if (own_) senders.push_back(own_.get());
  for (auto& [guid, link] : links_) {
    if (link.sender) senders.push_back(link.sender.get());
  }
  if (senders.empty()) {
    if (done) done();
    return;
  }
  auto remaining = std::make_shared<size_t>(senders.size());
  auto finished = [remaining, done = std::move(done)] {
    if (--*remaining == 0 && done) done();
  };
  for (stream::Sender* sender : senders) sender->stop(finished);
}

}  // namespace trib::parent::proxy
