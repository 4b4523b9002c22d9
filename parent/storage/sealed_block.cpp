#include "parent/storage/sealed_block.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <utility>
#include <vector>

#include "common/stream/wire.h"

namespace trib::parent::storage {
namespace {

enum ValueCoding : uint8_t {
  kConstant = 0,
  kFloatPlanes = 1,
  kOrderedDeltas = 2,
  kScaledDeltas = 3,
  kFractions = 4,  // version 3 on
};

// Scales tried in this order (the smallest that fits gives the smallest integers): whole
// numbers, binary fractions (kB shown in MiB), decimals up to 1e-4 (loads, pressure).
constexpr std::array<double, 21> kScales = {1,    2,    4,    8,     10,    16,    32,
                                            64,   100,  128,  256,   512,   1000,  1024,
                                            2048, 4096, 8192, 10000, 16384, 32768, 65536};
constexpr double kMaxScaled = 9007199254740992.0;  // 2^53: integers a double holds exactly
constexpr int64_t kMaxInteger = int64_t{1} << 53;

Error corrupt(const std::string& what) { return Error(Errc::parse_error, "sample block: " + what); }

uint32_t zigzag32(uint32_t delta) {
  const auto d = static_cast<int32_t>(delta);
  return (static_cast<uint32_t>(d) << 1) ^ static_cast<uint32_t>(d >> 31);
}
uint32_t unzigzag32(uint32_t z) { return (z >> 1) ^ (0u - (z & 1)); }
uint64_t zigzag64(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t unzigzag64(uint64_t z) {
  return static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
}

// Float bit patterns as unsigned keys in the order of the values: a small move of the value is
// a small difference of keys, across zero too.
uint32_t order_key(uint32_t bits) { return (bits & 0x80000000u) != 0 ? ~bits : bits | 0x80000000u; }
uint32_t from_order_key(uint32_t key) {
  return (key & 0x80000000u) != 0 ? key ^ 0x80000000u : ~key;
}

void put_planes(std::span<const uint32_t> words, std::string& out) {
  const size_t n = words.size();
  const size_t at = out.size();
  out.resize(at + 4 * n);
  char* planes = out.data() + at;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t w = words[i];
    planes[i] = static_cast<char>(static_cast<uint8_t>(w >> 24));
    planes[n + i] = static_cast<char>(static_cast<uint8_t>(w >> 16));
    planes[2 * n + i] = static_cast<char>(static_cast<uint8_t>(w >> 8));
    planes[3 * n + i] = static_cast<char>(static_cast<uint8_t>(w));
  }
}

// c * log2(c) for the counts of a full block's planes, from a table: a log2 per byte value
// and candidate would cost more than the rest of the re-coding.
double count_log_count(uint32_t c) {
  static const std::vector<float> table = [] {
    std::vector<float> t(4 * 512 + 1, 0.0f);
    for (size_t i = 2; i < t.size(); ++i) {
      t[i] = static_cast<float>(static_cast<double>(i) * std::log2(static_cast<double>(i)));
    }
    return t;
  }();
  if (c < table.size()) return table[c];
  return static_cast<double>(c) * std::log2(static_cast<double>(c));
}

double entropy_of_counts(const std::array<uint32_t, 256>& counts, size_t n) {
  double bits = count_log_count(static_cast<uint32_t>(n));
  for (uint32_t c : counts) bits -= count_log_count(c);
  return bits;
}

// Bits the bytes would take under an order-0 entropy coder: how zstd's literal coding will fare.
double entropy_bits(std::string_view bytes) {
  std::array<uint32_t, 256> counts{};
  for (char c : bytes) ++counts[static_cast<uint8_t>(c)];
  return entropy_of_counts(counts, bytes.size());
}

// The same for the byte planes of `words` (order does not matter to an order-0 estimate).
double planes_entropy_bits(std::span<const uint32_t> words) {
  std::array<uint32_t, 256> counts{};
  for (uint32_t w : words) {
    ++counts[w >> 24];
    ++counts[(w >> 16) & 0xff];
    ++counts[(w >> 8) & 0xff];
    ++counts[w & 0xff];
  }
  return entropy_of_counts(counts, words.size() * 4);
}

// The index into kScales of the smallest scale at which every value is an integer that reads
// back as the same float, or -1.
int find_scale(std::span<const uint32_t> bits) {
  for (size_t s = 0; s < kScales.size(); ++s) {
    const double scale = kScales[s];
    bool fits = true;
    for (uint32_t b : bits) {
      const double scaled = static_cast<double>(std::bit_cast<float>(b)) * scale;
      if (!(std::fabs(scaled) < kMaxScaled)) {  // also NaN and infinities
        fits = false;
        break;
      }
      // What decoding makes of the integer (-0.0 stored as 0 would come back as +0.0).
      const auto n = static_cast<int64_t>(std::nearbyint(scaled));
      if (std::bit_cast<uint32_t>(static_cast<float>(static_cast<double>(n) / scale)) != b) {
        fits = false;
        break;
      }
    }
    if (fits) return static_cast<int>(s);
  }
  return -1;
}

void put_timestamps(std::span<const int64_t> times, std::string& out) {
  std::vector<std::pair<int64_t, uint64_t>> runs;  // (delta, length)
  for (size_t i = 1; i < times.size(); ++i) {
    const int64_t delta = times[i] - times[i - 1];
    if (!runs.empty() && runs.back().first == delta) {
      ++runs.back().second;
    } else {
      runs.emplace_back(delta, 1);
    }
  }
  stream::wire::put_zigzag(out, times[0]);
  stream::wire::put_varint(out, runs.size());
  for (const auto& [delta, length] : runs) {
    stream::wire::put_varint(out, static_cast<uint64_t>(delta));
    stream::wire::put_varint(out, length);
  }
}

// Into `deltas` (a buffer reused from block to block).
void ordered_deltas(std::span<const uint32_t> bits, std::vector<uint32_t>& deltas) {
  deltas.resize(bits.size());
  uint32_t previous = 0;
  for (size_t i = 0; i < bits.size(); ++i) {
    const uint32_t key = order_key(bits[i]);
    deltas[i] = zigzag32(key - previous);
    previous = key;
  }
}

void scaled_deltas(std::span<const uint32_t> bits, int scale_index, std::string& out) {
  out.clear();
  const double scale = kScales[static_cast<size_t>(scale_index)];
  int64_t previous = 0;
  for (uint32_t b : bits) {
    const auto n =
        static_cast<int64_t>(std::nearbyint(static_cast<double>(std::bit_cast<float>(b)) * scale));
    stream::wire::put_varint(out, zigzag64(n - previous));
    previous = n;
  }
}

// Fractions (coding 4): every value is (float)(n x K / d) for an integer n, a denominator d and
// one factor K per block: CPU percentages are 100 x jiffies / jiffies of the interval (K = 100,
// d around 100 per core), rates over a 2 s or 3 s step are halves and thirds (K = 1). The
// denominator of the previous sample is tried first, so a block's denominators are mostly
// repeats; a value no fraction gives back is stored as its bit pattern (an exception).
constexpr std::array<double, 2> kFactors = {1, 100};
constexpr uint64_t kMaxDenominator = 1 << 16;
constexpr size_t kMaxFractionBits = 20;   // per sample, probed: worse is left to the planes
constexpr uint64_t kMaxProbeStep = 1024;  // a larger step of d counts as a miss in the probe
// Fractions are coded in full only when the probe's bits per sample come under this share of
// the planes' entropy: on the recorded agent hour the blocks above it never took fractions, and
// trying them was a fifth of the sealing time.
constexpr double kFractionProbeShare = 0.75;
// 2^52: a bound on numerators (n x K / d is computed the same way when coding and decoding, and
// the coder checks that it gives the value back, so it need not be exact).
constexpr double kMaxNumerator = 4503599627370496.0;
constexpr uint8_t kNumeratorDeltas = 0x01;  // mode bit 0: n as differences, not as they are

float fraction_value(int64_t n, double factor, uint64_t d) {
  return static_cast<float>(static_cast<double>(n) * factor / static_cast<double>(d));
}

// A fraction of a block: the value is the float of n x K / d, moved by `correction` units in
// the last place (order keys): values computed another way (or printed with 7 decimals and read
// back, as in the agent-hour fixture) are a unit or two from the float of their fraction.
struct Fraction {
  int64_t n = 0;
  uint64_t d = 1;
  int32_t correction = 0;
};
constexpr int32_t kMaxCorrection = 3;
constexpr uint64_t kCorrections = 2 * kMaxCorrection + 1;  // zigzag(correction) < this

// The numerator that gives `bits` back (within kMaxCorrection) over denominator d, if one does.
bool fraction_over(uint32_t bits, double factor, uint64_t d, Fraction& f) {
  const double scaled =
      static_cast<double>(std::bit_cast<float>(bits)) * static_cast<double>(d) / factor;
  if (!(std::fabs(scaled) < kMaxNumerator)) return false;  // also NaN and infinities
  const auto n = static_cast<int64_t>(std::nearbyint(scaled));
  const uint32_t near = std::bit_cast<uint32_t>(fraction_value(n, factor, d));
  const auto correction = static_cast<int32_t>(order_key(bits) - order_key(near));
  if (correction < -kMaxCorrection || correction > kMaxCorrection) return false;
  f = Fraction{.n = n, .d = d, .correction = correction};
  return true;
}

// A fraction for `bits`: over the previous denominator when that fits, else the first
// convergent of the value's continued fraction that fits (the true n / d is one when d is small).
bool find_fraction(uint32_t bits, double factor, Fraction& f) {
  const uint64_t previous_d = f.d;
  if (fraction_over(bits, factor, previous_d, f)) return true;
  const double target = std::fabs(static_cast<double>(std::bit_cast<float>(bits))) / factor;
  if (!(target < kMaxNumerator)) return false;
  double x = target;
  uint64_t h_before = 0;  // the numerators of the two convergents before (h_-2, h_-1)
  uint64_t h = 1;
  uint64_t k_before = 1;  // and their denominators
  uint64_t k = 0;
  for (int step = 0; step < 24; ++step) {
    const double whole = std::floor(x);
    if (whole > static_cast<double>(kMaxDenominator)) return false;
    const auto a = static_cast<uint64_t>(whole);
    const uint64_t next = a * k + k_before;
    if (next > kMaxDenominator) return false;
    k_before = std::exchange(k, next);
    h_before = std::exchange(h, a * h + h_before);
    // Only a convergent within a few units in the last place can give the value back: the
    // exact test (a division and a rounding) is left for those.
    const double kd = static_cast<double>(k);
    const bool close = std::fabs(target * kd - static_cast<double>(h)) <= target * kd * 1e-6;
    if (close && fraction_over(bits, factor, k, f)) {
      // n / k in lowest terms; the multiple of k nearest the previous denominator keeps the
      // block's denominators steady (98.5 % of 201 jiffies is 66/67, stored as 198/201).
      const uint64_t multiple = (previous_d + k / 2) / k;
      if (multiple > 1 && multiple * k <= kMaxDenominator) {
        Fraction scaled;
        if (fraction_over(bits, factor, multiple * k, scaled)) f = scaled;
      }
      return true;
    }
    const double rest = x - whole;
    if (rest <= 0) return false;
    x = 1 / rest;
  }
  return false;
}

// How well a factor fits, probed on up to 16 samples spread over the block (cheap, so every
// block can be asked): the samples without a fraction, and the bits of the denominators' steps
// and of the numerators.
struct FractionFit {
  size_t misses = 0;
  size_t bits = 0;
  size_t probed = 0;
};
// Stops at more than `max_misses` misses: most blocks of noisy floats are done after 3 samples.
FractionFit fraction_fit(std::span<const uint32_t> bits, double factor, size_t max_misses) {
  const size_t step = bits.size() < 16 ? 1 : bits.size() / 16;
  FractionFit fit;
  Fraction f;
  for (size_t i = 0; i < bits.size() && fit.misses <= max_misses; i += step) {
    const uint64_t previous_d = f.d;
    ++fit.probed;
    // A jump of the denominator by thousands is how noise fits (some n / d with a large d is
    // within a unit in the last place of almost any float): a miss, so noise stops the probe.
    if (!find_fraction(bits[i], factor, f) || f.d > previous_d + kMaxProbeStep ||
        previous_d > f.d + kMaxProbeStep) {
      ++fit.misses;
      f.d = previous_d;
    } else {
      fit.bits += static_cast<size_t>(
          std::bit_width(zigzag64(static_cast<int64_t>(f.d) - static_cast<int64_t>(previous_d))) +
          std::bit_width(zigzag64(f.n)));
    }
  }
  return fit;
}

// The coding 4 bytes (after the coding byte): u8 mode (bit 0 numerator differences, bits 1-7
// the index into kFactors) | varint size + codes, one per sample (varint: 0 an exception, else
// 1 + zigzag(d - previous d) x 7 + zigzag(correction), the first d against 1) | varint size +
// numerators (zigzag varint, as they are or minus the previous one) | the exceptions' bit
// patterns, u32 LE each.
std::string fractions(std::span<const uint32_t> bits, uint8_t factor_index) {
  const double factor = kFactors[factor_index];
  std::string codes;
  std::vector<int64_t> numerators;
  numerators.reserve(bits.size());
  std::string exceptions;
  uint64_t raw_bytes = 0;
  uint64_t delta_bytes = 0;
  int64_t previous_n = 0;
  Fraction f;
  for (uint32_t b : bits) {
    const uint64_t previous_d = f.d;
    if (!find_fraction(b, factor, f)) {
      // Exceptions cost their 4 bytes and more (a probe was lucky): other codings will win.
      if (exceptions.size() >= bits.size() / 2) return {};
      f.d = previous_d;
      codes.push_back('\0');
      stream::wire::put_u32_le(exceptions, b);
      continue;
    }
    const uint64_t d_step = zigzag64(static_cast<int64_t>(f.d) - static_cast<int64_t>(previous_d));
    stream::wire::put_varint(
        codes, 1 + d_step * kCorrections + zigzag32(static_cast<uint32_t>(f.correction)));
    raw_bytes += std::bit_width(zigzag64(f.n)) / 7 + 1;
    delta_bytes += std::bit_width(zigzag64(f.n - previous_n)) / 7 + 1;
    previous_n = f.n;
    numerators.push_back(f.n);
  }
  const bool deltas = delta_bytes < raw_bytes;
  std::string values;
  previous_n = 0;
  for (int64_t n : numerators) {
    stream::wire::put_varint(values, zigzag64(deltas ? n - previous_n : n));
    previous_n = n;
  }
  std::string out;
  out.push_back(static_cast<char>((factor_index << 1) | (deltas ? kNumeratorDeltas : 0)));
  stream::wire::put_varint(out, codes.size());
  out += codes;
  stream::wire::put_varint(out, values.size());
  out += values;
  out += exceptions;
  return out;
}

// The fractions coding with the factor that fits the block best (fewest misses, then the
// fewest bits), or "" when neither fits well.
std::string best_fractions(std::span<const uint32_t> bits, double max_bits) {
  int best = -1;
  FractionFit best_fit{.misses = 3, .bits = 0};  // over 2 misses in 16: not worth it
  for (size_t f = 0; f < kFactors.size(); ++f) {
    const FractionFit fit = fraction_fit(bits, kFactors[f], best_fit.misses);
    // Noise fits too (some n / d with a large d is within a unit in the last place of almost
    // any float), at the cost of more bits than the float planes: 20 bits a sample or more.
    if (static_cast<double>(fit.bits) >= max_bits * static_cast<double>(fit.probed - fit.misses)) {
      continue;
    }
    if (fit.misses < best_fit.misses ||
        (fit.misses == best_fit.misses && fit.bits < best_fit.bits)) {
      best_fit = fit;
      best = static_cast<int>(f);
    }
  }
  return best < 0 ? std::string() : fractions(bits, static_cast<uint8_t>(best));
}

bool all_equal(std::span<const uint32_t> bits) {
  for (uint32_t b : bits) {
    if (b != bits[0]) return false;
  }
  return true;
}

Status decode_fractions(std::string_view rest, uint64_t count, DecodedBlock& out) {
  stream::wire::Reader in(rest, 0);
  const uint8_t mode = in.u8("fractions mode");
  if (!in.ok()) return corrupt(in.error()->message);
  const size_t factor_index = mode >> 1;
  if (factor_index >= kFactors.size()) return corrupt("unknown fraction factor");
  const double factor = kFactors[factor_index];
  const bool deltas = (mode & kNumeratorDeltas) != 0;
  const uint64_t d_size = in.varint("denominators size");
  if (!in.ok() || d_size > in.remaining()) return corrupt("denominators: wrong size");
  const std::string_view d_bytes = rest.substr(rest.size() - in.remaining(), d_size);
  stream::wire::Reader rest_in(rest.substr(rest.size() - in.remaining() + d_size), 0);
  const uint64_t n_size = rest_in.varint("numerators size");
  if (!rest_in.ok() || n_size > rest_in.remaining()) return corrupt("numerators: wrong size");
  const size_t n_at = rest.size() - rest_in.remaining();
  stream::wire::Reader denominators(d_bytes, 0);
  stream::wire::Reader numerators(rest.substr(n_at, n_size), 0);
  std::string_view exceptions = rest.substr(n_at + n_size);
  int64_t d = 1;
  int64_t n = 0;
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t code = denominators.varint("denominator");
    if (!denominators.ok()) return corrupt(denominators.error()->message);
    if (code == 0) {
      if (exceptions.size() < 4) return corrupt("exceptions: too few");
      out.values.push_back(
          static_cast<double>(std::bit_cast<float>(stream::wire::get_u32_le(exceptions.data()))));
      exceptions.remove_prefix(4);
      continue;
    }
    if (code > 2 * kMaxDenominator * kCorrections) return corrupt("denominator out of range");
    d += unzigzag64((code - 1) / kCorrections);
    if (d < 1 || d > static_cast<int64_t>(kMaxDenominator)) {
      return corrupt("denominator out of range");
    }
    const uint32_t correction = unzigzag32(static_cast<uint32_t>((code - 1) % kCorrections));
    const uint64_t z = numerators.varint("numerator");
    if (!numerators.ok()) return corrupt(numerators.error()->message);
    const int64_t step = unzigzag64(z);
    if (deltas ? __builtin_add_overflow(n, step, &n) : (n = step, false)) {
      return corrupt("numerator out of range");
    }
    if (n >= static_cast<int64_t>(kMaxNumerator) || n <= -static_cast<int64_t>(kMaxNumerator)) {
      return corrupt("numerator out of range");
    }
    const uint32_t near =
        std::bit_cast<uint32_t>(fraction_value(n, factor, static_cast<uint64_t>(d)));
    out.values.push_back(
        static_cast<double>(std::bit_cast<float>(from_order_key(order_key(near) + correction))));
  }
  if (!denominators.at_end() || !numerators.at_end() || !exceptions.empty()) {
    return corrupt("trailing bytes after the last sample");
  }
  return ok_status();
}

}  // namespace

