// kill -9 of a dbengine parent under load: after a restart, every sample the parent acknowledged
// is served, exactly once, and the resume point it offers covers them. A corrupt store keeps the
// parent from starting.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <map>

#include "common/stream/frame.h"
#include "common/stream/handshake.h"
#include "integration/cluster.h"

namespace trib::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kGuid = "5a5a5a5a-1b1b-4c4c-8d8d-9e9e9e9e9e9e";
constexpr int kDims = 4;
constexpr int kRowsPerBatch = 20;

// A blocking native-protocol sender that keeps track of what the parent acknowledged.
class RawSender {
 public:
  explicit RawSender(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawSender() { ::close(fd_); }

  // Sends the STREAM request and waits for the Tributary reply; its resume point.
  std::optional<uint64_t> handshake() {
    if (!connected_ || !write(tributary_stream_request(kApiKey, kGuid, "ack", "durable"))) {
      return std::nullopt;
    }
    std::string in;
    char buf[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return std::nullopt;
      in.append(buf, static_cast<size_t>(n));
      auto reply = stream::parse_handshake_reply(in);
      if (!reply.ok()) return std::nullopt;
      if (!reply->has_value()) continue;
      if ((*reply)->kind != stream::ReplyKind::tributary_ok) return std::nullopt;
      decoder_.feed(std::string_view(in).substr((*reply)->consumed));
      return (*reply)->resume_seq;
    }
  }
  bool send(const stream::Message& message) { return write(encoder_.encode(message)); }
  // Reads whatever arrived without blocking; false once the connection is gone.
  bool poll_acks() {
    char buf[65536];
    for (;;) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0) return false;
      if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
      decoder_.feed(std::string_view(buf, static_cast<size_t>(n)));
      for (;;) {
        auto next = decoder_.next();
        if (!next.ok()) return false;
        if (!next->has_value()) break;
        if (const auto* ack = std::get_if<stream::AckMsg>(&**next)) {
          acked_ = std::max(acked_, ack->seq);
        }
      }
    }
  }
  uint64_t acked() const { return acked_; }

 private:
  bool write(const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  stream::FrameEncoder encoder_;
  stream::FrameDecoder decoder_;
  uint64_t acked_ = 0;
};

double value_of(int64_t offset, int dim) { return static_cast<double>(offset) + dim * 0.25; }

stream::SamplesMsg batch(uint64_t seq, int64_t base) {
  stream::SamplesMsg msg;
  msg.host_slot = 1;
  msg.seq = seq;
  for (int r = 0; r < kRowsPerBatch; ++r) {
    const int64_t offset = static_cast<int64_t>(seq - 1) * kRowsPerBatch + r;
    std::vector<double> values;
    for (int d = 0; d < kDims; ++d) values.push_back(value_of(offset, d));
    msg.add_row(1, base + offset, values);
  }
  return msg;
}

void define(RawSender& sender) {
  model::HostInfo host;
  host.machine_guid = kGuid;
  host.hostname = "durable";
  ASSERT_TRUE(sender.send(stream::HostDefMsg{1, host}));
  model::ChartDef chart;
  chart.id = "test.load";
  chart.update_every = 1;
  for (int d = 0; d < kDims; ++d) {
    model::DimensionDef dim;
    dim.id = "d" + std::to_string(d);
    chart.dimensions.push_back(dim);
  }
  ASSERT_TRUE(sender.send(stream::ChartDefMsg{1, 1, chart}));
}

TEST(Durability, EverythingAckedSurvivesKillNine) {
  Cluster cluster;
  cluster.start_parent("  allow from = *\n[" + std::string(kGuid) +
                       "]\n  memory mode = dbengine\n");
  const int64_t base = static_cast<int64_t>(::time(nullptr)) - 200'000;

  uint64_t acked = 0;
  {
    RawSender sender(cluster.port());
    ASSERT_EQ(sender.handshake(), std::optional<uint64_t>(0)) << cluster.parent_log();
    define(sender);
    // Flat out until a good number of batches are acknowledged, then the crash, mid-stream.
    uint64_t seq = 0;
    while (sender.acked() < 300 && seq < 100'000) {
      ASSERT_TRUE(sender.send(batch(++seq, base))) << cluster.parent_log();
      ASSERT_TRUE(sender.poll_acks()) << cluster.parent_log();
    }
    cluster.parent().kill_hard();
    sender.poll_acks();
    acked = sender.acked();
    ASSERT_GT(seq, acked);  // batches were in flight when it died
  }

  cluster.restart_parent();
  const int64_t rows = static_cast<int64_t>(acked) * kRowsPerBatch;
  const auto data =
      cluster.get_json("/host/durable/api/v1/data?chart=test.load&after=" + std::to_string(base) +
                       "&before=" + std::to_string(base + rows - 1) +
                       "&points=" + std::to_string(rows) + "&group=average&format=json");
  ASSERT_TRUE(data) << cluster.parent_log();
  std::map<int64_t, std::vector<double>> by_time;
  for (const auto& row : (*data)["data"]) {
    std::vector<double> values;
    for (size_t i = 1; i < row.size(); ++i) {
      values.push_back(row[i].is_number() ? row[i].get<double>() : NAN);
    }
    by_time[row[0].get<int64_t>()] = values;
  }
  int64_t missing = 0;
  for (int64_t offset = 0; offset < rows; ++offset) {
    const auto it = by_time.find(base + offset);
    if (it == by_time.end() || it->second.size() != kDims) {
      ++missing;
      continue;
    }
    for (int d = 0; d < kDims; ++d) {
      if (it->second[d] != value_of(offset, d)) ++missing;
    }
  }
  EXPECT_EQ(missing, 0) << "of " << rows << " acknowledged rows\n" << cluster.parent_log();

  // The resume point after the restart covers at least everything acknowledged.
  RawSender again(cluster.port());
  const auto resume = again.handshake();
  ASSERT_TRUE(resume.has_value());
  EXPECT_GE(*resume, acked);
}

TEST(Durability, ACorruptStoreKeepsTheParentFromStarting) {
  TempDir dir;
  write_file(dir / "etc/stream.conf", std::string("[") + kApiKey + "]\n  enabled = yes\n");
  write_file(dir / "data/dbengine/data.mdb", std::string(64 * 1024, 'x'));
  const auto run =
      run_to_exit(parent_binary(), {"--config-dir", dir / "etc", "--data-dir", dir / "data",
                                    "--port", std::to_string(free_port())});
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("corrupt or foreign"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find(dir / "data/dbengine"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace trib::test
