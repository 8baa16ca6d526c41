#!/usr/bin/env bash
# Formats every C++ file of the project with clang-format and the root .clang-format.
#   bash cmake/format.sh          rewrite the files in place
#   bash cmake/format.sh --check  change nothing; list the files that are not formatted, exit 1
set -euo pipefail
cd "$(dirname "$0")/.."

clang_format=${CLANG_FORMAT:-clang-format}
if ! command -v "$clang_format" >/dev/null 2>&1; then
  echo "format: $clang_format not found (Debian/Ubuntu: apt-get install clang-format)" >&2
  exit 2
fi

mapfile -t files < <(git ls-files --cached --others --exclude-standard -- 'include/*.hpp' 'tests/*.hpp' 'tests/*.cpp' 'examples/*.cpp' \
  'examples/*.hpp' 'benchmarks/*.cpp' 'benchmarks/*.hpp' 2>/dev/null ||
  find include tests examples benchmarks -name '*.[ch]pp')

if [ "${1:-}" = "--check" ]; then
  unformatted=()
  for file in "${files[@]}"; do
    if ! "$clang_format" --dry-run --Werror "$file" >/dev/null 2>&1; then
      unformatted+=("$file")
    fi
  done
  if [ ${#unformatted[@]} -ne 0 ]; then
    echo "format: these files differ from clang-format's output (run: bash cmake/format.sh):" >&2
    printf '  %s\n' "${unformatted[@]}" >&2
    exit 1
  fi
  echo "format: ${#files[@]} files checked, all formatted"
else
  "$clang_format" -i "${files[@]}"
fi
