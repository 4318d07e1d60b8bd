#pragma once
// The pure part of network quarantine: which rules to write, how to find ours again in
// iptables-save output, how to choose a backend, and the tc commands of the fallback. No I/O
// here, so every line is unit-tested (tests/unit/response_rules_test.cpp).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forensic/response/isolator.hpp"

namespace forensic::response::detail {

inline constexpr std::string_view tag_prefix = "forensic-quarantine:";
// The jump FORWARD -> DOCKER-USER we add when Docker's is missing or not first.
inline constexpr std::string_view jump_tag = "forensic-quarantine:jump";
// A no-op RETURN at the end of a DOCKER-USER chain we created: the chain itself cannot carry a
// comment, and release must delete the chain only when we were the ones who created it.
inline constexpr std::string_view chain_tag = "forensic-quarantine:chain";

// Throws errc::invalid_argument unless [A-Za-z0-9._-]{1,64} (it goes into a rule comment).
void validate_case_id(std::string_view case_id);
// "forensic-quarantine:<id12>:<case>".
std::string quarantine_tag(std::string_view container_id, std::string_view case_id);

// What the current filter table says about the chains we use.
struct chain_facts {
  bool docker_user_exists = false;
  bool docker_user_jump_first = false;  // FORWARD's first rule jumps to DOCKER-USER
  bool docker_chains = false;           // a DOCKER chain exists: Docker manages this backend
};
chain_facts read_chain_facts(std::string_view filter_save);

// One of our rules as iptables-save printed it.
struct tagged_rule {
  std::string chain;
  std::string line;            // "-A DOCKER-USER ... -j DROP", verbatim
  std::string container_id12;  // empty for the jump
  std::string case_id;
  bool jump = false;          // our FORWARD -> DOCKER-USER jump
  bool chain_marker = false;  // the marker of a DOCKER-USER chain we created
  bool infrastructure() const { return jump || chain_marker; }
};
// Our rules in `filter_save`; with `id12` only that container's (and never the jump or the
// chain marker).
std::vector<tagged_rule> find_tagged_rules(std::string_view filter_save,
                                           std::string_view id12 = {});

// The rule lines ("-I DOCKER-USER 1 ...") quarantining `target` for one family (4 or 6).
std::vector<std::string> quarantine_rule_lines(const quarantine_target& target,
                                               const std::vector<std::string>& allow,
                                               std::string_view case_id, int family);

// What a container's DROP rules name: its host veths (physdev) and addresses (-s/-d, without
// the /32 or /128 iptables-save adds). Allow rules (RETURN/ACCEPT) are not counted.
struct rule_subjects {
  std::vector<std::string> veths, addresses;  // sorted, unique
  bool operator==(const rule_subjects&) const = default;
};
rule_subjects subjects_of(const std::vector<tagged_rule>& rules);
rule_subjects subjects_of(const quarantine_target& target, int family);

// A complete iptables-restore --noflush input: creates DOCKER-USER (with its marker) and its
// jump when missing,
// deletes `replace` (our earlier rules for the same container) and inserts `lines`, as one
// transaction.
std::string restore_script(const chain_facts& facts, const std::vector<tagged_rule>& replace,
                           const std::vector<std::string>& lines);

// The restore input deleting `rules`; when no container's rule of ours remains afterwards in
// `filter_save`, also our jump and, if we created DOCKER-USER (its marker is there) and nothing
// else is in it or jumps to it, the chain. Empty when there is nothing to delete (`rules` may
// be empty: the infrastructure of an earlier release is then cleaned up).
std::string removal_script(std::string_view filter_save, const std::vector<tagged_rule>& rules);

// Backend choice from what the host shows (texts are `iptables-*-save -t filter` outputs).
struct backend_evidence {
  std::optional<std::string> legacy_filter;  // only read when the legacy table is loaded
  std::optional<std::string> nft_filter;
  bool legacy_restore = false, nft_restore = false;
  bool tc = false;
};
firewall_kind choose_backend(const backend_evidence& evidence, std::string* reason);

// tc fallback: the action cookie naming the container (16 bytes max: "Forensic" + id12).
std::string tc_cookie(std::string_view container_id);
// argv tails (after the tc binary) for one veth; `add_clsact` when the veth has none yet.
std::vector<std::vector<std::string>> tc_quarantine_commands(std::string_view veth,
                                                             std::string_view container_id,
                                                             const std::vector<std::string>& allow,
                                                             bool add_clsact);

// Address helpers (IPv4 or IPv6 text, with an optional /prefix).
int address_family(std::string_view address_or_cidr);  // 4, 6, or 0 when invalid

}  // namespace forensic::response::detail
