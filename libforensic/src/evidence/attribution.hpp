#pragma once
// Private to the collector: may this host's /proc/<pid> be read as the container's?
//
// The pid comes from the engine. Read from this host's /proc it is only the container's when
// the engine runs on this host (its unix socket) and the process itself says so: its cgroup
// path names the full container id (/docker/<id>, docker-<id>.scope, ...). A remote engine, a
// proxy in between or a lying engine gives a pid of some other process here, and reading it
// would save this host's files and processes as the container's.
#include <string>

#include "evidence/collection.hpp"

namespace forensic::evidence::detail {

// True when the host-side reads of `artifact` (processes, files, network, capture, mounts, the
// bodyfile, the deep paths of export) may go ahead. The proof is checked once per collection and
// recorded in the custody log; when it fails, `artifact` is listed in the manifest's not_collected
// with the reason (after `part`, when only a part of the artifact is host-side) and the custody log
// says so, and the caller reads nothing of this host.
bool host_side_allowed(collection& c, const std::string& artifact, const std::string& part = {});

}  // namespace forensic::evidence::detail
