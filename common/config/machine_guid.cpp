#include "common/config/machine_guid.h"

#include <fmt/format.h>
#include <sys/random.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/base/atomic_file.h"

namespace trib::config {
namespace {

constexpr std::string_view kFileName = "machine.guid";

Error errno_error(std::string_view what, const std::string& path) {
  const int e = errno;
  return Error(std::error_code(e, std::generic_category()),
               fmt::format("{} {}: {}", what, path, std::strerror(e)));
}

std::string trimmed_lower(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Result<std::string> create_machine_guid(const std::string& data_dir, const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return Error(ec, fmt::format("cannot create directory {}: {}", data_dir, ec.message()));
  }
  TRIB_ASSIGN_OR_RETURN(std::string guid, generate_guid());
  TRIB_TRY(write_file_atomically(path, guid + "\n"));
  return guid;
}

}  // namespace

bool is_guid(std::string_view text) {
  static constexpr std::array<size_t, 4> kDashes{8, 13, 18, 23};
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash_here = i == kDashes[0] || i == kDashes[1] || i == kDashes[2] || i == kDashes[3];
    if (dash_here ? text[i] != '-' : std::isxdigit(static_cast<unsigned char>(text[i])) == 0) {
      return false;
    }
  }
  return true;
}

bool same_guid(std::string_view a, std::string_view b) {
  if (!is_guid(a) || !is_guid(b)) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

Result<std::string> generate_guid() {
  // The kernel's CSPRNG: blocks only until it is seeded at boot, never fails short for 16 bytes.
  std::array<unsigned char, 16> b{};
  ssize_t got = -1;
  do {
    got = ::getrandom(b.data(), b.size(), 0);
  } while (got < 0 && errno == EINTR);
  if (got != static_cast<ssize_t>(b.size())) {
    return Error(std::error_code(errno, std::generic_category()),
                 "cannot generate a GUID: getrandom() failed");
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return fmt::format(
      "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-"
      "{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
      b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
      b[15]);
}

Result<std::string> load_or_create_machine_guid(const std::string& data_dir) {
  const std::string path = (std::filesystem::path(data_dir) / kFileName).string();
  std::ifstream in(path);
  if (!in) {
    if (errno != ENOENT) return errno_error("cannot open", path);
    return create_machine_guid(data_dir, path);
  }
  std::ostringstream text;
  text << in.rdbuf();
  const std::string guid = trimmed_lower(text.str());
  if (!is_guid(guid)) {
    return Error(Errc::config_error,
                 fmt::format("{} does not hold a machine GUID (8-4-4-4-12 hex digits); fix or "
                             "remove it (removing gives this host a new identity)",
                             path));
  }
  return guid;
}

}  // namespace trib::config
