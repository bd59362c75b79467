#!/usr/bin/env bash
# Times `exposure build` against what an analyst would otherwise run (bench/analyst.mjs: DuckDB SQL
# over the same CSVs) on synthesized datasets of growing size, side by side in one run, and prints a
# table: rows, seconds and peak RSS of each, and the ratio of the times.
#
# Usage: bench/run.sh [ROWS...]        default: 100000 1000000 10000000
# Needs: go, node with `npm install` done at the repository root, /usr/bin/time (Debian package time).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000 10000000)
work=${BENCH_DIR:-bench/out}
mkdir -p "$work"
go build -o "$work/exposure" ./cmd/exposure
[ -d node_modules/@duckdb/node-api ] || npm install --no-audit --no-fund >/dev/null

countries=249
per_period=$((countries * 8 * 8)) # org types x metrics
measure() { # measure LOG CMD... -> prints "seconds rss_mib"
  local log=$1; shift
  /usr/bin/time -v "$@" >"$log" 2>&1 || { cat "$log" >&2; return 1; }
  awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=(n==3)?t[1]*3600+t[2]*60+t[3]:t[1]*60+t[2]}
              /Maximum resident set size/ {r=$2/1024} END {printf "%.2f %.0f\n", s, r}' "$log"
}

printf '%-11s %9s %10s %11s %12s %7s %14s %14s\n' rows periods tables "build s" "duckdb s" ratio "build RSS MiB" "duckdb RSS MiB"
for want in "${sizes[@]}"; do
  periods=$(( (want + per_period - 1) / per_period ))
  ds="$work/synth-$periods"
  [ -f "$ds/dataset.yaml" ] || "$work/exposure" synth --out "$ds" --periods "$periods" --countries "$countries" --seed 1 >/dev/null
  rows=$((periods * per_period))
  read -r bs brss < <(measure "$work/build-$periods.log" "$work/exposure" build "$ds" --out "$work/report-$periods")
  read -r ds_s drss < <(measure "$work/duckdb-$periods.log" node bench/analyst.mjs "$ds" "$work/analyst-$periods")
  ratio=$(awk -v a="$bs" -v b="$ds_s" 'BEGIN {printf "%.2f", a / b}')
  printf '%-11s %9s %10s %11s %12s %7s %14s %14s\n' "$rows" "$periods" $((periods * 8)) "$bs" "$ds_s" "$ratio" "$brss" "$drss"
done
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go version | cut -d' ' -f3), $(node --version), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
