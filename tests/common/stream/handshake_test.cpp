#include "common/stream/handshake.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "trib_version.h"

namespace trib::stream {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string capture(const std::string& dir, const std::string& file) {
  return read_file(std::string(TRIB_SHARED_FIXTURES) + "/netdata-1.37/" + dir + "/" + file);
}

const std::string* field(const HandshakeRequest& request, std::string_view name) {
  for (const auto& [k, v] : request.other_fields) {
    if (k == name) return &v;
  }
  return nullptr;
}

std::string request_line(std::string_view query) {
  return "STREAM " + std::string(query) + " HTTP/1.1\r\nUser-Agent: netdata/v1.37.1\r\n\r\n";
}

struct CaptureCase {
  const char* dir;
  const char* hostname;
  const char* guid;
  uint64_t ver;
};

class RealCaptureTest : public ::testing::TestWithParam<CaptureCase> {};

TEST_P(RealCaptureTest, ParsesTheStockChildRequest) {
  const CaptureCase& c = GetParam();
  const std::string bytes = capture(c.dir, "handshake-request.bin");
  ASSERT_FALSE(bytes.empty()) << "missing fixture " << c.dir;

  auto end = find_handshake_end(bytes);
  ASSERT_TRUE(end.ok());
  ASSERT_TRUE(end->has_value());
  EXPECT_EQ(**end, bytes.size());

  auto request = parse_handshake_request(bytes);
  ASSERT_TRUE(request.ok()) << request.error().describe();
  EXPECT_EQ(request->api_key, "11111111-2222-3333-4444-555555555555");
  EXPECT_EQ(request->host.hostname, c.hostname);
  EXPECT_EQ(request->host.machine_guid, c.guid);
  EXPECT_EQ(request->host.os, "linux");
  EXPECT_EQ(request->host.timezone, "Etc/UTC");
  EXPECT_EQ(request->host.update_every, 1);
  EXPECT_EQ(request->host.hops, 1);
  EXPECT_EQ(request->host.program_name, "netdata");
  EXPECT_EQ(request->host.program_version, "v1.37.1");
  EXPECT_EQ(request->user_agent, "netdata/v1.37.1");
  EXPECT_TRUE(request->has_ver);
  EXPECT_EQ(request->netdata_caps, c.ver);
  EXPECT_FALSE(request->tributary);
  // Raw spaces inside values survive; '+' is a space, as the stock parent decodes it.
  ASSERT_NE(field(*request, "NETDATA_CONTAINER_OS_NAME"), nullptr);
  EXPECT_EQ(*field(*request, "NETDATA_CONTAINER_OS_NAME"), "Debian GNU/Linux");
  EXPECT_EQ(*field(*request, "NETDATA_CONTAINER_OS_VERSION"), "12 (bookworm)");
  EXPECT_EQ(*field(*request, "NETDATA_SYSTEM_CPU_FREQ"), "2.599e 09");
  EXPECT_EQ(*field(*request, "NETDATA_PROTOCOL_VERSION"), "1.1");
  EXPECT_EQ(*field(*request, "registry_hostname"), c.hostname);
  EXPECT_EQ(field(*request, "tags"), nullptr);  // empty values are skipped

  // Tributary grants a stock child VCAPS|HLABELS|CLAIM|CLABELS|BINARY.
  const uint64_t caps = netdata_reply_caps(request->netdata_caps, request->has_ver);
  EXPECT_EQ(caps, 9152U);
  EXPECT_EQ(netdata_ok_reply(caps), "Hit me baby, push them over with the version=9152");
}

TEST_P(RealCaptureTest, RebuiltRequestParsesToTheSameFields) {
  auto request = parse_handshake_request(capture(GetParam().dir, "handshake-request.bin"));
  ASSERT_TRUE(request.ok());
  auto again = parse_handshake_request(build_handshake_request(*request));
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_EQ(again->api_key, request->api_key);
  EXPECT_EQ(again->host.machine_guid, request->host.machine_guid);
  EXPECT_EQ(again->netdata_caps, request->netdata_caps);
  EXPECT_EQ(again->other_fields, request->other_fields);
}

TEST_P(RealCaptureTest, ParsesTheStockParentReply) {
  const std::string bytes = capture(GetParam().dir, "handshake-reply.bin");
  auto reply = parse_handshake_reply(bytes);
  ASSERT_TRUE(reply.ok()) << reply.error().describe();
  ASSERT_TRUE(reply->has_value());
  EXPECT_EQ((*reply)->kind, ReplyKind::netdata_ok);
  EXPECT_EQ((*reply)->consumed, bytes.size());
  // The stock parent granted everything the child offered but the V1/V2/VN bits.
  EXPECT_EQ((*reply)->netdata_caps, GetParam().ver & ~uint64_t{8 | 16 | 32});
}

INSTANTIATE_TEST_SUITE_P(
    Captures, RealCaptureTest,
    ::testing::Values(CaptureCase{"real-parent-uncompressed", "cap-child",
                                  "aaaaaaaa-bbbb-cccc-dddd-000000000001", 15352},
                      CaptureCase{"real-parent-lz4", "cap-child-lz4",
                                  "aaaaaaaa-bbbb-cccc-dddd-000000000002", 16376},
                      CaptureCase{"fake-parent-nodb-uncompressed", "cap-child-nodb",
                                  "aaaaaaaa-bbbb-cccc-dddd-000000000003", 15352},
                      CaptureCase{"fake-parent-no-replay", "cap-child-noreplay",
                                  "aaaaaaaa-bbbb-cccc-dddd-000000000005", 15352}));

TEST(HandshakeEndTest, WaitsThenFindsTheBlankLineThenGivesUpAtTheCap) {
  EXPECT_FALSE(find_handshake_end("STREAM key=1 HTTP/1.1\r\n")->has_value());
  EXPECT_FALSE(find_handshake_end("")->has_value());
  const std::string request = request_line("key=1");
  EXPECT_EQ(**find_handshake_end(request + "extra"), request.size());

  const std::string endless(kMaxHandshakeRequest, 'a');
  auto too_long = find_handshake_end(endless);
  ASSERT_FALSE(too_long.ok());
  EXPECT_TRUE(too_long.error().is(Errc::limit_exceeded));
  // An end past the cap does not count either.
  EXPECT_FALSE(find_handshake_end(endless + "\r\n\r\n").ok());
}

TEST(HandshakeRequestTest, RejectsMalformedRequests) {
  for (const std::string& bad : std::vector<std::string>{
           std::string("GET /api/v1/info HTTP/1.1\r\n\r\n"),
           std::string("STREAM key=1\r\n\r\n"),       // no HTTP/
           std::string("STREAM key=1 HTTP/1.1\r\n"),  // no blank line
           request_line("key=%G1"),                   // bad escape
           request_line("hostname=a%0Ab"),            // control character
           request_line("hostname=a\tb"),             // raw control character
           request_line("key=1&tributary=abc"),       // bad protocol version
           request_line("key=1&tributary=0"),
       }) {
    auto request = parse_handshake_request(bad);
    EXPECT_FALSE(request.ok()) << bad;
    if (!request.ok()) {
      EXPECT_TRUE(request.error().is(Errc::parse_error));
    }
  }
}

TEST(HandshakeRequestTest, MissingIdentityIsLeftToAdmission) {
  auto request = parse_handshake_request(request_line("os=linux&tags="));
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->api_key, "");
  EXPECT_EQ(request->host.hostname, "");
  EXPECT_EQ(request->host.machine_guid, "");
  EXPECT_FALSE(request->has_ver);
  EXPECT_EQ(netdata_reply_caps(request->netdata_caps, request->has_ver), netdata_cap::kV1);
}

