#include "common/config/stream_conf.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace trib::config {
namespace {

using namespace std::chrono_literals;

constexpr const char* kKey = "11111111-2222-3333-4444-555555555555";
constexpr const char* kGuid = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

StreamConf parse_ok(std::string_view text) {
  auto r = parse_stream_conf(text, "stream.conf");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : StreamConf{};
}

std::string parse_error(std::string_view text) {
  auto r = parse_stream_conf(text, "stream.conf");
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.error().message;
}

TEST(StreamConf, EmptyGivesNetdataDefaults) {
  const StreamConf c = parse_ok("");
  EXPECT_FALSE(c.stream.enabled);
  EXPECT_TRUE(c.stream.destinations.empty());
  EXPECT_EQ(c.stream.timeout, 60s);
  EXPECT_EQ(c.stream.reconnect_delay, 5s);
  EXPECT_EQ(c.stream.buffer_size_bytes, 10485760u);
  EXPECT_EQ(c.stream.default_port, 19999);
  EXPECT_TRUE(c.stream.enable_compression);
  EXPECT_EQ(c.api_key(kKey), nullptr);
  EXPECT_EQ(c.machine(kGuid), nullptr);
  EXPECT_TRUE(c.warnings.empty());
}

TEST(StreamConf, StreamSectionWithCommentsAndWhitespace) {
  const StreamConf c = parse_ok(R"(
# comment
; another comment
[stream]
    enabled   =   yes
    destination = parent1:19999:SSL, tcp:[fe80::1]:20000 parent2
    api key = 11111111-2222-3333-4444-555555555555
    timeout seconds = 30
    default port = 18888
    reconnect delay seconds = 7
    buffer size bytes = 2048
    enable compression = off
)");
  EXPECT_TRUE(c.stream.enabled);
  EXPECT_EQ(c.stream.api_key, kKey);
  EXPECT_EQ(c.stream.timeout, 30s);
  EXPECT_EQ(c.stream.reconnect_delay, 7s);
  EXPECT_EQ(c.stream.buffer_size_bytes, 2048u);
  EXPECT_FALSE(c.stream.enable_compression);
  ASSERT_EQ(c.stream.destinations.size(), 3u);
  EXPECT_EQ(c.stream.destinations[0], (Destination{"parent1", 19999, true, "parent1:19999:SSL"}));
  EXPECT_EQ(c.stream.destinations[1],
            (Destination{"fe80::1", 20000, false, "tcp:[fe80::1]:20000"}));
  // default port applies even though it is written after destination
  EXPECT_EQ(c.stream.destinations[2], (Destination{"parent2", 18888, false, "parent2"}));
  EXPECT_TRUE(c.warnings.empty()) << c.warnings.front();
}

TEST(StreamConf, BooleansAcceptNetdataSpellings) {
  for (const char* yes : {"yes", "true", "on", "1", "YES"}) {
    EXPECT_TRUE(parse_ok(std::string("[stream]\nenabled = ") + yes + "\n").stream.enabled) << yes;
  }
  for (const char* no : {"no", "false", "off", "0"}) {
    EXPECT_FALSE(parse_ok(std::string("[stream]\nenabled = ") + no + "\n").stream.enabled) << no;
  }
  EXPECT_EQ(parse_error("[stream]\nenabled = maybe\n"),
            "stream.conf:2: [stream] enabled: 'maybe' is not a boolean (yes, no, true, false, "
            "on, off, 1, 0)");
  // auto only where Netdata allows it
  EXPECT_FALSE(parse_stream_conf("[stream]\nenabled = auto\n", "s").ok());
  EXPECT_TRUE(
      parse_stream_conf(std::string("[") + kKey + "]\nhealth enabled by default = auto\n", "s")
          .ok());
}

TEST(Destinations, EachKeepsItsOwnSslFlag) {
  // Netdata 1.37 would truncate this at the first :SSL and encrypt everything.
  auto d = parse_destinations("a:19999:SSL b:19999 c:SSL", 19999);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->size(), 3u);
  EXPECT_TRUE((*d)[0].ssl);
  EXPECT_FALSE((*d)[1].ssl);
  EXPECT_TRUE((*d)[2].ssl);
  EXPECT_EQ((*d)[2].port, 19999);
  EXPECT_EQ((*d)[2].host, "c");
}

