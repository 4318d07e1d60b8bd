#pragma once
// Private to the collector: the steps that read the container's files from the host (the
// bodyfile, the mounts), registered in collector.cpp next to the steps of collection.hpp.
#include "evidence/collection.hpp"

namespace forensic::evidence::detail {

// filesystem/bodyfile.txt: MAC times of the writable layer (when "export" is asked) and of every
// mount that "mounts" copies, taken with statx before the export or the mounts read anything.
// Only for an engine on this host's socket (the layer and the pid are paths of its host).
void collect_bodyfile(collection& c);

// mounts/<index>-<name>.tar per copied mount and mounts/mounts.json (mounts.hpp).
void collect_mounts(collection& c);

}  // namespace forensic::evidence::detail
