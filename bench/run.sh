#!/usr/bin/env bash
# Times `exposure build` against what an analyst would otherwise run (bench/analyst.mjs: DuckDB SQL
# over the same CSVs) on full-grid synthetic datasets (`exposure synth --shape full-grid`: 249
# countries x 8 organization types x 8 metrics, weekly, four sources by region, one file per source
# and year) of about the given numbers of rows.
#
# The two commands are measured A/B in one run: PAIRS pairs per size, each pair the two commands back
# to back, the first of the pair alternating, so that a change of load or of the page cache during the
# run falls on both. Each run is timed by /usr/bin/time (wall time, user + system CPU time, peak RSS).
# The table gives the medians of each command, the median of the pairwise ratios build / DuckDB, and
# the largest peak RSS of each; the machine and the load average before and after are printed too.
#
# Usage: bench/run.sh [--pairs N] [ROWS...]          default: 1000000 10000000
# Environment:
#   PAIRS=N           pairs per size (default 3; --pairs wins)
#   BUILD_ARGS="..."  extra flags of `exposure build`, e.g. "--previous DIR" (an earlier release)
#   SYNTH_ARGS="..."  extra flags of `exposure synth`, e.g. "--relations identity" (part of the
#                     dataset's identity: another value writes another dataset)
#   SEED=N            seed of the datasets (default 1)
#   BENCH_DIR=DIR     where datasets, reports and logs go (default bench/out, git-ignored)
# Needs: go, node (the DuckDB module is installed by `npm install` at the repository root when missing),
# /usr/bin/time (Debian package time).
#
# Datasets are reused when present with the same options and the same generator (the git tree of
# internal/synth, and its uncommitted changes); otherwise they are written again.
set -euo pipefail
cd "$(dirname "$0")/.."

pairs=${PAIRS:-3}
sizes=()
while [ $# -gt 0 ]; do
  case $1 in
    --pairs) pairs=${2:?--pairs needs a number}; shift 2 ;;
    --pairs=*) pairs=${1#--pairs=}; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench/run.sh: unknown flag $1" >&2; exit 2 ;;
    *) sizes+=("$1"); shift ;;
  esac
