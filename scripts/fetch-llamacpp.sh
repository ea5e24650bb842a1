#!/usr/bin/env bash
# Fetches llama.cpp's prebuilt CPU libraries (npm @node-llama-cpp/linux-x64,
# llama.cpp release v0.5.0) into .cache/llamacpp and prints the directory
# that holds libllama. engine/checkpoint's llama.cpp comparison test looks
# there, or in $TERSE_LLAMACPP_LIB.
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=".cache/llamacpp"
lib="$pkg/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
if [ ! -f "$lib/libllama.v0.5.0.so" ]; then
	mkdir -p "$pkg"
	npm install --silent --no-audit --no-fund --prefix "$pkg" @node-llama-cpp/linux-x64@3.22.1
fi
# The unversioned names some loaders (e.g. yzma) look for.
ln -sf libllama.v0.5.0.so "$lib/libllama.so"
ln -sf libggml.v0.5.0.so "$lib/libggml.so"
echo "$(cd "$lib" && pwd)"
