#!/usr/bin/env bash
# Trains the pretrained EPS model (models/eps-gru) from the reference training series with the
# reference settings, writes its README from the metadata, and checks it on the other series.
# Usage: scripts/train-eps-model.sh [path/to/timeseries1.csv]   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."

INPUT="${1:-../shared/data/eps/timeseries1.csv}"
OUT=models/eps-gru
ARGS=(--input "$INPUT" --out "$OUT" --kind gru --seq-step 5 --units 50 --scaler minmax
  --epochs 300 --patience 30 --batch-size 32 --validation-split 0.1 --noise 0.02
  --threshold max --seed 42 --backend wasm --plot "$OUT/loss.png")

[ -f dist/src/cli/index.js ] || npm run build
rm -rf "$OUT"
node bin/anomalyd.js train "${ARGS[@]}"

COMMAND="node bin/anomalyd.js train ${ARGS[*]}"
CHECK="$(node scripts/check-eps-model.mjs "$OUT" "$(dirname "$INPUT")" 2>/dev/null || true)"
COMMAND="$COMMAND" CHECK="$CHECK" OUT="$OUT" node --input-type=module -e '
import { readFileSync, writeFileSync } from "node:fs";
const { modelReadme } = await import("./dist/src/model/readme.js");
const meta = JSON.parse(readFileSync(`${process.env.OUT}/anomalyd.json`, "utf8"));
const notes = readFileSync("scripts/eps-model-notes.md", "utf8") +
  "\n## Check on the reference series\n\nOutput of `node scripts/check-eps-model.mjs " + process.env.OUT + "` at training time:\n\n```\n" +
  process.env.CHECK.trim() + "\n```\n\n![training loss](loss.png)\n";
writeFileSync(`${process.env.OUT}/README.md`, modelReadme(meta, { title: "eps-gru: pretrained EPS model", command: process.env.COMMAND, notes }));
'
echo "$CHECK"
echo "wrote $OUT (model.json, weights.bin, anomalyd.json, README.md, loss.png)"
