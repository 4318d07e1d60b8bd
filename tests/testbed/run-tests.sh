#!/usr/bin/env bash
# The README's test command: on a fresh Debian 12 machine (as root) installs what is needed,
# starts a Docker engine when none answers, builds with warnings as errors, runs every test
# (unit and real-engine integration), proves the installed package links (examples/), and
# stops only what it started.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${FORENSIC_BUILD_DIR:-$src/build/ci}
prefix=${FORENSIC_INSTALL_PREFIX:-$build/install}
jobs=${FORENSIC_JOBS:-2}

bash "$here/install-deps.sh"
# Stop at the end only an engine this run started (another run may share one).
engine=$(bash "$here/engine.sh" start)
echo "$engine"
[[ $engine == "engine: started"* ]] && trap 'bash "$here/engine.sh" stop' EXIT
bash "$here/build-image.sh"

cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFORENSIC_WERROR=ON \
  -DCMAKE_INSTALL_PREFIX="$prefix"
cmake --build "$build" -j "$jobs"
(cd "$build" && ctest --output-on-failure -j 1 ${FORENSIC_CTEST_ARGS:-})

# The way SOC tooling links us: install, then build examples/ against the installed package.
cmake --install "$build" >/dev/null
cmake -S "$src/examples" -B "$build/examples" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build/examples" -j "$jobs"
"$build/examples/container_inventory" >/dev/null
echo "examples: built against $prefix and ran"

# CI (.ci/run) also runs the hardening stage: the suite under ASan + UBSan, then every fuzz
# target for a bounded time. Off by default here: it takes half an hour on 2 cores.
if [[ ${FORENSIC_HARDENING:-0} == 1 ]]; then
  FORENSIC_JOBS=$jobs bash "$here/hardening.sh"
fi
