package llamacpp_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/terse-dev/terse/engine/checkpoint"
	"github.com/terse-dev/terse/engine/gguf/llamacpp"
	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/lab"
)

// benchThreads is the thread count both engines get in the comparison.
const benchThreads = 2

// libDir finds llama.cpp's libraries ($TERSE_LLAMACPP_LIB, else where
// scripts/fetch-llamacpp.sh puts them). Missing libraries fail under CI=true
// when failInCI, and skip otherwise.
func libDir(tb testing.TB, failInCI bool) string {
	tb.Helper()
	dir := os.Getenv("TERSE_LLAMACPP_LIB")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", ".cache", "llamacpp", "node_modules", "@node-llama-cpp", "linux-x64", "bins", "linux-x64")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "libllama*.so")); len(m) == 0 {
		msg := fmt.Sprintf("llama.cpp libraries not found in %s: run scripts/fetch-llamacpp.sh (or set TERSE_LLAMACPP_LIB)", dir)
		if failInCI && os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return dir
}

// setup loads lab-base, exports it to an F32 GGUF and loads that in llama.cpp.
func setup(tb testing.TB, failInCI bool) (*model.Model, *llamacpp.Model, []int32) {
	tb.Helper()
	lib, err := llamacpp.Open(libDir(tb, failInCI), os.Getenv("TERSE_LLAMACPP_VERBOSE") != "")
	if errors.Is(err, llamacpp.ErrNoCgo) && !(failInCI && os.Getenv("CI") == "true") {
		tb.Skip(err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	m, tok, err := lab.LoadModel("lab-base")
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "lab-base.gguf")
	if err := checkpoint.ExportGGUF(path, m, tok, checkpoint.GGUFOptions{}); err != nil {
		tb.Fatal(err)
	}
	lm, err := lib.LoadModel(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(lm.Close)
	return m, lm, tok.Encode("<think>12+30=")
}

func terseGreedy(ctx context.Context, m *model.Model, prompt []int32, nSeq, nNew int) ([]*model.Sequence, error) {
	prompts := make([][]int32, nSeq)
	for i := range prompts {
		prompts[i] = prompt
	}
	return m.Generate(ctx, prompts, model.SampleOptions{Temperature: 0, MaxNewTokens: nNew})
}

// TestGenerateGreedyMatchesTerse checks that llama.cpp's batched greedy
// decoding of the exported GGUF yields terse's greedy tokens.
func TestGenerateGreedyMatchesTerse(t *testing.T) {
	m, lm, prompt := setup(t, true)
	const nSeq, nNew = 4, 24
	got, err := lm.GenerateGreedy(prompt, nSeq, nNew, benchThreads)
	if err != nil {
		t.Fatal(err)
	}
	seqs, err := terseGreedy(t.Context(), m, prompt, nSeq, nNew)
	if err != nil {
		t.Fatal(err)
	}
	for s := range nSeq {
		want := seqs[s].Tokens
		if len(want) > len(got[s]) {
			want = want[:len(got[s])]
		}
		// terse may stop early at a stop token; compare what both produced.
		for i := range want {
			if want[i] != got[s][i] {
				t.Fatalf("seq %d token %d: llama.cpp %d, terse %d (llama %v, terse %v)", s, i, got[s][i], want[i], got[s], want)
			}
		}
		if len(want) < 8 {
			t.Fatalf("seq %d: only %d tokens compared", s, len(want))
		}
		if s > 0 && fmt.Sprint(got[s]) != fmt.Sprint(got[0]) {
			t.Errorf("llama.cpp seq %d differs from seq 0 for the same prompt", s)
		}
	}
}

// BenchmarkBatchedSampling measures greedy generated tokens/s for 32 and 256
// concurrent sequences × 128 new tokens of lab-base, in terse and in
// llama.cpp on the GGUF exported from the same weights, both on 2 threads.
func BenchmarkBatchedSampling(b *testing.B) {
	m, lm, prompt := setup(b, false)
	const nNew = 128
	for _, nSeq := range []int{32, 256} {
		b.Run(fmt.Sprintf("terse/seqs=%d", nSeq), func(b *testing.B) {
			var toks int
			for b.Loop() {
				seqs, err := terseGreedy(b.Context(), m, prompt, nSeq, nNew)
				if err != nil {
					b.Fatal(err)
				}
				for _, s := range seqs {
					toks += len(s.Tokens)
				}
			}
			b.ReportMetric(float64(toks)/b.Elapsed().Seconds(), "tokens/s")
		})
		b.Run(fmt.Sprintf("llamacpp/seqs=%d", nSeq), func(b *testing.B) {
			var toks int
			for b.Loop() {
				out, err := lm.GenerateGreedy(prompt, nSeq, nNew, benchThreads)
				if err != nil {
					b.Fatal(err)
				}
				toks += nSeq * nNew
				_ = out
			}
			b.ReportMetric(float64(toks)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
