#include "common/http/request_parser.h"

#include <gtest/gtest.h>

namespace trib::http {
namespace {

using Kind = RequestParser::Step::Kind;

// Feeds `bytes` in pieces of `piece` bytes; returns the requests and the final step.
struct Fed {
  std::vector<HttpRequest> requests;
  RequestParser::Step last;
};

Fed feed(RequestParser& parser, std::string bytes, size_t piece = 0) {
  Fed out;
  std::string pending;
  size_t offset = 0;
  while (offset < bytes.size() || !pending.empty()) {
    if (offset < bytes.size()) {
      const size_t n = piece == 0 ? bytes.size() : std::min(piece, bytes.size() - offset);
      pending += bytes.substr(offset, n);
      offset += n;
    }
    for (;;) {
      out.last = parser.parse(pending);
      pending.erase(0, out.last.consumed);
      if (out.last.kind != Kind::request) break;
      out.requests.push_back(parser.take_request());
    }
    if (out.last.kind == Kind::error) break;
    if (offset >= bytes.size() && out.last.kind == Kind::need_more) break;
  }
  return out;
}

TEST(RequestParserTest, ParsesARequestFedOneByteAtATime) {
  RequestParser parser{HttpLimits{}};
  const std::string raw =
      "GET /api/v1/data%20x?chart=system.cpu&after=-60&name=a+b HTTP/1.1\r\n"
      "Host: h\r\nX-Long-Header-Name: some value\r\n\r\n";
  for (size_t piece : {size_t{0}, size_t{1}, size_t{7}}) {
    RequestParser p{HttpLimits{}};
    auto fed = feed(p, raw, piece);
    ASSERT_EQ(fed.requests.size(), 1u) << "piece " << piece;
    const auto& r = fed.requests[0];
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.target, "/api/v1/data%20x?chart=system.cpu&after=-60&name=a+b");
    EXPECT_EQ(r.path, "/api/v1/data x");
    ASSERT_EQ(r.query.size(), 3u);
    EXPECT_EQ(*find_param(r.query, "after"), "-60");
    EXPECT_EQ(*find_param(r.query, "name"), "a b");
    ASSERT_NE(r.header("x-long-header-name"), nullptr);
    EXPECT_EQ(*r.header("X-Long-Header-Name"), "some value");
    EXPECT_EQ(r.headers.size(), 2u);
    EXPECT_TRUE(r.keep_alive);
    EXPECT_EQ(fed.last.kind, Kind::need_more);
    EXPECT_EQ(p.phase(), RequestParser::Phase::idle);
  }
}

TEST(RequestParserTest, StopsAfterEachPipelinedRequest) {
  RequestParser parser{HttpLimits{}};
  const std::string two = "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n";
  auto step = parser.parse(two);
  ASSERT_EQ(step.kind, Kind::request);
  EXPECT_EQ(step.consumed, two.size() / 2);
  EXPECT_EQ(parser.take_request().path, "/1");
  step = parser.parse(std::string_view(two).substr(step.consumed));
  ASSERT_EQ(step.kind, Kind::request);
  EXPECT_EQ(parser.take_request().path, "/2");
}

TEST(RequestParserTest, DechunksBodies) {
  RequestParser parser{HttpLimits{}};
  auto fed = feed(parser,
                  "POST /in HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\n",
                  3);
  ASSERT_EQ(fed.requests.size(), 1u);
  EXPECT_EQ(fed.requests[0].body, "hello, world");
}

TEST(RequestParserTest, ReadsContentLengthBodies) {
  RequestParser parser{HttpLimits{}};
  auto fed = feed(parser, "PUT /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n\r\n");
  ASSERT_EQ(fed.requests.size(), 2u);
  EXPECT_EQ(fed.requests[0].body, "abc");
  EXPECT_EQ(fed.requests[1].method, "GET");
}

TEST(RequestParserTest, KeepAliveFollowsVersionAndConnection) {
  auto keep = [](const std::string& raw) {
    RequestParser p{HttpLimits{}};
    auto fed = feed(p, raw);
    EXPECT_EQ(fed.requests.size(), 1u);
    return !fed.requests.empty() && fed.requests[0].keep_alive;
  };
  EXPECT_TRUE(keep("GET / HTTP/1.1\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(keep("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"));
}

TEST(RequestParserTest, AbsoluteFormAndAsteriskTargets) {
  RequestParser p1{HttpLimits{}};
  auto a = feed(p1, "GET http://example.org:8080/a/b?c=d HTTP/1.1\r\n\r\n");
  ASSERT_EQ(a.requests.size(), 1u);
  EXPECT_EQ(a.requests[0].path, "/a/b");
  EXPECT_EQ(*find_param(a.requests[0].query, "c"), "d");
  RequestParser p2{HttpLimits{}};
  auto b = feed(p2, "OPTIONS * HTTP/1.1\r\n\r\n");
  ASSERT_EQ(b.requests.size(), 1u);
  EXPECT_EQ(b.requests[0].path, "*");
}

TEST(RequestParserTest, GarbageIsA400AndStaysAnError) {
  RequestParser parser{HttpLimits{}};
  auto step = parser.parse("HELLO THERE\r\n\r\n");
  ASSERT_EQ(step.kind, Kind::error);
  EXPECT_EQ(step.status, 400);
  EXPECT_FALSE(step.reason.empty());
  EXPECT_EQ(parser.parse("GET / HTTP/1.1\r\n\r\n").kind, Kind::error);
}

TEST(RequestParserTest, BadEscapeInPathIsA400) {
  RequestParser parser{HttpLimits{}};
  auto fed = feed(parser, "GET /a%G1 HTTP/1.1\r\n\r\n");
  EXPECT_EQ(fed.last.kind, Kind::error);
  EXPECT_EQ(fed.last.status, 400);
}

TEST(RequestParserTest, BothLengthAndChunkedIsRefused) {
  RequestParser parser{HttpLimits{}};
  auto fed = feed(parser,
                  "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "0\r\n\r\n");
  EXPECT_EQ(fed.last.kind, Kind::error);
  EXPECT_EQ(fed.last.status, 400);
}

TEST(RequestParserTest, OversizedHeadIs431AndLongTargetIs414) {
  HttpLimits limits;
  limits.max_head_bytes = 256;
  RequestParser p1{limits};
  auto big = feed(p1, "GET / HTTP/1.1\r\nX-Big: " + std::string(300, 'a') + "\r\n\r\n", 50);
  EXPECT_EQ(big.last.kind, Kind::error);
  EXPECT_EQ(big.last.status, 431);
  RequestParser p2{limits};
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 60; ++i) many += "A: b\r\n";
  auto lots = feed(p2, many + "\r\n");
  EXPECT_EQ(lots.last.status, 431);
  RequestParser p3{limits};
  auto url = feed(p3, "GET /" + std::string(300, 'u') + " HTTP/1.1\r\n\r\n");
  EXPECT_EQ(url.last.status, 414);
  RequestParser p4{limits};
  auto fits = feed(p4, "GET / HTTP/1.1\r\nX-Big: " + std::string(150, 'a') + "\r\n\r\n");
  EXPECT_EQ(fits.requests.size(), 1u);
}

TEST(RequestParserTest, OversizedBodyIs413DeclaredOrChunked) {
  HttpLimits limits;
  limits.max_body_bytes = 10;
  RequestParser p1{limits};
  auto declared = p1.parse("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n");
  EXPECT_EQ(declared.kind, Kind::error);
  EXPECT_EQ(declared.status, 413);
  RequestParser p2{limits};
  auto chunked = feed(p2,
                      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "6\r\n123456\r\n6\r\n123456\r\n0\r\n\r\n");
  EXPECT_EQ(chunked.last.kind, Kind::error);
  EXPECT_EQ(chunked.last.status, 413);
  RequestParser p3{limits};
  auto exact = feed(p3, "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789");
  ASSERT_EQ(exact.requests.size(), 1u);
}

TEST(RequestParserTest, ExpectContinueIsReportedOnceBeforeTheBody) {
  RequestParser parser{HttpLimits{}};
  auto head = parser.parse("POST / HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(head.kind, Kind::need_more);
  EXPECT_TRUE(head.send_continue);
  EXPECT_EQ(parser.phase(), RequestParser::Phase::body);
  auto part = parser.parse("a");
  EXPECT_FALSE(part.send_continue);
  ASSERT_EQ(parser.parse("bc").kind, Kind::request);
  EXPECT_EQ(parser.take_request().body, "abc");
}

TEST(RequestParserTest, PhaseTracksHeadAndBody) {
  RequestParser parser{HttpLimits{}};
  EXPECT_EQ(parser.phase(), RequestParser::Phase::idle);
  (void)parser.parse("GET / HT");
  EXPECT_EQ(parser.phase(), RequestParser::Phase::head);
}

TEST(RequestParserTest, UnsupportedMajorVersionIs505) {
  RequestParser parser{HttpLimits{}};
  auto step = parser.parse("GET / HTTP/2.0\r\n\r\n");
  EXPECT_EQ(step.kind, Kind::error);
  EXPECT_EQ(step.status, 505);
}

}  // namespace
}  // namespace trib::http
