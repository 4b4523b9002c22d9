#pragma once
// GET /host/<h>/api/v1/logs?source=&after=&before=&q=&regex=&limit=&cursor=
//
//   {"records":[{"time":<Unix ms>,"source":"/var/log/app.log","generation":1,"offset":0,
//                "line":"...","attributes":{...}}],
//    "gaps":[{"source":...,"generation":...,"from":...,"to":...,"reason":"..."}],
//    "next_cursor":"..."}
//
// Oldest first. `after`/`before`: Unix seconds, or negative seconds relative to now; `q` a
// substring, `regex` an RE2 pattern (searched, not anchored); `limit` 1..10000 (default 1000);
// an empty `cursor` starts at the beginning, and `next_cursor` continues (also later, for new
// records). A piece of a line split at max_line_bytes has the attribute `_split: continues`, a
// last line sent without its newline `_unterminated: true`. Runs on the parent's I/O loop.

#include <cstdint>

#include "common/http/url.h"
#include "parent/store/log_store.h"

namespace trib::parent::query {

struct ApiResponse;

ApiResponse logs_endpoint(store::LogStore* store, std::string_view machine_guid,
                          const http::QueryParams& query, int64_t now_s);

// GET /host/<h>/api/v1/gaps?after=&before=&limit=
//
//   {"metric_gaps":[{"from":<Unix s>,"to":<Unix s>,"time":<Unix ms>,"reason":"proxy spool full"}]}
//
// Seconds [from, to) of the host's samples that will never arrive (a proxy's full spool dropped
// them, docs/protocol.md §4.3), oldest first, those overlapping [after, before) (Unix seconds, or
// negative seconds relative to now); `limit` 1..10000 (default 1000). Log byte ranges that will
// never arrive are the `gaps` of /api/v1/logs.
ApiResponse gaps_endpoint(store::LogStore* store, std::string_view machine_guid,
                          const http::QueryParams& query, int64_t now_s);

}  // namespace trib::parent::query
