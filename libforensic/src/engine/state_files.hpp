#pragma once
// The engine's own record of each container, read from its files on this host instead of one
// inspect call per container.
//
// Why: on a host with hundreds of containers, the engine's CPU for one inspect each costs
// several times its list call, and on two cores that CPU is the wait. dockerd keeps every
// container's state in <data-root>/containers/<id>/config.v2.json (written whole and renamed
// into place on every change of state) and its host configuration in hostconfig.json; inspect
// answers from the same structures. These files are read while the list call is in flight.
//
// Trust: the list call stays authoritative. A record is used only when its id, name, image,
// running state and network endpoints agree with the container's list entry; anything else (a
// file that is missing, unreadable, odd, or replaced between its read and the list's answer)
// leaves that container to an inspect call. Mounts are taken from the list entry itself, which
// carries them in inspect's form; networks from the record (the list leaves their aliases out).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>

#include "forensic/engine/containers.hpp"

namespace forensic::engine::detail {

// One container's record, parsed once (on the reader's thread): what is checked against the
// list, and the container as inspect would describe it.
struct state_record {
  // parse_container_inspect's fields from config.v2.json with hostconfig.json as its HostConfig,
  // the id from the record's "ID". Its status and mounts are the list's to give.
  container model;
  std::string name;  // the record's Name as written, with its leading '/'
  // State, Config and NetworkSettings were objects (inspect would hold all three).
  bool complete = false;
  std::optional<bool> running;      // State.Running, when a boolean
  std::optional<std::int64_t> pid;  // State.Pid, when an integer
  // Inodes of the two files as read: dockerd replaces a file (rename) on every change, so a
  // changed inode means the record is older than the engine's state.
  std::uint64_t config_inode = 0;
  std::uint64_t host_config_inode = 0;
};

// The record of a parsed config.v2.json and hostconfig.json.
state_record make_state_record(nlohmann::json config, nlohmann::json host_config);

// Every <containers_dir>/<id>/ whose two files read and parse as JSON objects, by id. Files
// are opened with O_NOATIME, no link followed at any step below <containers_dir>, and read up
// to 4 MiB; directories whose name is not a container id are skipped. Never throws: what
// cannot be read is simply absent.
std::unordered_map<std::string, state_record> read_state_files(const std::string& containers_dir);

// True when both files of `id` in `containers_dir_fd` (the directory read_state_files read) are
// still the ones `record` was read from: called once the list has answered, so that a
// container changed meanwhile (restarted with another pid, reconfigured) is inspected instead.
bool still_current(int containers_dir_fd, const std::string& id, const state_record& record);

// The container `list_item` (one /containers/json entry, `summary` its parse) is, as an inspect
// would describe it, from its state record: the record's fields with the list's status, names
// and mounts. nullopt when the record and the list entry disagree (id, name, image id, running
// or not, the networks' endpoints and addresses) or the record lacks what inspect would hold.
std::optional<container> container_from_state(state_record record, const container& summary,
                                              const nlohmann::json& list_item);

}  // namespace forensic::engine::detail
