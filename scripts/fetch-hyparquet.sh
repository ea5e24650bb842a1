#!/usr/bin/env bash
# Fetches hyparquet (npm, a pure-JavaScript Parquet reader independent of
# terse's Go writer) into .cache/hyparquet and prints its directory. data's
# verl export test reads terse's parquet back with it (through node), or
# with the package in $TERSE_HYPARQUET.
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=".cache/hyparquet"
if [ ! -f "$pkg/node_modules/hyparquet/package.json" ]; then
	mkdir -p "$pkg"
	npm install --silent --no-audit --no-fund --prefix "$pkg" hyparquet@1.33.0
fi
echo "$(cd "$pkg/node_modules/hyparquet" && pwd)"
