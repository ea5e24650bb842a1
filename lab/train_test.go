package lab

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/terse-dev/terse/engine/model"
)

func microOptions() TrainOptions {
	o := DefaultTrainOptions()
	o.Size, o.Steps, o.BatchTokens, o.LR, o.Warmup = "micro", 30, 2048, 1e-2, 5
	return o
}

func TestTrainBaseLossFalls(t *testing.T) {
	o := microOptions()
	var seen int
	o.Progress = func(TrainStep) { seen++ }
	r, err := TrainBase(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Steps) != o.Steps || seen != o.Steps {
		t.Fatalf("%d steps recorded, %d reported, want %d", len(r.Steps), seen, o.Steps)
	}
	first, last := r.Steps[0].Loss, r.Steps[len(r.Steps)-1].Loss
	// ln(53) ≈ 3.97 at random init; unigram statistics alone reach ≈ 3.
	if first < 3.5 || last > 0.8*first {
		t.Fatalf("loss %.3f → %.3f, want a start near ln V and a fall of at least 20%%", first, last)
	}
	for _, s := range r.Steps {
		if s.Tokens == 0 || s.Seqs == 0 || s.Tokens > o.BatchTokens {
			t.Fatalf("step %d: %d tokens in %d sequences (batch cap %d)", s.Step, s.Tokens, s.Seqs, o.BatchTokens)
		}
	}
	// The same options train the same model.
	o.Progress = nil
	r2, err := TrainBase(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Steps[len(r2.Steps)-1].Loss != last {
		t.Errorf("two runs with seed %d end at losses %v and %v", o.Seed, last, r2.Steps[len(r2.Steps)-1].Loss)
	}
}

func TestTrainBaseOptions(t *testing.T) {
	mod := []func(*TrainOptions){
		func(o *TrainOptions) { o.Steps = 0 },
		func(o *TrainOptions) { o.BatchTokens = 100 },
		func(o *TrainOptions) { o.LR = 0 },
		func(o *TrainOptions) { o.ConciseShare = 2 },
		func(o *TrainOptions) { o.Family = "chess" },
	}
	for i, f := range mod {
		o := microOptions()
		f(&o)
		if _, err := TrainBase(context.Background(), o); !errors.Is(err, ErrTrainOptions) {
			t.Errorf("case %d: err %v, want ErrTrainOptions", i, err)
		}
	}
	o := microOptions()
	o.Size = "huge"
	if _, err := TrainBase(context.Background(), o); err == nil {
		t.Error("size huge: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := TrainBase(ctx, microOptions()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err %v, want context.Canceled", err)
	}
}

func TestPackBatch(t *testing.T) {
	seqs := []example{{ids: []int32{5, 6, 1, 7, 0}, prompt: 2}, {ids: []int32{9, 1, 0}, prompt: 1}}
	b, n := packBatch(seqs, 5, 0)
	wantTargets := []int32{-1, 1, 7, 0, -1, 1, 0, -1, -1, -1}
	wantMask := []float32{1, 1, 1, 1, 1, 1, 1, 1, 0, 0}
	for i := range wantTargets {
		if b.Targets[i] != wantTargets[i] || b.Mask[i] != wantMask[i] {
			t.Fatalf("targets %v mask %v, want %v %v", b.Targets, b.Mask, wantTargets, wantMask)
		}
	}
	if n != 5 {
		t.Errorf("%d targets, want 5", n)
	}
}

func TestTokenizerCoversLab(t *testing.T) {
	tok, err := Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	if v := tok.VocabSize(); v > 80 {
		t.Errorf("vocabulary %d, want <= 80", v)
	}
	ps, _ := TrainSplit(AllFamilies, 30, 4)
	for _, p := range ps {
		tr, _ := Verbose(p, newRNG(4, p.ID))
		s := FormatPrompt(p.Question) + tr + EndOfText
		ids := tok.Encode(s)
		if len(ids) != TokenLen(s) {
			t.Fatalf("%s: tokenizer gives %d tokens, TokenLen %d", p.ID, len(ids), TokenLen(s))
		}
		if got := tok.Decode(ids); got != s {
			t.Fatalf("%s: decode(encode(s)) differs:\n%q\n%q", p.ID, got, s)
		}
	}
}

func TestTrainBaseSnapshotAndDuration(t *testing.T) {
	o := microOptions()
	o.Steps, o.SnapshotEvery = 6, 2
	var snaps []int
	o.Snapshot = func(step int, m *model.Model) error {
		if m == nil || len(m.Slab()) == 0 {
			t.Errorf("snapshot %d: no model", step)
		}
		snaps = append(snaps, step)
		return nil
	}
	if _, err := TrainBase(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(snaps, []int{2, 4, 6}) {
		t.Errorf("snapshots at %v, want [2 4 6]", snaps)
	}
	o.Snapshot = func(int, *model.Model) error { return errors.New("disk full") }
	if _, err := TrainBase(context.Background(), o); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("failing snapshot: err %v", err)
	}
	o.Snapshot, o.Steps, o.MaxDuration = nil, 1000, time.Nanosecond
	r, err := TrainBase(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Steps) >= o.Steps {
		t.Errorf("MaxDuration 1ns: %d steps ran, want an early stop", len(r.Steps))
	}
}
