#!/usr/bin/env bash
# Regenerate the committed example certificates: proofs/NAME.refined.json and proofs/NAME.cert.json
# for each folder under examples/ that holds policy.json, unused.json and a catalog file.
set -euo pipefail
cd "$(dirname "$0")/.."
for dir in examples/*/; do
  name=$(basename "$dir")
  catalog=$(ls "$dir"catalog-*.json | head -n 1)
  verify-refine refine "$dir/policy.json" --unused "$dir/unused.json" --catalog "$catalog" \
    -o "proofs/$name.refined.json" --certificate "proofs/$name.cert.json"
done
