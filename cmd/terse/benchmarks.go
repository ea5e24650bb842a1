package main

import (
	"os"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/lab"
)

// dataDirEnv names the environment variable that points at a data directory
// laid out like ../shared/data, for built-in sets not embedded in the
// binary (gsm8k).
const dataDirEnv = "TERSE_DATA_DIR"

// loadBenchmark resolves a benchmark name or a file path into problems: a lab
// benchmark (lab-arith, lab-add, lab-sort) is generated, a built-in set
// (bench.Names: aime24, aime25, amc23, math500, minerva, olympiadbench, …)
// loads from the binary, gsm8k from $TERSE_DATA_DIR, and anything else is
// read as a problem file (JSON, JSONL or Parquet with "problem" and "answer"
// fields, see bench.LoadFile).
func loadBenchmark(name string) ([]bench.Problem, error) {
	if ps, ok := lab.Benchmark(name); ok {
		return ps, nil
	}
	return bench.Open(name, os.Getenv(dataDirEnv), bench.FieldMap{})
}