TEST(StreamConf, TlsKeysAreImplementedAndVerificationIsOnByDefault) {
  EXPECT_TRUE(parse_ok("[stream]\nenabled = yes\n").stream.tls.verify);
  const StreamConf c = parse_ok(
      "[stream]\nssl skip certificate verification = yes\nCAfile = /ca.pem\nCApath = /cas\n"
      "ssl certificate = /client.pem\nssl key = /client.key\n"
      "tls ciphers = TLS_AES_256_GCM_SHA384\n");
  EXPECT_TRUE(c.warnings.empty());
  EXPECT_EQ(c.stream.tls.ciphersuites, "TLS_AES_256_GCM_SHA384");
  EXPECT_FALSE(c.stream.tls.verify);
  EXPECT_EQ(c.stream.tls.ca_file, "/ca.pem");
  EXPECT_EQ(c.stream.tls.ca_path, "/cas");
  EXPECT_EQ(c.stream.tls.cert_file, "/client.pem");
  EXPECT_EQ(c.stream.tls.key_file, "/client.key");
  EXPECT_EQ(parse_error("[stream]\nssl certificate = /client.pem\n"),
            "stream.conf:2: [stream] a client certificate needs both 'ssl certificate' and "
            "'ssl key'");
}

TEST(Destinations, Forms) {
  auto d = parse_destinations(" [::1] [::1]:1:SSL\t10.0.0.1:2,,host.example ", 5);
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_EQ(d->size(), 4u);
  EXPECT_EQ((*d)[0], (Destination{"::1", 5, false, "[::1]"}));
  EXPECT_EQ((*d)[1], (Destination{"::1", 1, true, "[::1]:1:SSL"}));
  EXPECT_EQ((*d)[2], (Destination{"10.0.0.1", 2, false, "10.0.0.1:2"}));
  EXPECT_EQ((*d)[3], (Destination{"host.example", 5, false, "host.example"}));
  EXPECT_TRUE(parse_destinations("", 1)->empty());
}

TEST(Destinations, Errors) {
  EXPECT_FALSE(parse_destinations("host:0", 1).ok());
  EXPECT_FALSE(parse_destinations("host:65536", 1).ok());
  EXPECT_FALSE(parse_destinations("host:http", 1).ok());
  EXPECT_FALSE(parse_destinations("[::1", 1).ok());
  EXPECT_FALSE(parse_destinations("[::1]x", 1).ok());
  EXPECT_FALSE(parse_destinations(":19999", 1).ok());
  EXPECT_FALSE(parse_destinations("unix:/run/x.sock", 1).ok());
  EXPECT_FALSE(parse_destinations("/run/x.sock", 1).ok());
  EXPECT_FALSE(parse_destinations("udp:host", 1).ok());
  EXPECT_FALSE(parse_destinations("fe80::1%eth0", 1).ok());
  EXPECT_NE(
      parse_error("[stream]\n\ndestination = a:x\n").find("stream.conf:3: [stream] destination"),
      std::string::npos);
}

TEST(StreamConf, ApiKeySection) {
  const StreamConf c = parse_ok(std::string("[") + kKey + R"(]
  type = api
  enabled = yes
  allow from = !10.1.2.3 10.*
  default history = 3
  default memory mode = none
  health enabled by default = auto
)");
  const KeyPolicy* k = c.api_key(kKey);
  ASSERT_NE(k, nullptr);
  EXPECT_TRUE(k->enabled);
  EXPECT_TRUE(k->allow_from.allows("10.9.9.9"));
  EXPECT_FALSE(k->allow_from.allows("10.1.2.3"));
  EXPECT_EQ(k->default_history, 5u);  // raised to Netdata's minimum
  EXPECT_EQ(k->default_memory_mode, "none");
  EXPECT_EQ(k->health_enabled_by_default, HealthEnabled::automatic);
  EXPECT_EQ(c.machine(kKey), nullptr);  // type = api: not a machine section
  EXPECT_NE(c.api_key("11111111-2222-3333-4444-555555555555"), nullptr);
  EXPECT_TRUE(c.warnings.empty());
}

