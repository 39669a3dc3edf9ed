#!/usr/bin/env bash
# `make demo`: the main job on the embedded default. It grows as features land.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-demo-output}
BIN=.venv/bin
mkdir -p "$OUT"
echo "== hospmort demo: limits for the twelve-trust worked example of the SHMI methodology"
cat > "$OUT/worked_example.csv" <<'CSV'
PROVIDER_CODE,OBSERVED,EXPECTED
T01,412,455.315
T02,1620,1402.774
T03,865,871.2049
T04,1985,2316.455
T05,298,251.9
T06,640,662.5
T07,1105,1098.3
T08,980,912.846
T09,745,801.1
T10,1890,1795.0
T11,505,532.25
T12,640,662.5
CSV
$BIN/hospmort funnel --input "$OUT/worked_example.csv" --output "$OUT/worked_example_limits.csv" \
  --summary "$OUT/worked_example_summary.json"
column -s, -t < "$OUT/worked_example_limits.csv" | cut -c1-150 || cat "$OUT/worked_example_limits.csv"
echo "files are in $OUT/"