TEST(HandshakeRequestTest, NetdataDefaultsAndLenientNumbers) {
  auto request = parse_handshake_request(
      "STREAM key=k&update_every=-5&hops=3x&ver=junk&hostname=a HTTP/x&os=b HTTP/1.0\r\n"
      "user-agent:  agent-without-version \r\nX-Other: 1\r\nnonsense\r\n\r\n");
  ASSERT_TRUE(request.ok()) << request.error().describe();
  EXPECT_EQ(request->host.update_every, 1);  // negative becomes 1
  EXPECT_EQ(request->host.hops, 3);
  EXPECT_TRUE(request->has_ver);
  EXPECT_EQ(request->netdata_caps, 0U);
  EXPECT_EQ(request->host.hostname, "a HTTP/x");  // ' HTTP/' is searched from the right
  EXPECT_EQ(request->host.os, "b");
  EXPECT_EQ(request->host.timezone, "unknown");
  EXPECT_EQ(request->host.program_name, "agent-without-version");
  EXPECT_EQ(request->host.program_version, "");

  auto repeated = parse_handshake_request(request_line("hostname=a&hostname=b"));
  EXPECT_EQ(repeated->host.hostname, "b");
  auto no_agent = parse_handshake_request("STREAM key=k HTTP/1.1\r\n\r\n");
  EXPECT_EQ(no_agent->host.program_name, "unknown");
}