TEST(StreamConf, HealthKeys) {
  const StreamConf c = parse_ok(std::string("[") + kKey + R"(]
  health enabled by default = no
  default postpone alarms on connect seconds = 5
  health enabled = yes
  postpone alarms on connect seconds = 0
)");
  const KeyPolicy* k = c.api_key(kKey);
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->health_enabled_by_default, HealthEnabled::no);
  EXPECT_EQ(k->default_postpone_alarms_on_connect_s, 5u);
  const MachinePolicy* m = c.machine(kKey);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->health_enabled, HealthEnabled::yes);
  EXPECT_EQ(m->postpone_alarms_on_connect_s, 0u);
  EXPECT_TRUE(c.warnings.empty());
  const StreamConf defaults = parse_ok(std::string("[") + kKey + "]\ntype = api\n");
  EXPECT_EQ(defaults.api_key(kKey)->health_enabled_by_default, HealthEnabled::automatic);
  EXPECT_EQ(defaults.api_key(kKey)->default_postpone_alarms_on_connect_s, 60u);
}

TEST(StreamConf, ApiKeyDefaultsMatchNetdata) {
  const StreamConf c = parse_ok(std::string("[") + kKey + "]\ntype = api\n");
  const KeyPolicy* k = c.api_key(kKey);
  ASSERT_NE(k, nullptr);
  EXPECT_FALSE(k->enabled);
  EXPECT_TRUE(k->allow_from.allows("1.2.3.4"));
  EXPECT_EQ(k->default_history, 3600u);
  EXPECT_EQ(k->default_memory_mode, "ram");
}

TEST(StreamConf, MachineSection) {
  const StreamConf c = parse_ok(std::string("[") + kGuid + R"(]
type = machine
enabled = no
allow from = 192.168.*
history = 100
memory mode = ram
update every = 2
host tags = a b
)");
  const MachinePolicy* m = c.machine(kGuid);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->enabled, false);
  ASSERT_TRUE(m->allow_from.has_value());
  EXPECT_TRUE(m->allow_from->allows("192.168.1.1"));
  EXPECT_EQ(m->history, 100u);
  EXPECT_EQ(m->memory_mode, "ram");
  EXPECT_EQ(m->other.at("update every"), "2");  // accepted, not implemented yet
  EXPECT_EQ(m->other.at("host tags"), "a b");
  EXPECT_EQ(c.api_key(kGuid), nullptr);  // type = machine: not a key
  EXPECT_NE(c.machine("AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE"), nullptr);  // case-insensitive
  EXPECT_EQ(c.warnings.size(), 2u);                                       // update every, host tags
}

TEST(StreamConf, UntypedSectionServesAsBothWithNetdataDefaults) {
  const StreamConf c = parse_ok(std::string("[") + kGuid + "]\nallow from = 10.*\n");
  const KeyPolicy* k = c.api_key(kGuid);
  const MachinePolicy* m = c.machine(kGuid);
  ASSERT_NE(k, nullptr);
  ASSERT_NE(m, nullptr);
  EXPECT_FALSE(k->enabled);              // keys default to disabled
  EXPECT_FALSE(m->enabled.has_value());  // machines default to enabled (unset here)
  EXPECT_EQ(m->allow_from->text(), "10.*");
  // an untyped section accepts the keys of both kinds
  EXPECT_TRUE(
      parse_stream_conf(std::string("[") + kGuid + "]\ndefault history = 10\nhistory = 20\n", "s")
          .ok());
}

