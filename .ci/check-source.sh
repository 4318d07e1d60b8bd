#!/usr/bin/env bash
# Source checks that need no build, run by .ci/run before the tests:
#   1. every C++ file is formatted by the project's .clang-format (clang-format 14, Debian 12);
#   2. every #include in libforensic/ follows the module order of docs/architecture.md: a module
#      includes only itself, a module of a lower layer, or the top-level error/version headers.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0

mapfile -t sources < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.cc')
if ! clang-format --dry-run --Werror --style=file "${sources[@]}" 2>/tmp/forensic-format.$$; then
  echo "check-source: files not formatted with .clang-format (run clang-format -i on them):" >&2
  grep -o '^[^:]*\.\(cpp\|hpp\|h\|cc\)' /tmp/forensic-format.$$ | sort -u | sed 's/^/  /' >&2
  status=1
fi
rm -f /tmp/forensic-format.$$

# The layers, lowest first (docs/architecture.md). Same layer, different module: not allowed.
declare -A layer=([io]=0 [text]=0 [engine]=1 [proc]=1 [capture]=1 [net]=2 [hunt]=3
                  [evidence]=4 [analysis]=5 [response]=5 [formats]=6)
module_of_file() {  # libforensic/src/net/x.cpp or libforensic/include/forensic/net/x.hpp -> net
  local rest=${1#libforensic/src/}
  rest=${rest#libforensic/include/forensic/}
  [[ $rest == */* ]] && echo "${rest%%/*}" || echo ""
}
while IFS= read -r file; do
  from=$(module_of_file "$file")
  [[ -n $from ]] || continue
  if [[ -z ${layer[$from]+x} ]]; then
    echo "check-source: $file: module '$from' has no layer in .ci/check-source.sh" >&2
    status=1
    continue
  fi
  while IFS= read -r inc; do
    target=${inc#forensic/}
    [[ $target == */* ]] || continue  # error.hpp, version.hpp: usable by every module
    to=${target%%/*}
    [[ $to == "$from" ]] && continue
    if [[ -z ${layer[$to]+x} ]]; then continue; fi
    if ((layer[$to] >= layer[$from])); then
      echo "check-source: $file includes $inc: $from (layer ${layer[$from]}) may not include" \
        "$to (layer ${layer[$to]})" >&2
      status=1
    fi
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file")
done < <(git ls-files 'libforensic/src/*' 'libforensic/include/*')

((status == 0)) && echo "check-source: format and include layers ok"
exit "$status"
