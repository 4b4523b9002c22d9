#pragma once
// Renders a QueryResult the way Netdata 1.37's formatters do: json (web/api/formatters/json),
// csv (formatters/csv, CRLF line ends) and the jsonwrap envelope (formatters/json_wrapper.c).
// Hand-written with std::to_chars: /api/v1/data is the hot endpoint.
// Pure functions: any thread.

#include <string>
#include <string_view>

#include "parent/query/data_query.h"
#include "parent/query/data_request.h"
#include "parent/store/chart.h"

namespace trib::parent::query {

// Netdata's number style: integers without a fraction, others with at most 7 decimals and no
// trailing zeros; NaN and infinities as null.
void append_number(std::string& out, double value);
// A JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view text);

// {"labels": ["time", names...], "data": [[t, v, ...], ...]}; newest row first unless flip.
void format_json(const QueryResult& result, const DataOptions& options, std::string& out);
// "time,name1,name2\r\n" then one line per row, newest first unless flip; times as local
// "YYYY-MM-DD HH:MM:SS" unless options seconds/ms.
void format_csv(const QueryResult& result, const DataOptions& options, std::string& out);
// The whole response body for `request`: the plain format, or the jsonwrap envelope around it.
std::string format_data_response(const store::Chart& chart, const DataRequest& request,
                                 const QueryResult& result);

}  // namespace trib::parent::query
