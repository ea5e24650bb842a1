package data

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/terse-dev/terse/engine/checkpoint"
	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/eval/sampler"
	"github.com/terse-dev/terse/grade"
	"github.com/terse-dev/terse/lab"
)

// microModel returns a randomly initialised micro lab model and the lab
// tokenizer: a real engine model, untrained.
func microModel(t testing.TB) (*model.Model, *model.Config) {
	t.Helper()
	tok, err := lab.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := lab.BaseConfig("micro", tok.VocabSize())
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.InitRandom(7, 0.5)
	return m, &cfg
}

// TestLocalMatchesGenerate: concurrent Do calls, batched together, give
// exactly what model.GenerateEach gives for each request alone.
func TestLocalMatchesGenerate(t *testing.T) {
	m, _ := microModel(t)
	tok, _ := lab.Tokenizer()
	l := NewLocal(m, tok, 3) // fewer slots than requests: admission between steps
	defer l.Close()
	prompts := []string{"2+3=?", "sort 321", "7*8-1=?", "add 45 and 9", "1+1=?"}
	resps := make([]sampler.Response, len(prompts))
	errs := make([]error, len(prompts))
	var wg sync.WaitGroup
	for i, p := range prompts {
		wg.Go(func() {
			resps[i], errs[i] = l.Do(context.Background(), sampler.Request{
				API: sampler.APICompletions, Prompt: p, MaxTokens: 12 + 5*i, Temperature: 1, TopP: 1, Seed: int64(100 + i)})
		})
	}
	wg.Wait()
	stops := []int32{tok.Special().EOS}
	for i, p := range prompts {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		want, err := m.GenerateEach(context.Background(), []model.Request{{Prompt: tok.Encode(p), Options: model.SampleOptions{
			Temperature: 1, TopP: 1, Seed: uint64(100 + i), MaxNewTokens: 12 + 5*i, StopTokens: stops}}})
		if err != nil {
			t.Fatal(err)
		}
		w := want[0]
		text := w.Tokens
		if w.FinishReason == model.FinishStop {
			text = text[:len(text)-1]
		}
		r := resps[i]
		if r.CompletionTokens != len(w.Tokens) || r.FinishReason != w.FinishReason || r.Content != tok.Decode(text) || r.PromptTokens != len(tok.Encode(p)) {
			t.Errorf("prompt %d: local %+v\nwant tokens %d finish %s content %q", i, r, len(w.Tokens), w.FinishReason, tok.Decode(text))
		}
		if r.CompletionTokens > 12+5*i {
			t.Errorf("prompt %d: %d tokens over max %d", i, r.CompletionTokens, 12+5*i)
		}
	}
}

func TestLocalErrors(t *testing.T) {
	m, _ := microModel(t)
	tok, _ := lab.Tokenizer()
	l := NewLocal(m, tok, 0)
	if _, err := l.Do(context.Background(), sampler.Request{Prompt: "1+1=?", System: "be brief", MaxTokens: 4}); err == nil {
		t.Error("system prompt accepted")
	}
	if _, err := l.Do(context.Background(), sampler.Request{Prompt: "", MaxTokens: 4, TopP: 1}); err == nil {
		t.Error("empty prompt accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Do(ctx, sampler.Request{Prompt: "1+1=?", MaxTokens: 4, TopP: 1}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
	l.Close()
	if _, err := l.Do(context.Background(), sampler.Request{Prompt: "1+1=?", MaxTokens: 4, TopP: 1}); !errors.Is(err, ErrLocalClosed) {
		t.Errorf("after Close: err = %v", err)
	}
}

// TestProfileLocalCheckpoint profiles lab test problems with a checkpoint
// saved and loaded the way `terse profile --checkpoint` does it. The
// untrained model solves nothing, so every prompt is never-solved and
// Hard; the test checks the plumbing, lengths and truncation accounting.
func TestProfileLocalCheckpoint(t *testing.T) {
	m, _ := microModel(t)
	tok, _ := lab.Tokenizer()
	dir := filepath.Join(t.TempDir(), "ckpt")
	if err := checkpoint.Save(dir, m, tok); err != nil {
		t.Fatal(err)
	}
	m2, tok2, err := checkpoint.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	l := NewLocal(m2, tok2, 16)
	defer l.Close()
	ps, err := lab.TrainSplit("add", 6, 3)
	if err != nil {
		t.Fatal(err)
	}
	recs, sum, rs, err := Profile(context.Background(), ProfileOptions{
		Problems: ps, RolloutLimit: 24, GroupSize: 4, Concurrency: 16, Client: l,
		Sampling: eval.Sampling{Model: "micro", API: eval.APICompletions, PromptTemplate: "{question}", Temperature: 1, TopP: 1},
		Grade:    Grader(grade.DefaultOptions()), OutDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if rs.Sampled != 24 || len(recs) != 6 || sum.Rollouts != 24 {
		t.Fatalf("sampled %d, %d records, summary %+v", rs.Sampled, len(recs), sum)
	}
	if sum.NeverSolved != 6 || sum.Hard != 6 || sum.Density.Full.RolloutDensity != 0 {
		t.Errorf("an untrained model solved something: %+v", sum)
	}
	for _, r := range recs {
		if r.Truncated+r.IncorrectLength.Count != r.Samples {
			t.Errorf("%s: %d truncated + %d wrong != %d samples", r.ID, r.Truncated, r.IncorrectLength.Count, r.Samples)
		}
	}
}
