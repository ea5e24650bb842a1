package batch

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/terse-dev/terse/grade"
)

// BenchmarkGradeJSONL measures JSONL throughput on boxed-integer rollouts.
func BenchmarkGradeJSONL(b *testing.B) {
	var in bytes.Buffer
	const n = 2000
	for i := range n {
		fmt.Fprintf(&in, `{"id":%d,"gold":["%d"],"response":"Let me think step by step. %s So the answer is \\boxed{%d}."}`+"\n",
			i, i, strings.Repeat("We add the numbers and check the result. ", 20), i+i%2)
	}
	o := Options{Workers: 2, GoldField: "gold", ResponseField: "response", Grade: grade.DefaultOptions()}
	b.SetBytes(int64(in.Len()))
	for b.Loop() {
		if _, err := JSONL(b.Context(), bytes.NewReader(in.Bytes()), io.Discard, o); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "grades/s")
}
