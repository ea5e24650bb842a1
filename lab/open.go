package lab

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/terse-dev/terse/bench"
)

// TrainPrefix starts a lab training-split spec: lab-train:FAMILY:N[:SEED].
const TrainPrefix = "lab-train:"

// Open resolves a problem spec: a lab training split
// (lab-train:FAMILY:N[:SEED], seed 1 by default), a lab benchmark (see
// Benchmark), or anything bench.Open takes (a built-in set, gsm8k from
// dataDir, or a problem file read with fields). isLab reports a lab spec.
func Open(spec, dataDir string, fields bench.FieldMap) (ps []bench.Problem, isLab bool, err error) {
	if rest, ok := strings.CutPrefix(spec, TrainPrefix); ok {
		parts := strings.Split(rest, ":")
		if len(parts) < 2 || len(parts) > 3 {
			return nil, true, fmt.Errorf("input %q: want lab-train:FAMILY:N[:SEED]", spec)
		}
		n, err := strconv.Atoi(parts[1])
		if err != nil || n < 1 {
			return nil, true, fmt.Errorf("input %q: N %q is not a positive count", spec, parts[1])
		}
		seed := uint64(1)
		if len(parts) == 3 {
			if seed, err = strconv.ParseUint(parts[2], 10, 64); err != nil {
				return nil, true, fmt.Errorf("input %q: SEED %q is not a non-negative integer", spec, parts[2])
			}
		}
		ps, err := TrainSplit(parts[0], n, seed)
		if err != nil {
			return nil, true, fmt.Errorf("input %q: %w", spec, err)
		}
		return ps, true, nil
	}
	if ps, ok := Benchmark(spec); ok {
		return ps, true, nil
	}
	ps, err = bench.Open(spec, dataDir, fields)
	return ps, false, err
}
