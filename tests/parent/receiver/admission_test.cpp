#include "parent/receiver/admission.h"

#include <gtest/gtest.h>

namespace trib::parent::receiver {
namespace {

constexpr const char* kKey = "11111111-2222-3333-4444-555555555555";
constexpr const char* kMaskedKey = "11111111-****";
constexpr const char* kGuid = "aaaaaaaa-0000-4000-8000-0000000000a1";
constexpr const char* kParentGuid = "bbbbbbbb-0000-4000-8000-0000000000b2";
constexpr const char* kIp = "10.1.2.3";

stream::HandshakeRequest request() {
  stream::HandshakeRequest r;
  r.api_key = kKey;
  r.host.hostname = "child";
  r.host.machine_guid = kGuid;
  r.tributary = true;
  return r;
}

config::KeyPolicy enabled_key() {
  config::KeyPolicy key;
  key.enabled = true;
  return key;
}

config::StreamConf conf_with(config::KeyPolicy key) {
  config::StreamConf conf;
  conf.keys[kKey] = std::move(key);
  return conf;
}

config::StreamConf conf_with(config::KeyPolicy key, config::MachinePolicy machine) {
  config::StreamConf conf = conf_with(std::move(key));
  conf.machines[kGuid] = std::move(machine);
  return conf;
}

Refused refused(const AdmissionResult& result) {
  EXPECT_TRUE(std::holds_alternative<Refused>(result)) << "admitted";
  return std::holds_alternative<Refused>(result) ? std::get<Refused>(result) : Refused{};
}

Admitted admitted(const AdmissionResult& result) {
  if (const auto* r = std::get_if<Refused>(&result)) {
    ADD_FAILURE() << "refused: " << r->access_tag << ": " << r->reason;
    return {};
  }
  return std::get<Admitted>(result);
}

// The key appears masked wherever it appears at all.
void expect_key_masked(const Refused& r) {
  EXPECT_EQ(r.reason.find(kKey), std::string::npos) << r.reason;
  EXPECT_EQ(r.access_tag.find(kKey), std::string::npos) << r.access_tag;
}

struct Case {
  const char* name;
  std::function<void(stream::HandshakeRequest&, config::StreamConf&)> setup;
  const char* tag;
  const char* reason;  // the whole error-log text
  stream::Refusal refusal = stream::Refusal::denied;
};

// In Netdata's order: each case breaks one rule on a request that passes every earlier one (and
// also breaks every later one where that is possible, so the order itself is tested).
std::vector<Case> cases() {
  return {
      {"no key",
       [](auto& r, auto&) {
         r.api_key.clear();
         r.host.hostname.clear();
       },
       "ACCESS DENIED - NO KEY", "request without an API key. Forbidding access."},
      {"no hostname",
       [](auto& r, auto&) {
         r.host.hostname.clear();
         r.host.machine_guid.clear();
       },
       "ACCESS DENIED - NO HOSTNAME", "request without a hostname. Forbidding access."},
      {"no machine guid",
       [](auto& r, auto&) {
         r.host.machine_guid.clear();
         r.api_key = "not-a-guid-at-all-but-long";
       },
       "ACCESS DENIED - NO MACHINE GUID", "request without a machine GUID. Forbidding access."},
      {"key not a guid",
       [](auto& r, auto&) {
         r.api_key = "not-a-guid-at-all-but-long";
         r.host.machine_guid = "nor-is-this";
       },
       "ACCESS DENIED - INVALID KEY",
       "API key 'not-a-gu-****' is not valid GUID (use the command uuidgen to generate one). "
       "Forbidding access."},
      {"machine guid not a guid", [](auto& r, auto&) { r.host.machine_guid = "nor-is-this"; },
       "ACCESS DENIED - INVALID MACHINE GUID",
       "machine GUID 'nor-is-this' is not GUID. Forbidding access."},
      {"machine guid is the key",
       [](auto& r, auto& conf) {
         r.host.machine_guid = "11111111-2222-3333-4444-555555555555";
         conf.keys.clear();
       },
       "ACCESS DENIED - MACHINE GUID IS THE API KEY",
       "machine GUID '11111111-****' is the same as the API key '11111111-****'. Forbidding "
       "access."},
      {"key unknown", [](auto&, auto& conf) { conf.keys.clear(); },
       "ACCESS DENIED - KEY NOT ENABLED",
       "API key '11111111-****' is not allowed. Forbidding access."},
      {"key disabled",
       [](auto&, auto& conf) {
         conf.keys[kKey].enabled = false;
         conf.keys[kKey].allow_from = config::SimplePattern("192.168.*");
       },
       "ACCESS DENIED - KEY NOT ENABLED",
       "API key '11111111-****' is not allowed. Forbidding access."},
      {"key allow from",
       [](auto&, auto& conf) {
         conf.keys[kKey].allow_from = config::SimplePattern("!10.1.* *");
         conf.machines[kGuid].enabled = false;
       },
       "ACCESS DENIED - KEY NOT ALLOWED FROM THIS IP",
       "API key '11111111-****' is not permitted from this IP '10.1.2.3'. Forbidding access."},
      {"machine disabled",
       [](auto&, auto& conf) {
         conf.machines[kGuid].enabled = false;
         conf.machines[kGuid].allow_from = config::SimplePattern("192.168.*");
       },
       "ACCESS DENIED - MACHINE GUID NOT ENABLED",
       "machine GUID 'aaaaaaaa-0000-4000-8000-0000000000a1' is not allowed. Forbidding access."},
      {"machine allow from",
       [](auto&, auto& conf) {
         conf.machines[kGuid].allow_from = config::SimplePattern("192.168.*");
       },
       "ACCESS DENIED - MACHINE GUID NOT ALLOWED FROM THIS IP",
       "machine GUID 'aaaaaaaa-0000-4000-8000-0000000000a1' is not permitted from this IP "
       "'10.1.2.3'. Forbidding access."},
      {"parent's own guid",
       [](auto& r, auto&) { r.host.machine_guid = "BBBBBBBB-0000-4000-8000-0000000000B2"; },
       "DENIED - ATTEMPT TO RECEIVE METRICS FROM MACHINE_GUID IDENTICAL TO PARENT",
       "machine GUID 'BBBBBBBB-0000-4000-8000-0000000000B2' is this parent's own GUID; refusing "
       "to receive its metrics from 'child'",
       stream::Refusal::localhost},
  };
}

TEST(Admission, EachRuleInNetdatasOrderWithItsWording) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    auto r = request();
    auto conf = conf_with(enabled_key());
    c.setup(r, conf);
    const Refused refusal = refused(admit(r, conf, kIp, kParentGuid));
    EXPECT_EQ(refusal.access_tag, c.tag);
    EXPECT_EQ(refusal.reason, c.reason);
    EXPECT_EQ(refusal.refusal, c.refusal);
    expect_key_masked(refusal);
  }
}