TEST(StreamConf, EveryNetdataKeyIsAcceptedAndEachUnimplementedOneWarnsOnce) {
  const std::string text = std::string(R"([stream]
enabled = no
destination =
api key =
timeout seconds = 60
reconnect delay seconds = 5
buffer size bytes = 10485760
default port = 19999
enable compression = yes
send charts matching = *
initial clock resync iterations = 60
ssl skip certificate verification = yes
CApath = /etc/ssl/certs/
CAfile = /etc/ssl/certs/cert.pem
[)") + kKey + R"(]
type = api
enabled = no
allow from = *
default history = 3600
default memory mode = dbengine
health enabled by default = auto
default postpone alarms on connect seconds = 60
default proxy enabled = no
default proxy destination = a:1
default proxy api key = k
default proxy send charts matching = *
enable compression = yes
enable replication = yes
seconds to replicate = 86400
seconds per replication step = 600
[)" + kGuid + R"(]
type = machine
enabled = yes
allow from = *
update every = 1
history = 3600
memory mode = save
health enabled = auto
postpone alarms on connect seconds = 60
proxy enabled = no
proxy destination = a:1
proxy api key = k
proxy send charts matching = *
enable compression = yes
enable replication = yes
seconds to replicate = 86400
seconds per replication step = 600
host tags = x
)";
  const StreamConf c = parse_ok(text);
  // [stream]: initial clock resync iterations
  // [API]: enable compression, 3 replication keys
  // [MACHINE]: update every, enable compression, 3 replication, host tags
  EXPECT_EQ(c.warnings.size(), 1u + 4u + 6u);
  for (const std::string& w : c.warnings) EXPECT_EQ(w.find("proxy"), std::string::npos) << w;
  for (const std::string& w : c.warnings) {
    EXPECT_EQ(w.rfind("stream.conf:", 0), 0u) << w;
    EXPECT_NE(w.find("does not implement yet"), std::string::npos) << w;
  }
  EXPECT_NE(c.warnings[0].find("stream.conf:11: [stream] 'initial clock resync iterations'"),
            std::string::npos)
      << c.warnings[0];
}

TEST(StreamConf, UnknownKeysAreErrorsListingValidKeys) {
  const std::string e = parse_error("[stream]\nenabled = no\nbogus = 1\n");
  EXPECT_EQ(e.rfind("stream.conf:3: unknown key 'bogus' in section [stream]; valid keys: enabled, "
                    "destination, api key,",
                    0),
            0u)
      << e;
  // a machine-only key in a key section
  const std::string e2 = parse_error(std::string("[") + kKey + "]\ntype = api\nhistory = 5\n");
  EXPECT_NE(e2.find("stream.conf:3: unknown key 'history' in section [" + std::string(kKey) + "]"),
            std::string::npos)
      << e2;
  EXPECT_NE(e2.find("default history"), std::string::npos);
  const std::string e3 = parse_error(std::string("[") + kKey + "]\nreplication_step = 600\n");
  EXPECT_NE(e3.find("seconds per replication step"), std::string::npos) << e3;
}

TEST(StreamConf, SyntaxAndValueErrorsNameTheLine) {
  EXPECT_EQ(parse_error("enabled = yes\n"),
            "stream.conf:1: an option before any [section]; put it under [stream] or a [API key] "
            "section");
  EXPECT_EQ(parse_error("[stream]\njust words\n"),
            "stream.conf:2: expected 'key = value', found 'just words'");
  EXPECT_EQ(parse_error("[stream\n"),
            "stream.conf:1: bad section header '[stream'; expected [name]");
  EXPECT_EQ(parse_error("[stream]\ntimeout seconds = soon\n"),
            "stream.conf:2: [stream] timeout seconds: 'soon' is not a non-negative integer");
  EXPECT_EQ(parse_error("[stream]\ndefault port = 70000\n"),
            "stream.conf:2: [stream] default port: '70000' is out of range; valid: 1..65535");
  EXPECT_NE(parse_error(std::string("[") + kKey + "]\ndefault memory mode = disk\n")
                .find("stream.conf:2:"),
            std::string::npos);
  EXPECT_NE(parse_error(std::string("[") + kKey + "]\ntype = both\n").find("api or machine"),
            std::string::npos);
}

TEST(StreamConf, NonGuidSectionNamesWarn) {
  const StreamConf c = parse_ok("[API_KEY]\nenabled = no\n");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("stream.conf:1: section [API_KEY] is not a UUID"),
            std::string::npos);
}

