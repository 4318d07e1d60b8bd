#pragma once
// An engine proxy that lies: every request is forwarded to this host's engine and its answer
// passed back, except that the State.Pid of every container inspect is replaced. This is what a
// remote engine, a proxy or a compromised engine looks like from the tools: a plausible pid of
// some other process on this host.
#include "support/fake_engine.hpp"

namespace forensic::testing {

// The handler for a fake_engine that answers as above with `fake_pid`.
fake_engine::handler rewriting_pid(int fake_pid);

}  // namespace forensic::testing