TEST(HandshakeRequestTest, TributaryRequestRoundTripsAwkwardValues) {
  model::HostInfo host;
  host.machine_guid = "aaaaaaaa-0000-0000-0000-000000000001";
  host.hostname = "web 01&co=1+2%";
  host.os = "linux";
  host.timezone = "Etc/GMT+5";
  host.update_every = 2;
  host.hops = 1;
  HandshakeRequest sent =
      make_tributary_request("11111111-2222-3333-4444-555555555555", host, {"zstd", "ack"});
  sent.other_fields.emplace_back("abbrev_timezone", "-05");
  const std::string bytes = build_handshake_request(sent);

  const std::string line = bytes.substr(0, bytes.find("\r\n"));
  const std::string query = line.substr(7, line.rfind(" HTTP/") - 7);
  EXPECT_EQ(query.find_first_of(" +"), std::string::npos);
  EXPECT_NE(query.find("&hostname=web%2001%26co%3D1%2B2%25&"), std::string::npos);
  EXPECT_NE(bytes.find("&ver=960&"), std::string::npos);
  EXPECT_NE(bytes.find("&tributary=1&caps=zstd%2Cack HTTP/1.1\r\n"), std::string::npos);
  EXPECT_NE(bytes.find(std::string("\r\nUser-Agent: tributary/") + kVersion + "\r\n"),
            std::string::npos);
  ASSERT_EQ(**find_handshake_end(bytes), bytes.size());

  auto got = parse_handshake_request(bytes);
  ASSERT_TRUE(got.ok()) << got.error().describe();
  EXPECT_EQ(got->api_key, sent.api_key);
  EXPECT_EQ(got->host.hostname, host.hostname);
  EXPECT_EQ(got->host.machine_guid, host.machine_guid);
  EXPECT_EQ(got->host.timezone, "Etc/GMT+5");
  EXPECT_EQ(got->host.update_every, 2);
  EXPECT_EQ(got->host.hops, 1);
  EXPECT_EQ(got->host.program_name, "tributary");
  EXPECT_EQ(got->host.program_version, kVersion);
  EXPECT_EQ(got->netdata_caps, netdata_cap::kSenderOffer);
  EXPECT_TRUE(got->tributary);
  EXPECT_EQ(got->tributary_version, kTributaryProtocolVersion);
  EXPECT_EQ(got->tributary_caps, (std::vector<std::string>{"zstd", "ack"}));
  EXPECT_EQ(*field(*got, "abbrev_timezone"), "-05");
}

TEST(NetdataCapsTest, RepliesAsTheRecommendedParent) {
  struct Case {
    uint64_t ver;
    bool has_ver;
    const char* reply;
  };
  const Case cases[] = {
      {16376, true, "Hit me baby, push them over with the version=9152"},
      {15352, true, "Hit me baby, push them over with the version=9152"},
      {64, true, "Hit me baby, push them over with the version=64"},
      {5, true, "Hit me baby, push them over with the version=4"},
      {4, true, "Hit me baby, push them over with the version=4"},
      {3, true, "Hit me baby, push them over with the version=3"},
      {2, true, "Hit me baby, push them over and bring the host labels..."},
      {1, true, "Hit me baby, push them over..."},
      {0, true, "Hit me baby, push them over..."},
      {8, true, "Hit me baby, push them over..."},
      {2048, true, "Hit me baby, push them over..."},
      {16376, false, "Hit me baby, push them over..."},
      {32 | 512 | 1024, true, "Hit me baby, push them over with the version=4"},
  };
  for (const Case& c : cases) {
    const uint64_t caps = netdata_reply_caps(c.ver, c.has_ver);
    EXPECT_EQ(netdata_ok_reply(caps), c.reply) << "ver=" << c.ver;
    EXPECT_EQ(caps & netdata_cap::kCompression, 0U) << "ver=" << c.ver;
    // What the child derives from our prompt is the set we computed.
    auto parsed = parse_handshake_reply(netdata_ok_reply(caps));
    ASSERT_TRUE(parsed.ok() && parsed->has_value());
    EXPECT_EQ((*parsed)->netdata_caps, caps) << "ver=" << c.ver;
  }
  EXPECT_EQ(netdata_caps_from_version(5) & netdata_cap::kCompression, netdata_cap::kCompression);
  EXPECT_EQ(netdata_ok_reply(netdata_caps_from_version(5)),
            "Hit me baby, push them over with the version=5");
}

