#!/usr/bin/env bash
# isolate-collect-analyze.sh (--ip ADDR | <container>) [--out DIR] [--case ID] [--capture SECONDS]
#                            [--ioc FILE] [--allow ADDR]... [--no-isolate] [--archive tar|tar.zst]
#
# The runnable form of playbooks/isolate-collect-analyze.md: finds the container(s) talking to
# ADDR (ir-locate), quarantines each on the network so that memory, processes and sockets
# survive (ir-isolate), collects its evidence while capturing its traffic (ir-collect
# --capture), and analyses the bundle (ir-analyze, with ADDR as an IOC), then prints where each
# report is. The quarantine is left in place: release it with `ir-isolate <container> --release`
# once the case allows. --no-isolate leaves the container's network alone (collect and analyse
# only); --archive also packs each bundle into one archive (ir-collect --archive), printed as
# "archive: PATH". --capture 0 takes no capture. On a terminal, each step shows as
# "[step i/n] ..." on stderr (nothing when stderr is not a terminal but the dated log lines).
#
# Tools are taken from $FORENSIC_TOOLS_DIR when set, else from $PATH, else from a build made by
# the README's commands (build/*/tools).
# Exit status: 0 every located container was isolated, collected and analysed; 1 nothing was
# located (or a bundle failed verification); 2 usage; 3 a step failed (the output says which).
set -euo pipefail

usage() {
  sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

ip="" target="" out="${PWD}/evidence" case_id="" capture=10 ioc="" allow=() isolate=1 archive=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --ip) ip=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --case) case_id=${2:?}; shift 2 ;;
    --capture) capture=${2:?}; shift 2 ;;
    --ioc) ioc=${2:?}; shift 2 ;;
    --allow) allow+=(--allow "${2:?}"); shift 2 ;;
    --no-isolate) isolate=0; shift ;;
    --archive) archive=${2:?}; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "isolate-collect-analyze: unknown option $1" >&2; usage ;;
    *) [[ -z $target ]] || usage; target=$1; shift ;;
  esac
done
[[ -n $ip || -n $target ]] || usage
[[ -z $ip || -z $target ]] || { echo "isolate-collect-analyze: give --ip or a container, not both" >&2; exit 2; }
[[ $capture =~ ^[0-9]+$ ]] || { echo "isolate-collect-analyze: --capture takes seconds" >&2; exit 2; }
[[ -z $archive || $archive == tar || $archive == tar.zst ]] || { echo "isolate-collect-analyze: --archive takes tar or tar.zst" >&2; exit 2; }
case_id=${case_id:-IR-$(date -u +%Y%m%dT%H%M%SZ)}
[[ $case_id =~ ^[A-Za-z0-9._-]{1,64}$ ]] || { echo "isolate-collect-analyze: case id must be [A-Za-z0-9._-]" >&2; exit 2; }