void encode_sealed_payload(std::span<const int64_t> times, std::span<const uint32_t> bits,
                           std::string& out) {
  put_timestamps(times, out);
  if (all_equal(bits)) {
    out.push_back(static_cast<char>(kConstant));
    stream::wire::put_u32_le(out, bits[0]);
    return;
  }
  const int scale = find_scale(bits);
  thread_local std::string scaled;  // buffers reused from block to block
  if (scale >= 0) scaled_deltas(bits, scale, scaled);
  // Scaled differences of two bytes or less per sample: the planes rarely do better, and
  // estimating them would double the cost of sealing (integers are common: counts, loadgen).
  auto put_scaled = [&] {
    out.push_back(static_cast<char>(kScaledDeltas));
    out.push_back(static_cast<char>(scale));
    out += scaled;
  };
  if (scale >= 0 && scaled.size() <= 2 * bits.size()) return put_scaled();

  thread_local std::vector<uint32_t> deltas;
  ordered_deltas(bits, deltas);
  const double planes_cost = planes_entropy_bits(bits);
  const double deltas_cost = planes_entropy_bits(deltas);
  const double best_planes = std::min(planes_cost, deltas_cost);
  const double scaled_cost = scale >= 0 ? entropy_bits(scaled) : best_planes + 1;
  // Fractions are tried only where the scaled integers do not fit (their denominator would be
  // the scale throughout, and the scaled differences already cover that), and only when a probe
  // says they take fewer bits than the planes.
  const double planes_bits = best_planes / static_cast<double>(bits.size());
  const std::string fraction =
      scale >= 0 ? std::string()
                 : best_fractions(
                       bits, std::min<double>(kMaxFractionBits, kFractionProbeShare * planes_bits));
  const double fraction_cost = fraction.empty() ? best_planes + 1 : entropy_bits(fraction);
  if (fraction_cost < std::min(best_planes, scaled_cost)) {
    out.push_back(static_cast<char>(kFractions));
    out += fraction;
    return;
  }
  if (scaled_cost < best_planes) return put_scaled();
  const bool use_deltas = deltas_cost < planes_cost;
  out.push_back(static_cast<char>(use_deltas ? kOrderedDeltas : kFloatPlanes));
  put_planes(use_deltas ? std::span<const uint32_t>(deltas) : bits, out);
}