TEST(Admission, KeyAndGuidCompareCaseInsensitively) {
  auto r = request();
  r.api_key = "11111111-2222-3333-4444-55555555555A";
  r.host.machine_guid = "11111111-2222-3333-4444-55555555555a";
  auto conf = conf_with(enabled_key());
  const Refused refusal = refused(admit(r, conf, kIp, kParentGuid));
  EXPECT_EQ(refusal.access_tag, "ACCESS DENIED - MACHINE GUID IS THE API KEY");
  expect_key_masked(refusal);
}

TEST(Admission, AllowedKeyAndMachineAreAdmittedWithTheKeysDefaults) {
  auto key = enabled_key();
  key.allow_from = config::SimplePattern("10.* !*");
  key.default_history = 120;
  const Admitted a = admitted(admit(request(), conf_with(key), kIp, kParentGuid));
  EXPECT_EQ(a.storage.mode, store::MemoryMode::ram);
  EXPECT_EQ(a.storage.history, 120u);
  EXPECT_TRUE(a.warnings.empty());
}

TEST(Admission, AMachineSectionAllowingTheIpAdmits) {
  config::MachinePolicy machine;
  machine.enabled = true;
  machine.allow_from = config::SimplePattern("10.1.2.3");
  admitted(admit(request(), conf_with(enabled_key(), machine), kIp, kParentGuid));
}

TEST(Admission, AllowFromMatchesIpv6PeersOnBothSectionKinds) {
  constexpr const char* kIpv6 = "2001:db8::5";
  auto key = enabled_key();
  key.allow_from = config::SimplePattern("2001:db8:* !*");
  admitted(admit(request(), conf_with(key), kIpv6, kParentGuid));
  EXPECT_EQ(refused(admit(request(), conf_with(key), "2001:db9::5", kParentGuid)).access_tag,
            "ACCESS DENIED - KEY NOT ALLOWED FROM THIS IP");
  config::MachinePolicy machine;
  machine.allow_from = config::SimplePattern("!2001:db8::5 *");
  const Refused r = refused(admit(request(), conf_with(key, machine), kIpv6, kParentGuid));
  EXPECT_EQ(r.access_tag, "ACCESS DENIED - MACHINE GUID NOT ALLOWED FROM THIS IP");
  EXPECT_NE(r.reason.find("'2001:db8::5'"), std::string::npos) << r.reason;
  machine.allow_from = config::SimplePattern("::1 2001:db8::*");
  admitted(admit(request(), conf_with(key, machine), kIpv6, kParentGuid));
}

TEST(Admission, DbengineIsServedAndNetdataAliasesWarn) {
  struct ModeCase {
    const char* mode;
    store::MemoryMode expected;
    const char* warning;
  };
  for (const ModeCase& c : {ModeCase{"dbengine", store::MemoryMode::dbengine, ""},
                            ModeCase{"save", store::MemoryMode::dbengine,
                                     "memory mode 'save' is an alias of 'dbengine' here"},
                            ModeCase{"map", store::MemoryMode::dbengine,
                                     "memory mode 'map' is an alias of 'dbengine' here"},
                            ModeCase{"alloc", store::MemoryMode::ram,
                                     "memory mode 'alloc' is an alias of 'ram' here"}}) {
    SCOPED_TRACE(c.mode);
    auto key = enabled_key();
    key.default_memory_mode = c.mode;
    const Admitted a = admitted(admit(request(), conf_with(key), kIp, kParentGuid));
    EXPECT_EQ(a.storage.mode, c.expected);
    if (*c.warning == '\0') {
      EXPECT_TRUE(a.warnings.empty());
    } else {
      ASSERT_EQ(a.warnings.size(), 1u);
      EXPECT_EQ(a.warnings[0], c.warning);
    }
  }
}