TEST(RefusalTest, NetdataStringsAreExact) {
  EXPECT_EQ(netdata_reply(Refusal::denied),
            "You are not permitted to access this. Check the logs for more info.");
  EXPECT_EQ(netdata_reply(Refusal::already_streaming),
            "This GUID is already streaming to this server");
  EXPECT_EQ(netdata_reply(Refusal::localhost),
            "Don't hit me baby, you are trying to stream my localhost back");
  EXPECT_EQ(netdata_reply(Refusal::busy),
            "The server is too busy now to accept this request. Try later.");
  EXPECT_EQ(netdata_reply(Refusal::forbidden), "You are not allowed to access this resource.");
  const std::string_view http = netdata_reply(Refusal::bad_request);
  ASSERT_TRUE(http.starts_with("HTTP/1.1 400 "));
  const auto body = http.find("\r\n\r\n") + 4;
  EXPECT_NE(http.find("Content-Length: " + std::to_string(http.size() - body) + "\r\n"),
            std::string_view::npos);
}

TEST(RefusalTest, BackoffFollowsTheNetdataChild) {
  EXPECT_EQ(refusal_backoff(Refusal::localhost), std::chrono::hours(1));
  EXPECT_EQ(refusal_backoff(Refusal::already_streaming), std::chrono::minutes(2));
  for (Refusal r : {Refusal::denied, Refusal::busy, Refusal::forbidden, Refusal::bad_request,
                    Refusal::unknown}) {
    EXPECT_EQ(refusal_backoff(r), std::chrono::minutes(1));
  }
}

TEST(ReplyTest, TributaryLinesAreExactAndParse) {
  EXPECT_EQ(tributary_ok_reply({"zstd", "ack"}, 1234),
            "TRIBUTARY/1 OK caps=zstd,ack resume=1234\r\n");
  EXPECT_EQ(tributary_ok_reply({}, 0), "TRIBUTARY/1 OK caps= resume=0\r\n");
  EXPECT_EQ(tributary_reply(Refusal::already_streaming, ""),
            "TRIBUTARY/1 REFUSED already-streaming This GUID is already streaming to this "
            "server\r\n");
  EXPECT_EQ(tributary_reply(Refusal::denied, "key\r\nnot enabled"),
            "TRIBUTARY/1 REFUSED denied key  not enabled\r\n");
  EXPECT_EQ(tributary_reply(Refusal::bad_request, ""),
            "TRIBUTARY/1 REFUSED bad-request I don't understand you\r\n");

  auto ok = parse_handshake_reply(tributary_ok_reply({"zstd", "ack"}, 77) + "\x06\x00");
  ASSERT_TRUE(ok.ok() && ok->has_value());
  EXPECT_EQ((*ok)->kind, ReplyKind::tributary_ok);
  EXPECT_EQ((*ok)->tributary_version, 1U);
  EXPECT_EQ((*ok)->tributary_caps, (std::vector<std::string>{"zstd", "ack"}));
  EXPECT_EQ((*ok)->resume_seq, 77U);
  EXPECT_EQ((*ok)->consumed, tributary_ok_reply({"zstd", "ack"}, 77).size());

  auto none = parse_handshake_reply("TRIBUTARY/1 OK caps= resume=0 later=field\r\n");
  ASSERT_TRUE(none.ok() && none->has_value());
  EXPECT_TRUE((*none)->tributary_caps.empty());

  for (Refusal r : {Refusal::denied, Refusal::already_streaming, Refusal::localhost, Refusal::busy,
                    Refusal::forbidden, Refusal::bad_request}) {
    auto refused = parse_handshake_reply(tributary_reply(r, "why"));
    ASSERT_TRUE(refused.ok() && refused->has_value()) << refusal_code(r);
    EXPECT_EQ((*refused)->kind, ReplyKind::refused);
    EXPECT_EQ((*refused)->refusal, r);
    EXPECT_EQ((*refused)->detail, "why");

    auto netdata = parse_handshake_reply(netdata_reply(r));
    if (r == Refusal::bad_request) {
      EXPECT_FALSE(netdata.ok());  // an HTTP error page is not a handshake reply
    } else {
      ASSERT_TRUE(netdata.ok() && netdata->has_value()) << refusal_code(r);
      EXPECT_EQ((*netdata)->refusal, r);
      EXPECT_EQ((*netdata)->consumed, netdata_reply(r).size());
    }
  }
  auto future = parse_handshake_reply("TRIBUTARY/2 REFUSED maintenance back at 5\r\n");
  ASSERT_TRUE(future.ok() && future->has_value());
  EXPECT_EQ((*future)->refusal, Refusal::unknown);
  EXPECT_EQ((*future)->tributary_version, 2U);
  EXPECT_EQ((*future)->detail, "back at 5");
}