# Each tool is resolved once, here in the main shell (an `exit` inside a command substitution
# would leave only the substitution): $FORENSIC_TOOLS_DIR, else $PATH, else a build made by the
# README's commands (build/*/tools/ir-*/ next to this playbook).
here=$(cd "$(dirname "$0")" && pwd)
declare -A tools=()
for name in ir-locate ir-isolate ir-collect ir-analyze; do
  found=""
  if [[ -n ${FORENSIC_TOOLS_DIR:-} ]]; then
    [[ -x $FORENSIC_TOOLS_DIR/$name ]] && found=$FORENSIC_TOOLS_DIR/$name
  else
    found=$(command -v "$name" || true)
    if [[ -z $found ]]; then
      for candidate in "$here"/../build/*/tools/"$name"; do
        [[ -x $candidate ]] && { found=$candidate; break; }
      done
    fi
  fi
  [[ -n $found ]] || { echo "isolate-collect-analyze: $name not found (set FORENSIC_TOOLS_DIR or put it on PATH)" >&2; exit 3; }
  tools[$name]=$found
done
tool() { echo "${tools[$1]}"; }
say() {
  [[ -t 2 ]] && printf '\r\033[K' >&2  # over a progress line
  printf '[%s] %s\n' "$(date -u +%H:%M:%SZ)" "$*" >&2
}
# Progress on a terminal only: "[step 2/4] isolating 3f1c..." rewritten in place, like
# ir-collect's and ir-capture's progress lines.
step_no=0 steps=1
progress() {
  step_no=$((step_no + 1))
  [[ -t 2 ]] && printf '\r\033[K[step %d/%d] %s' "$step_no" "$steps" "$*" >&2
  return 0
}
progress_done() { [[ -t 2 ]] && printf '\r\033[K' >&2; return 0; }
step_failed() { say "FAILED: $*"; exit 3; }

mkdir -p "$out"
chmod 0700 "$out"

# 1. Locate: which containers hold or talk to ADDR. Only the 64-hex ids are taken from the
#    JSON (names come from containers and are not trusted here).
ids=()
if [[ -n $ip ]]; then
  say "locating containers talking to $ip"
  locate_json=$("$(tool ir-locate)" --ip "$ip" --json) || [[ $? -eq 1 ]] || step_failed "ir-locate --ip $ip"
  mapfile -t ids < <(grep -o '"container_id": *"[0-9a-f]\{64\}"' <<<"$locate_json" |
                     grep -o '[0-9a-f]\{64\}' | sort -u)
  if [[ ${#ids[@]} -eq 0 ]]; then
    say "no container on this host holds or talks to $ip"
    exit 1
  fi
else
  ids=("$target")
fi

# The IOC list for the analysis: the address we were given, plus the caller's.
iocs="$out/$case_id-iocs.txt"
{
  echo "# IOCs for case $case_id, written by isolate-collect-analyze.sh"
  [[ -z $ip ]] || echo "ip $ip  # the address the playbook was started with"
  [[ -z $ioc ]] || cat "$ioc"
} >"$iocs"

status=0
reports=()
archives=()
steps=$(( ${#ids[@]} * (isolate ? 3 : 2) ))
for id in "${ids[@]}"; do
  # 2. Isolate first: cut the attacker's channel while keeping the container running.
  if ((isolate)); then
    say "isolating ${id:0:12} (network quarantine, case $case_id)"
    progress "isolating ${id:0:12}"
    "$(tool ir-isolate)" "$id" --case "$case_id" "${allow[@]}" >&2 || step_failed "ir-isolate $id"
  else
    say "not isolating ${id:0:12} (--no-isolate)"
  fi

  # 3+4. Collect, most volatile first, capturing its veth traffic during the collection.
  say "collecting ${id:0:12} into $out (capture ${capture}s)"
  progress "collecting ${id:0:12}"
  collect_args=("$id" --case "$case_id" --out "$out")
  ((capture > 0)) && collect_args+=(--capture "$capture")
  [[ -z $archive ]] || collect_args+=(--archive "$archive")
  collect_out=$("$(tool ir-collect)" "${collect_args[@]}") ||
    { rc=$?; [[ $rc -eq 1 ]] || step_failed "ir-collect $id"; say "some artifacts were not collected (see above)"; }
  bundle=$(head -n 1 <<<"$collect_out")
  [[ -d $bundle ]] || step_failed "ir-collect printed no bundle directory"

  # 5. Analyse: the bundle is verified first; the report goes beside it (the bundle is sealed).
  [[ -z $archive ]] || archives+=("$bundle.$archive")
  report="$bundle.report.md"
  say "analysing $bundle"
  progress "analysing ${id:0:12}"
  "$(tool ir-analyze)" "$bundle" --ioc "$iocs" --out "$report" >/dev/null || {
    rc=$?
    [[ $rc -eq 1 ]] || step_failed "ir-analyze $bundle"
    say "the bundle FAILED verification: see the report"
    status=1
  }
  "$(tool ir-analyze)" "$bundle" --ioc "$iocs" --json --out "$bundle.report.json" >/dev/null || true
  reports+=("$report")
done

progress_done
for r in "${reports[@]}"; do echo "report: $r"; done
for a in "${archives[@]}"; do echo "archive: $a"; done
((isolate)) && say "quarantine left in place; release with: ir-isolate <container> --release"
exit $status
