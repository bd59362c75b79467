#!/bin/sh
# run.sh: LP attack on a published report, as an outsider would do it.
#
# Usage: bench/attack/run.sh REPORT_DIR [--previous DIR ...] [lpattack.py options]
#   e.g. bench/attack/run.sh reports/pacs-2019 --vocabulary-relations --min-suppressed 1 \
#            --dataset datasets/pacs-2019 --summary-only
#
# Dumps REPORT_DIR/cells.parquet (and each --previous DIR's) to CSV with dump.mjs (DuckDB, Node),
# then runs lpattack.py (scipy/HiGHS) on them, with each folder's manifest.json (used by
# --linked-by-inputs and --manifest-relations). Every other option goes to lpattack.py
# (/usr/bin/python3 bench/attack/lpattack.py --help). Exit status: 0 nothing found, 1 a disclosure
# or failure found, 2 wrong usage.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-/usr/bin/python3}   # the Debian python, where python3-scipy is installed
if [ $# -lt 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
  [ $# -ge 1 ] && exec "$PY" "$here/lpattack.py" --help
  exit 2
fi
report=$1; shift
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT INT TERM
node "$here/dump.mjs" "$report" "$tmp/cells.csv"
n=0
if [ -f "$report/manifest.json" ]; then set -- "$@" --manifest "$report/manifest.json"; fi
set -- "$@" --end-of-args--
while [ "$1" != --end-of-args-- ]; do
  a=$1; shift
  if [ "$a" = --previous ]; then
    d=$1; shift
    n=$((n + 1)); node "$here/dump.mjs" "$d" "$tmp/prev$n.csv"
    set -- "$@" --previous-csv "$tmp/prev$n.csv"
    if [ -f "$d/manifest.json" ]; then set -- "$@" --previous-manifest "$d/manifest.json"; fi
  else
    set -- "$@" "$a"
  fi
done
shift
"$PY" "$here/lpattack.py" "$tmp/cells.csv" "$@"
