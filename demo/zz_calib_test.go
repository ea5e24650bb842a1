package demo

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/lab"
	"github.com/terse-dev/terse/rl"
)

func TestZZCalib(t *testing.T) {
	dir := os.Getenv("DEMO_CALIB")
	if dir == "" {
		t.Skip()
	}
	m, tok, err := LoadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := newSampler(m, tok)
	for _, fam := range lab.Families() {
		for lvl := 1; lvl <= 5; lvl++ {
			ps, _ := lab.TrainSplitLevels(fam, []int{lvl}, 12, 7)
			out, err := s.sample(context.Background(), m, ps, 8, model.SampleOptions{Temperature: 1, TopP: 1, MaxNewTokens: 256}, 1)
			if err != nil {
				t.Fatal(err)
			}
			c, easy, n, L := 0, 0, 0, 0
			for _, g := range out {
				k := 0
				for _, o := range g {
					n++
					L += o.tokens
					if o.correct {
						c++
						k++
					}
				}
				if k > 4 {
					easy++
				}
			}
			fmt.Printf("%s L%d pass %.2f easy %d/12 len %.0f\n", fam, lvl, float64(c)/float64(n), easy, float64(L)/float64(n))
		}
	}
	if os.Getenv("DEMO_STEP") == "" {
		return
	}
	train, _ := lab.TrainSplit(lab.Arith, 64, 1)
	c := rl.Default()
	c.Data.Difficulty = "all"
	c.Rollout.PromptsPerStep = 8
	c.Run.Steps = 3
	c.Run.Out = t.TempDir()
	c.Eval.Every = 0
	res, err := rl.Train(context.Background(), rl.TrainInputs{Config: c, Policy: m, Tokenizer: tok, Train: train, Progress: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	_ = res
}

func TestZZPeek(t *testing.T) {
	dir := os.Getenv("DEMO_CALIB")
	if dir == "" {
		t.Skip()
	}
	m, tok, _ := LoadModel(dir)
	ps, _ := lab.TrainSplitLevels(lab.Arith, []int{1}, 2, 7)
	for _, p := range ps {
		seqs, _ := m.Generate(context.Background(), [][]int32{tok.Encode(p.Question)}, model.SampleOptions{Temperature: 0.6, TopP: 0.95, TopK: 20, MaxNewTokens: 300, StopTokens: []int32{0}})
		fmt.Printf("Q: %s gold %v\n%s\n---\n", p.Question, p.Gold, tok.Decode(seqs[0].Tokens))
	}
}