TEST(Admission, TheMachineSectionsMemoryModeBeatsTheKeysDefault) {
  auto key = enabled_key();
  key.default_memory_mode = "ram";
  config::MachinePolicy machine;
  machine.memory_mode = "dbengine";
  const Admitted a = admitted(admit(request(), conf_with(key, machine), kIp, kParentGuid));
  EXPECT_EQ(a.storage.mode, store::MemoryMode::dbengine);
}

TEST(Admission, HealthPolicyComesFromTheKeyAndTheMachineSectionBeatsIt) {
  auto key = enabled_key();
  key.health_enabled_by_default = config::HealthEnabled::automatic;
  key.default_postpone_alarms_on_connect_s = 60;
  const Admitted by_key = admitted(admit(request(), conf_with(key), kIp, kParentGuid));
  EXPECT_EQ(by_key.health.mode, store::HealthPolicy::Mode::automatic);
  EXPECT_EQ(by_key.health.postpone_s, 60);

  config::MachinePolicy machine;
  machine.health_enabled = config::HealthEnabled::no;
  machine.postpone_alarms_on_connect_s = 5;
  const Admitted by_machine = admitted(admit(request(), conf_with(key, machine), kIp, kParentGuid));
  EXPECT_EQ(by_machine.health.mode, store::HealthPolicy::Mode::no);
  EXPECT_EQ(by_machine.health.postpone_s, 5);
}

TEST(Admission, MemoryModeNoneStoresNothing) {
  auto key = enabled_key();
  key.default_memory_mode = "none";
  const Admitted a = admitted(admit(request(), conf_with(key), kIp, kParentGuid));
  EXPECT_EQ(a.storage.mode, store::MemoryMode::none);
  EXPECT_TRUE(a.warnings.empty());
}

TEST(Admission, HistoryBelowFiveIsRaisedToFive) {
  auto key = enabled_key();
  key.default_history = 2;
  EXPECT_EQ(admitted(admit(request(), conf_with(key), kIp, kParentGuid)).storage.history, 5u);
  config::MachinePolicy machine;
  machine.history = 0;
  EXPECT_EQ(admitted(admit(request(), conf_with(enabled_key(), machine), kIp, kParentGuid))
                .storage.history,
            5u);
}

TEST(Admission, MachineSectionOverridesTheKeysDefaults) {
  auto key = enabled_key();
  key.default_memory_mode = "ram";
  key.default_history = 100;
  config::MachinePolicy machine;
  machine.memory_mode = "none";
  machine.history = 42;
  const Admitted a = admitted(admit(request(), conf_with(key, machine), kIp, kParentGuid));
  EXPECT_EQ(a.storage.mode, store::MemoryMode::none);
  EXPECT_EQ(a.storage.history, 42u);

  // Unset machine values fall back to the key's.
  config::MachinePolicy partial;
  partial.history = 7;
  const Admitted b = admitted(admit(request(), conf_with(key, partial), kIp, kParentGuid));
  EXPECT_EQ(b.storage.mode, store::MemoryMode::ram);
  EXPECT_EQ(b.storage.history, 7u);
}

TEST(Admission, AnUnknownMemoryModeIsRefusedWithoutTheKey) {
  auto key = enabled_key();
  key.default_memory_mode = "tape";
  const Refused refusal = refused(admit(request(), conf_with(key), kIp, kParentGuid));
  EXPECT_EQ(refusal.access_tag, "ACCESS DENIED - BAD MEMORY MODE");
  EXPECT_NE(refusal.reason.find("tape"), std::string::npos) << refusal.reason;
  expect_key_masked(refusal);
}

TEST(Admission, TheKeyIsNeverInAnyReasonUnmasked) {
  // Every refusal, with the key shown wherever the rule shows it.
  for (const Case& c : cases()) {
    auto r = request();
    auto conf = conf_with(enabled_key());
    c.setup(r, conf);
    const auto result = admit(r, conf, kIp, kParentGuid);
    if (const auto* refusal = std::get_if<Refused>(&result)) {
      EXPECT_EQ(refusal->reason.find(r.api_key.empty() ? kKey : r.api_key), std::string::npos)
          << c.name << ": " << refusal->reason;
      if (refusal->reason.find("API key") != std::string::npos && r.api_key == kKey) {
        EXPECT_NE(refusal->reason.find(kMaskedKey), std::string::npos) << refusal->reason;
      }
    }
  }
}

}  // namespace
}  // namespace trib::parent::receiver