Status decode_sealed_payload(std::string_view payload, uint64_t count, uint8_t version,
                             DecodedBlock& out) {
  stream::wire::Reader in(payload, 0);
  int64_t t = in.zigzag("first timestamp");
  const uint64_t runs = in.varint("timestamp runs");
  if (!in.ok()) return corrupt(in.error()->message);
  if (runs > count - 1) return corrupt("more timestamp runs than samples");
  out.timestamps.push_back(t);
  for (uint64_t r = 0; r < runs; ++r) {
    const uint64_t delta = in.varint("timestamp delta");
    const uint64_t length = in.varint("run length");
    if (!in.ok()) return corrupt(in.error()->message);
    if (delta == 0 || delta > static_cast<uint64_t>(INT64_MAX)) {
      return corrupt("timestamps do not increase");
    }
    // An open block (version 1) keeps its first step in 32 bits: no block ever had a longer one.
    if (r == 0 && delta > UINT32_MAX) return corrupt("first timestamp step out of range");
    if (length == 0 || length > count - out.timestamps.size()) {
      return corrupt("timestamp runs do not add up to the sample count");
    }
    for (uint64_t i = 0; i < length; ++i) {
      if (__builtin_add_overflow(t, static_cast<int64_t>(delta), &t)) {
        return corrupt("timestamp out of range");
      }
      out.timestamps.push_back(t);
    }
  }
  if (out.timestamps.size() != count) {
    return corrupt("timestamp runs do not add up to the sample count");
  }

  const uint8_t coding = in.u8("value coding");
  if (!in.ok()) return corrupt(in.error()->message);
  std::string_view rest = payload.substr(payload.size() - in.remaining());
  auto push = [&](uint32_t bits) {
    out.values.push_back(static_cast<double>(std::bit_cast<float>(bits)));
  };
  switch (coding) {
    case kConstant: {
      if (rest.size() != 4) return corrupt("constant value: expected 4 bytes");
      const uint32_t bits = stream::wire::get_u32_le(rest.data());
      for (uint64_t i = 0; i < count; ++i) push(bits);
      return ok_status();
    }
    case kFloatPlanes:
    case kOrderedDeltas: {
      if (rest.size() != count * 4) return corrupt("value planes: wrong size");
      uint32_t key = 0;
      for (uint64_t i = 0; i < count; ++i) {
        uint32_t word = 0;
        for (uint64_t plane = 0; plane < 4; ++plane) {
          word = (word << 8) | static_cast<uint8_t>(rest[plane * count + i]);
        }
        if (coding == kFloatPlanes) {
          push(word);
        } else {
          key += unzigzag32(word);
          push(from_order_key(key));
        }
      }
      return ok_status();
    }
    case kScaledDeltas: {
      stream::wire::Reader values(rest, 0);
      const uint8_t index = values.u8("scale");
      if (!values.ok() || index >= kScales.size()) return corrupt("unknown scale");
      const double scale = kScales[index];
      int64_t n = 0;
      for (uint64_t i = 0; i < count; ++i) {
        const uint64_t z = values.varint("scaled delta");
        if (!values.ok()) return corrupt(values.error()->message);
        if (__builtin_add_overflow(n, unzigzag64(z), &n) || n > kMaxInteger || n < -kMaxInteger) {
          return corrupt("scaled value out of range");
        }
        push(std::bit_cast<uint32_t>(static_cast<float>(static_cast<double>(n) / scale)));
      }
      if (!values.at_end()) return corrupt("trailing bytes after the last sample");
      return ok_status();
    }
    case kFractions:
      if (version < 3) break;
      return decode_fractions(rest, count, out);
    default:
      break;
  }
  return corrupt("unknown value coding " + std::to_string(coding));
}

}  // namespace trib::parent::storage
