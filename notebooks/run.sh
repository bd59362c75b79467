#!/usr/bin/env bash
# Executes the notebooks in place with the JavaScript kernel jslab (npm package tslab), so that their
# saved outputs are those of the report folders they read. Idempotent: installs the npm packages of
# package-lock.json only when they are missing, and rewrites the kernel spec under node_modules/.jupyter
# on every run (nothing is installed outside the repository).
#
#   bash notebooks/run.sh                 # execute notebooks/pacs-2019.ipynb in place
#   bash notebooks/run.sh --check         # execute a copy; fail if its outputs differ from the saved ones
#   bash notebooks/run.sh [--check] X.ipynb ...
#
# Needs node and npm, and Debian's Jupyter: apt-get install jupyter-nbconvert jupyter-client python3-ipykernel.
# PYTHON may name another Python with jupyter_client and nbconvert (default: Debian's /usr/bin/python3).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-/usr/bin/python3}"

check=false
if [ "${1:-}" = "--check" ]; then
  check=true
  shift
fi
notebooks=("$@")
[ ${#notebooks[@]} -gt 0 ] || notebooks=(pacs-2019.ipynb)

cd "$root"
if [ ! -x node_modules/.bin/tslab ] || [ ! -d node_modules/@duckdb/node-api ]; then
  # npm install, not npm ci: the lock file lists the DuckDB bindings of this platform only, which npm ci
  # rejects; npm install installs exactly the locked versions and leaves the lock file as it is.
  npm install --no-audit --no-fund
fi

kernels="$root/node_modules/.jupyter"
node_modules/.bin/tslab install --python="$python" --binary="$root/node_modules/.bin/tslab" --prefix="$kernels" >/dev/null
export JUPYTER_PATH="$kernels/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"

# record_timing=False keeps wall-clock timestamps out of the saved notebook.
nbconvert() {
  "$python" -m nbconvert --to notebook --execute \
    --ExecutePreprocessor.kernel_name=jslab \
    --ExecutePreprocessor.timeout=60 \
    --ExecutePreprocessor.record_timing=False \
    "$@"
}

# execute runs nbconvert; when a cell fails, tslab's error reaches nbconvert without its message, so
# the notebook is run once more with errors allowed and the cells' stderr is printed.
execute() {
  if nbconvert "$@"; then
    return 0
  fi
  local nb="${!#}" out
  out="$(mktemp -d)"
  nbconvert --allow-errors --output-dir="$out" --output=failed.ipynb "$nb" >/dev/null 2>&1 || true
  "$python" - "$out/failed.ipynb" >&2 <<'PY' || true
import json, sys
for cell in json.load(open(sys.argv[1]))["cells"]:
    for o in cell.get("outputs", []):
        if o.get("name") == "stderr":
            print(f"--- cell {cell.get('id')}:\n" + "".join(o["text"]))
PY
  rm -rf "$out"
  return 1
}

cd notebooks
status=0
for nb in "${notebooks[@]}"; do
  if $check; then
    tmp="$(mktemp -d)"
    execute --output-dir="$tmp" --output=checked.ipynb "$nb" || { status=1; rm -rf "$tmp"; continue; }
    if ! diff -u "$nb" "$tmp/checked.ipynb" >"$tmp/diff"; then
      echo "$nb: saved outputs differ from a fresh run; run bash notebooks/run.sh and commit the notebook" >&2
      head -n 60 "$tmp/diff" >&2
      status=1
    fi
    rm -rf "$tmp"
  else
    execute --inplace "$nb" || status=1
  fi
done
exit $status
