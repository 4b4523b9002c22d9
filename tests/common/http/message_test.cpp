#include "common/http/message.h"

#include <gtest/gtest.h>

#include "common/http/server.h"
#include "trib_version.h"

namespace trib::http {
namespace {

TEST(HeadersTest, LookupIgnoresCaseAndSetReplacesEveryCopy) {
  Headers h;
  h.add("Content-Type", "text/plain");
  h.add("X-Thing", "1");
  h.add("x-thing", "2");
  ASSERT_NE(h.get("content-type"), nullptr);
  EXPECT_EQ(*h.get("CONTENT-TYPE"), "text/plain");
  EXPECT_EQ(*h.get("X-THING"), "1");
  h.set("X-Thing", "3");
  EXPECT_EQ(h.size(), 2u);
  EXPECT_EQ(*h.get("x-thing"), "3");
  h.remove("X-THING");
  EXPECT_FALSE(h.has("x-thing"));
  EXPECT_EQ(h.get("Missing"), nullptr);
}

TEST(HeadersTest, TokenListsMatchWholeTokens) {
  EXPECT_TRUE(has_token("keep-alive, Upgrade", "upgrade"));
  EXPECT_TRUE(has_token(" close ", "close"));
  EXPECT_FALSE(has_token("closed", "close"));
  EXPECT_FALSE(has_token("", "close"));
}

TEST(MessageTest, FactoriesSetContentType) {
  auto j = HttpResponse::json(201, "{}");
  EXPECT_EQ(j.status, 201);
  EXPECT_EQ(*j.headers.get("content-type"), "application/json");
  auto t = HttpResponse::text(404, "no");
  EXPECT_EQ(*t.headers.get("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(599), "Unknown");
}

TEST(MessageTest, HttpDateIsImfFixdate) {
  EXPECT_EQ(http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(SerializeResponseTest, AddsFramingDateServerAndKeepsHandlerHeaders) {
  auto r = HttpResponse::text(200, "hello");
  r.headers.set("Content-Length", "999");  // the server frames, not the handler
  r.headers.set("X-Id", "7");
  const auto out = serialize_response(r, false, 1, false, 784111777);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nX-Id: 7\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: tributary/" +
                std::string(kVersion) + "\r\nContent-Length: 5\r\n\r\nhello");
}

TEST(SerializeResponseTest, HeadOmitsBodyButKeepsLength) {
  const auto out = serialize_response(HttpResponse::text(200, "hello"), true, 1, false, 0);
  EXPECT_NE(out.find("Content-Length: 5\r\n"), std::string::npos);
  EXPECT_TRUE(out.ends_with("\r\n\r\n"));
}

TEST(SerializeResponseTest, NoContentHasNoLengthNorBody) {
  HttpResponse r;
  r.status = 204;
  r.body = "ignored";
  const auto out = serialize_response(r, false, 1, false, 0);
  EXPECT_EQ(out.find("Content-Length"), std::string::npos);
  EXPECT_TRUE(out.ends_with("\r\n\r\n"));
}

TEST(SerializeResponseTest, ConnectionHeaderFollowsVersionAndClose) {
  const auto r = HttpResponse::text(200, "");
  EXPECT_NE(serialize_response(r, false, 1, true, 0).find("Connection: close\r\n"),
            std::string::npos);
  EXPECT_NE(serialize_response(r, false, 0, false, 0).find("Connection: keep-alive\r\n"),
            std::string::npos);
  EXPECT_EQ(serialize_response(r, false, 1, false, 0).find("Connection:"), std::string::npos);
}

TEST(SerializeResponseTest, HeaderValuesCannotStartNewLines) {
  auto r = HttpResponse::text(200, "");
  r.headers.set("Content-Disposition", "attachment\r\nSet-Cookie: x=1");
  const auto out = serialize_response(r, false, 1, false, 0);
  EXPECT_EQ(out.find("\r\nSet-Cookie"), std::string::npos);
  EXPECT_NE(out.find("Content-Disposition: attachment  Set-Cookie: x=1\r\n"), std::string::npos);
}

}  // namespace
}  // namespace trib::http
