// Fuzzes the line splitter with arbitrary file bytes fed in arbitrary chunks: offsets must
// account for every byte, and no piece may exceed max_line_bytes.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/logs/line_splitter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trib::agent::logs;
  if (size < 2) return 0;
  const size_t max_line = 1 + data[0] % 64;
  const size_t chunk = 1 + data[1] % 32;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 2, size - 2);
  LineSplitter splitter(max_line, 100);
  uint64_t next_offset = 100;
  const auto sink = [&](const Line& line) {
    if (line.text.size() > max_line || line.offset < next_offset) std::abort();
    next_offset = line.offset + line.text.size();
  };
  while (!bytes.empty()) {
    const std::string_view piece = bytes.substr(0, chunk);
    splitter.feed(piece, sink);
    bytes.remove_prefix(piece.size());
  }
  splitter.flush(sink);
  if (splitter.consumed() != 100 + size - 2) std::abort();
  return 0;
}