TEST(StreamConf, RepeatedSectionsAndKeysLaterWins) {
  const StreamConf c = parse_ok("[stream]\nenabled = no\n[stream]\nenabled = yes\n");
  EXPECT_TRUE(c.stream.enabled);
}

TEST(StreamConf, MissingFileIsDefaults) {
  auto c = load_stream_conf("/nonexistent/stream.conf");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->stream.enabled);
}

TEST(StreamConf, CheckedInSampleParsesWithoutWarnings) {
  auto c = load_stream_conf(std::string(TRIB_SOURCE_DIR) + "/conf/stream.conf");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_FALSE(c->stream.enabled);
  EXPECT_EQ(c->stream.timeout, 60s);
  const KeyPolicy* k = c->api_key(kKey);
  ASSERT_NE(k, nullptr);
  EXPECT_FALSE(k->enabled);
  EXPECT_TRUE(c->warnings.empty()) << c->warnings.front();
}

}  // namespace
}  // namespace trib::config

namespace trib::config {
namespace {

constexpr const char* kOtherKey = "22222222-2222-3333-4444-555555555555";

TEST(StreamConfProxy, PerKeyAndPerMachineSettingsOverrideStreamInThatOrder) {
  const std::string text = std::string(R"([stream]
enabled = no
destination = central:1
api key = stream-key
send charts matching = *
[)") + kKey + R"(]
enabled = yes
default proxy enabled = yes
default proxy destination = dmz-central other:2:SSL
default proxy api key = key-key
[)" + kGuid + R"(]
proxy send charts matching = system.*
proxy api key = machine-key
[stream]
default port = 7000
)";
  const StreamConf c = parse_ok(text);
  EXPECT_TRUE(c.warnings.empty());
  // A host with the key and its own section: the machine's options over the key's.
  const StreamSender both = c.forwarding(kKey, kGuid);
  EXPECT_TRUE(both.enabled);
  ASSERT_EQ(both.destinations.size(), 2u);
  EXPECT_EQ(both.destinations[0].host, "dmz-central");
  EXPECT_EQ(both.destinations[0].port, 7000);  // [stream] default port, written later
  EXPECT_TRUE(both.destinations[1].ssl);
  EXPECT_EQ(both.api_key, "machine-key");
  EXPECT_EQ(both.send_charts_matching, "system.*");
  // Another host of the key: the key's defaults.
  const StreamSender keyed = c.forwarding(kKey, "aaaaaaaa-0000-4000-8000-0000000000ff");
  EXPECT_EQ(keyed.api_key, "key-key");
  EXPECT_EQ(keyed.send_charts_matching, "*");
  // Another key: [stream] as it is (not forwarded).
  const StreamSender other = c.forwarding(kOtherKey, "aaaaaaaa-0000-4000-8000-0000000000ff");
  EXPECT_FALSE(other.enabled);
  EXPECT_EQ(other.api_key, "stream-key");
  // The key not known (a spool recovered at start): the machine's section over [stream].
  EXPECT_EQ(c.forwarding("", kGuid).api_key, "machine-key");
  EXPECT_FALSE(c.forwarding("", kGuid).enabled);
}

TEST(StreamConfProxy, AProxyDestinationErrorNamesTheLine) {
  const auto r =
      parse_stream_conf(std::string("[") + kGuid + "]\nproxy destination = udp:x\n", "stream.conf");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("stream.conf:2:"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("proxy destination"), std::string::npos) << r.error().message;
}

TEST(StreamConfProxy, DescribeChangesNamesEachChangeAndNeverTheKey) {
  StreamSender before;
  before.enabled = true;
  before.api_key = "secret-key-1";
  StreamSender after = before;
  EXPECT_EQ(describe_changes(before, after), "");
  after.enabled = false;
  after.api_key = "secret-key-2";
  after.destinations = *parse_destinations("b:2", 19999);
  after.send_charts_matching = "system.*";
  const std::string text = describe_changes(before, after);
  EXPECT_EQ(text,
            "enabled yes -> no, destination '' -> 'b:2', api key changed, send charts matching "
            "'*' -> 'system.*'");
  EXPECT_EQ(text.find("secret"), std::string::npos);
}

}  // namespace
}  // namespace trib::config