done
[ ${#sizes[@]} -gt 0 ] || sizes=(1000000 10000000)
[[ $pairs =~ ^[1-9][0-9]*$ ]] || { echo "bench/run.sh: pairs must be a positive integer, not $pairs" >&2; exit 2; }
for want in "${sizes[@]}"; do
  [[ $want =~ ^[1-9][0-9]*$ ]] || { echo "bench/run.sh: rows must be a positive integer, not $want" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "bench/run.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
seed=${SEED:-1}
read -r -a build_args <<<"${BUILD_ARGS:-}"
read -r -a synth_args <<<"${SYNTH_ARGS:-}"
work=${BENCH_DIR:-bench/out}
mkdir -p "$work"

go build -o "$work/exposure" ./cmd/exposure
# npm ci refuses the lock file, which holds only the platform bindings this registry serves (.ci/run);
# --no-save leaves it as it is.
[ -d node_modules/@duckdb/node-api ] || npm install --omit=dev --no-save --no-audit --no-fund >/dev/null

# The generator's identity: its committed tree and, if any, the digest of its uncommitted changes.
generator=$(git rev-parse HEAD:internal/synth 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain -- internal/synth 2>/dev/null)" ]; then
  generator="$generator+$( (git diff HEAD -- internal/synth; git ls-files --others --exclude-standard -z internal/synth | xargs -0r cat) | sha256sum | cut -c1-12)"
fi

# A full-grid period has 249 x 8 x 8 = 15,936 leaves, less the 2 x 1,992 flows of the first period;
# take the number of periods (at least 2) whose rows come nearest the target.
per_period=15936
first_less=3984
periods_for() { awk -v r="$1" -v p="$per_period" -v f="$first_less" 'BEGIN {n = int((r + f) / p + 0.5); print (n < 2) ? 2 : n}'; }

# measure LOG CMD... runs CMD under /usr/bin/time, its output to LOG, and sets wall (s), cpu (user +
# system, s) and rss (peak, MiB).
measure() {
  local log=$1; shift
  if ! /usr/bin/time -f 'time %e %U %S %M' -o "$log.time" "$@" >"$log" 2>&1; then
    echo "bench/run.sh: failed: $*" >&2; tail -n 20 "$log" >&2; exit 1
  fi
  read -r wall cpu rss < <(awk '/^time / {printf "%.2f %.2f %.0f\n", $2, $3 + $4, $5 / 1024}' "$log.time")
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
maximum() { printf '%s\n' "$@" | sort -g | tail -n 1; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

cores=$(nproc)
memory=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
duckdb=$(node -p 'require("./node_modules/@duckdb/node-api/package.json").version' 2>/dev/null || echo '?')
echo "machine: $cores cores, $memory, $cpu; $(go version | cut -d' ' -f3), node $(node --version), @duckdb/node-api $duckdb"
echo "build: exposure build DATASET --out DIR${BUILD_ARGS:+ $BUILD_ARGS}"
echo "synth: exposure synth --shape full-grid --seed $seed${SYNTH_ARGS:+ $SYNTH_ARGS}; pairs per size: $pairs"
echo "load average before: $(loadavg)"

table=()
for want in "${sizes[@]}"; do
  periods=$(periods_for "$want")
  name="grid-p$periods-s$seed$(printf '%s' "${SYNTH_ARGS:-}" | sha256sum | cut -c1-8 | sed 's/^/-/')"
  ds="$work/$name"
  stamp="exposure synth --shape full-grid --periods $periods --seed $seed ${synth_args[*]:-} [generator $generator]"
  if [ ! -f "$ds/dataset.yaml" ] || [ "$(cat "$ds.options" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$ds" "$ds.options" "$ds.shares"
    echo "writing $ds ($periods weekly periods)" >&2
    "$work/exposure" synth --out "$ds" --shape full-grid --periods "$periods" --seed "$seed" "${synth_args[@]}" >"$ds.synth.log"
    printf '%s' "$stamp" >"$ds.options"
  fi
  # The shape's shares, counted from the CSVs: leaves with 1 or 2 contributors, zeros, rows that
  # give largest and second_largest.
  [ -f "$ds.shares" ] || awk -F, 'FNR > 1 {n++; if ($5 == 0) z++; else if ($6 < 3) s++; if ($7 != "") d++}
           END {printf "%.1f %% of the leaves with 1 or 2 contributors, %.1f %% zeros, largest/second_largest on %.1f %% of the rows\n",
                100 * s / n, 100 * z / n, 100 * d / n}' "$ds"/data/*.csv >"$ds.shares"
  rows=$(sed -n 's/.* \([0-9,]*\) rows,.*/\1/p' "$ds.synth.log" | tr -d ,)
  echo "dataset $ds: $rows rows, $(cat "$ds.shares")"
  bw=() bc=() br=() dw=() dc=() dr=() rc=() rw=()
  for ((i = 1; i <= pairs; i++)); do
    order=(build duckdb)
    ((i % 2)) || order=(duckdb build)
    for cmd in "${order[@]}"; do
      if [ "$cmd" = build ]; then
        measure "$work/$name.build.$i.log" "$work/exposure" build "$ds" --out "$work/report-$name" "${build_args[@]}"
        bw+=("$wall") bc+=("$cpu") br+=("$rss")
      else
        measure "$work/$name.duckdb.$i.log" node bench/analyst.mjs "$ds" "$work/analyst-$name"
        dw+=("$wall") dc+=("$cpu") dr+=("$rss")
      fi
      echo "  $rows rows, pair $i/$pairs, $cmd: wall $wall s, CPU $cpu s, peak RSS $rss MiB (load $(loadavg))" >&2
    done
    rc+=("$(awk -v a="${bc[-1]}" -v b="${dc[-1]}" 'BEGIN {printf "%.3f", a / b}')")
    rw+=("$(awk -v a="${bw[-1]}" -v b="${dw[-1]}" 'BEGIN {printf "%.3f", a / b}')")
  done
  table+=("$(printf '%-11s %7s %10s %11s %11s %12s %12s %13s %12s %12s' "$rows" "$periods" \
    "$(median "${bc[@]}")" "$(median "${bw[@]}")" "$(median "${dc[@]}")" "$(median "${dw[@]}")" \
    "$(median "${rc[@]}")" "$(median "${rw[@]}")" "$(maximum "${br[@]}")" "$(maximum "${dr[@]}")")")
done
echo "load average after: $(loadavg)"
echo
printf '%-11s %7s %10s %11s %11s %12s %12s %13s %12s %12s\n' rows periods "build CPU" "build wall" "duckdb CPU" "duckdb wall" \
  "CPU ratio" "wall ratio" "build RSS" "duckdb RSS"
printf '%s\n' "${table[@]}"
echo "(seconds; medians of $pairs runs each; ratios are the median of the pairwise build / DuckDB; RSS is the largest peak, MiB)"
