#!/usr/bin/env bash
# The README's first command: on a fresh Debian 12 machine (as root) installs what is needed,
# builds the toolkit, starts a Docker engine when none answers, stages a demo incident (a
# container beaconing to a documentation address served by a network namespace of our own),
# and runs the isolate -> collect -> analyze playbook on it. Stops only what it started.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${FORENSIC_BUILD_DIR:-$src/build/demo}
testbed=$src/tests/testbed

bash "$testbed/install-deps.sh"
# Stop at the end only an engine this run started (another run may share one).
engine=$(bash "$testbed/engine.sh" start)
echo "$engine"
[[ $engine == "engine: started"* ]] && trap 'bash "$testbed/engine.sh" stop' EXIT
bash "$testbed/build-image.sh"

cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DFORENSIC_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "${FORENSIC_JOBS:-2}"
export PATH="$build/tools:$PATH"

bash "$src/playbooks/demo-incident.sh" "$@"