TEST(ReplyTest, PartialRepliesNeedMoreBytes) {
  const std::string ok = tributary_ok_reply({"zstd"}, 5);
  for (size_t n = 0; n < ok.size(); ++n) {
    auto partial = parse_handshake_reply(ok.substr(0, n));
    ASSERT_TRUE(partial.ok()) << n;
    EXPECT_FALSE(partial->has_value()) << n;
  }
  const std::string_view busy = netdata_reply(Refusal::busy);
  for (size_t n = 0; n < busy.size(); ++n) {
    auto partial = parse_handshake_reply(busy.substr(0, n));
    ASSERT_TRUE(partial.ok()) << n;
    EXPECT_FALSE(partial->has_value()) << n;
  }
  auto no_digits = parse_handshake_reply("Hit me baby, push them over with the version=");
  ASSERT_TRUE(no_digits.ok());
  EXPECT_FALSE(no_digits->has_value());
}

TEST(ReplyTest, VersionPromptMayBeFollowedByStreamBytes) {
  auto reply = parse_handshake_reply(
      "Hit me baby, push them over with the version=15296REPLAY_CHART \"system.cpu\"");
  ASSERT_TRUE(reply.ok() && reply->has_value());
  EXPECT_EQ((*reply)->netdata_caps, 15296U);
  EXPECT_EQ((*reply)->consumed, 50U);
}

TEST(ReplyTest, GarbageIsAnError) {
  for (const std::string& bad : std::vector<std::string>{
           std::string("HTTP/1.1 400 Bad Request\r\n\r\n"),
           std::string("Hit me baby, push them over with the version=x"),
           std::string("Hit me baby, push them over with the version=99999999999999999999999"),
           std::string("TRIBUTARY/x OK caps= resume=0\r\n"),
           std::string("TRIBUTARY/1 MAYBE\r\n"),
           std::string("TRIBUTARY/1 OK caps=zstd\r\n"),
           std::string("TRIBUTARY/1 OK resume=12x caps=\r\n"),
           std::string("TRIBUTARY/1 REFUSED\r\n"),
           std::string("TRIBUTARY/1 OK caps= resume=1") + std::string(2000, ' '),
           std::string("\0\0\0", 3),
       }) {
    auto reply = parse_handshake_reply(bad);
    EXPECT_FALSE(reply.ok()) << bad;
    if (!reply.ok()) {
      EXPECT_TRUE(reply.error().is(Errc::protocol_error));
    }
  }
}

TEST(GrantTest, IntersectsInOfferedOrder) {
  EXPECT_EQ(grant_tributary_caps({"ack", "future", "zstd", "ack"}, {"zstd", "ack"}),
            (std::vector<std::string>{"ack", "zstd"}));
  EXPECT_TRUE(grant_tributary_caps({}, {"zstd"}).empty());
}

TEST(HandshakeRequestTest, ThePathOfProxiesRoundTripsNearestFirst) {
  model::HostInfo host;
  host.machine_guid = "aaaaaaaa-0000-4000-8000-0000000000a1";
  host.hostname = "web-01";
  host.hops = 3;
  HandshakeRequest request = make_tributary_request("key", host, {"ack"});
  request.path = {"dmz-proxy", "edge proxy"};
  request.path_guids = {"bbbbbbbb-0000-4000-8000-0000000000b2",
                        "cccccccc-0000-4000-8000-0000000000c3"};
  const std::string bytes = build_handshake_request(request);
  EXPECT_NE(bytes.find("&path=dmz-proxy%2Cedge%20proxy&path_guids="), std::string::npos) << bytes;
  const auto parsed = parse_handshake_request(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  EXPECT_EQ(parsed->path, request.path);
  EXPECT_EQ(parsed->path_guids, request.path_guids);
  EXPECT_EQ(parsed->host.hops, 3);
  // A host streaming its own data sends no path.
  EXPECT_EQ(build_handshake_request(make_tributary_request("key", host, {"ack"})).find("path"),
            std::string::npos);
}

TEST(HandshakeRequestTest, APathWhoseListsDifferInLengthIsABadRequest) {
  const auto parsed = parse_handshake_request(
      "STREAM key=k&hostname=h&machine_guid=g&tributary=1&path=a%2Cb&path_guids=x "
      "HTTP/1.1\r\n\r\n");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("path names 2 proxies but path_guids 1"), std::string::npos)
      << parsed.error().message;
}

}  // namespace
}  // namespace trib::stream
