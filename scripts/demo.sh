#!/usr/bin/env bash
# `make demo`: the main job on the embedded default — synthetic regional data, a year of monthly SHMI
# publications on DuckDB, published — then the dashboard. Re-running reuses the generated data.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-demo-output}
BIN=.venv/bin
mkdir -p "$OUT"
DATA="$OUT/data"
if [ ! -f "$DATA/truth/settings.json" ]; then
  echo "== generating synthetic regional HES and ONS data (about a minute) into $DATA"
  rm -rf "$DATA"
  $BIN/hospmort synth --out "$DATA" --scale regional
fi
PERIOD_END=$($BIN/python -c "import json,sys; print(json.load(open(sys.argv[1]))['end'])" "$DATA/truth/settings.json")
echo "== computing 12 monthly publications ending $PERIOD_END (each with its own 36-month models)"
$BIN/hospmort run --data "$DATA" --period-end "$PERIOD_END" --history 12 --publish \
  --db "$OUT/hospmort.duckdb" --out "$OUT/publications" --memory-limit 12GB
$BIN/hospmort publications --db "$OUT/hospmort.duckdb"
echo "== limits for the twelve-trust worked example of the SHMI methodology (hospmort funnel)"
$BIN/python - "$OUT/worked_example.csv" <<'PY'
import sys
rows = [("T01", 412, 455.315), ("T02", 1620, 1402.774), ("T03", 865, 871.2049), ("T04", 1985, 2316.455),
        ("T05", 298, 251.9), ("T06", 640, 662.5), ("T07", 1105, 1098.3), ("T08", 980, 912.846),
        ("T09", 745, 801.1), ("T10", 1890, 1795.0), ("T11", 505, 532.25), ("T12", 640, 662.5)]
with open(sys.argv[1], "w") as handle:
    handle.write("PROVIDER_CODE,OBSERVED,EXPECTED\n")
    handle.writelines(f"{u},{o},{e}\n" for u, o, e in rows)
PY
$BIN/hospmort funnel --input "$OUT/worked_example.csv" --output "$OUT/worked_example_limits.csv" \
  --summary "$OUT/worked_example_summary.json"
echo
echo "publication files:    $OUT/publications/"
echo "results database:     $OUT/hospmort.duckdb"
echo "synthetic input data: $DATA/ (planted truth in $DATA/truth/)"
echo "== serving the dashboard (Ctrl-C to stop)"
$BIN/hospmort serve --db "$OUT/hospmort.duckdb" --host "${HOSPMORT_HOST:-127.0.0.1}" --port "${HOSPMORT_PORT:-8000}"
