package lab

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/engine/tokenizer"
)

// Tokenizer returns the lab's char-level tokenizer: the special tokens
// <|endoftext|> (id 0, end of sequence and padding), <think> (1) and
// </think> (2), then one token per character of Alphabet.
func Tokenizer() (*tokenizer.CharLevel, error) {
	tok, err := tokenizer.NewCharLevel(tokenizer.CharConfig{
		Specials: []string{EndOfText, ThinkOpen, ThinkClose},
		Alphabet: Alphabet,
		EOS:      EndOfText,
	})
	if err != nil {
		return nil, fmt.Errorf("lab: tokenizer: %w", err)
	}
	return tok, nil
}

// Sizes lists the base-model size presets of BaseConfig, smallest first.
func Sizes() []string { return []string{"micro", "tiny", "small"} }

// BaseConfig returns the Qwen3 configuration of a size preset for the lab
// tokenizer's vocabulary and a 1024-token context:
//
//	micro  1 layer,  C=32,  2/1 heads, F=96   (tests)
//	tiny   2 layers, C=128, 4/2 heads, F=384  (≈0.4M parameters; the default)
//	small  4 layers, C=192, 6/2 heads, F=576  (≈1.8M parameters)
func BaseConfig(size string, vocab int) (model.Config, error) {
	c := model.TinyConfig()
	c.VocabSize = vocab
	c.BOSTokenID = 0
	c.EOSTokenID = model.TokenIDs{0}
	c.MaxPositionEmbeddings = 1024
	c.TieWordEmbeddings = false
	switch size {
	case "micro":
		c.NumHiddenLayers, c.HiddenSize, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim, c.IntermediateSize = 1, 32, 2, 1, 16, 96
	case "tiny":
	case "small":
		c.NumHiddenLayers, c.HiddenSize, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim, c.IntermediateSize = 4, 192, 6, 2, 32, 576
	default:
		return model.Config{}, fmt.Errorf("lab: unknown model size %q (want one of %v)", size, Sizes())
	}
	if err := c.Validate(); err != nil {
		return model.Config{}, fmt.Errorf("lab: size %s: %w", size, err)
	}
	return c, nil
}

// TrainOptions configures TrainBase, the supervised training of the lab's
// base reasoner on verbose teacher traces.
type TrainOptions struct {
	// Size is the model preset (see BaseConfig); "" means "tiny".
	Size string `json:"size"`
	// Family is the task family trained on, or AllFamilies ("" means all).
	Family string `json:"family"`
	// Steps is the number of optimizer steps.
	Steps int `json:"steps"`
	// BatchTokens caps the tokens of one step, padding included (B·T).
	BatchTokens int `json:"batch_tokens"`
	// LR is the peak learning rate; warmup is Warmup steps, then cosine
	// decay to MinLRRatio·LR at Steps.
	LR         float32 `json:"lr"`
	Warmup     int     `json:"warmup"`
	MinLRRatio float32 `json:"min_lr_ratio"`
	// WeightDecay is AdamW's decoupled weight decay on matrices.
	WeightDecay float32 `json:"weight_decay"`
	// ClipNorm is the global gradient-norm clip (0 off).
	ClipNorm float32 `json:"clip_norm"`
	// ConciseShare is the fraction of training traces written concise
	// instead of verbose (0: every trace verbose, as a real base model's
	// training data).
	ConciseShare float64 `json:"concise_share"`
	// Seed drives initialisation, problems and the teacher's styles.
	Seed uint64 `json:"seed"`
	// MaxDuration stops training early after this wall time (0: no limit);
	// the learning-rate schedule still assumes Steps.
	MaxDuration time.Duration `json:"max_duration"`
	// Progress, when set, is called after every step.
	Progress func(TrainStep) `json:"-"`
	// Snapshot, when set, is called every SnapshotEvery steps with the model
	// (e.g. to save a checkpoint); an error stops training.
	Snapshot      func(step int, m *model.Model) error `json:"-"`
	SnapshotEvery int                                  `json:"-"`
}

// DefaultTrainOptions returns the recipe of the shipped lab-base model.
func DefaultTrainOptions() TrainOptions {
	return TrainOptions{
		Size: "tiny", Family: AllFamilies, Steps: 2400, BatchTokens: 4096,
		LR: 3e-3, Warmup: 100, MinLRRatio: 0.1, WeightDecay: 0.1, ClipNorm: 1,
		Seed: 1,
	}
}

// TrainStep reports one optimizer step of TrainBase.
type TrainStep struct {
	Step     int           `json:"step"`
	Loss     float64       `json:"loss"`      // mean negative log-likelihood per completion token
	Tokens   int           `json:"tokens"`    // completion tokens in the step
	Seqs     int           `json:"seqs"`      // sequences in the step
	LR       float32       `json:"lr"`        // learning rate used
	GradNorm float32       `json:"grad_norm"` // before clipping
	Elapsed  time.Duration `json:"elapsed"`   // since training began
}

// TrainResult is a trained base reasoner.
type TrainResult struct {
	Model     *model.Model
	Tokenizer *tokenizer.CharLevel
	Options   TrainOptions
	// Steps are the per-step reports (loss curve).
	Steps []TrainStep
}

// ErrTrainOptions reports invalid TrainOptions.
var ErrTrainOptions = errors.New("lab: invalid train options")

func (o TrainOptions) withDefaults() TrainOptions {
	if o.Size == "" {
		o.Size = "tiny"
	}
	if o.Family == "" {
		o.Family = AllFamilies
	}
	return o
}

func (o TrainOptions) validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrTrainOptions, field, fmt.Sprintf(format, args...))
	}
	switch {
	case o.Steps < 1:
		return bad("steps", "%d, want >= 1", o.Steps)
	case o.BatchTokens < 1024:
		return bad("batch_tokens", "%d, want >= 1024 (one full-length sequence)", o.BatchTokens)
	case !(o.LR > 0):
		return bad("lr", "%g, want > 0", o.LR)
	case o.Warmup < 0:
		return bad("warmup", "%d, want >= 0", o.Warmup)
	case o.ConciseShare < 0 || o.ConciseShare > 1:
		return bad("concise_share", "%g, want 0..1", o.ConciseShare)
	case o.MaxDuration < 0:
		return bad("max_duration", "%v, want >= 0", o.MaxDuration)
	}
	if o.Family != AllFamilies {
		if _, err := lookup(o.Family); err != nil {
			return bad("family", "%v", err)
		}
	}
	return nil
}

// example is one tokenised training sequence: prompt, completion and EOS.
type example struct {
	ids    []int32
	prompt int // tokens of the prompt; loss starts at the first completion token
}

// TrainBase trains a base reasoner from scratch on teacher traces: next-token
// cross-entropy on the completion tokens (<think> … \boxed{…} <|endoftext|>),
// the prompt masked out. Problems come fresh from the train split every step
// (never the test split); traces are verbose with a per-sample random style,
// so the model inherits the teacher's wide length distribution.
//
// Sequences are drawn in pools, sorted by length and cut into batches whose
// B·T stays within BatchTokens (see drawBatches), right-padded to the
// longest; each step is one AdamW step on the batch's mean per-token loss.
// It stops after Steps, at MaxDuration (returning the model so far), or when
// ctx ends (returning the model so far and ctx's error).
func TrainBase(ctx context.Context, o TrainOptions) (*TrainResult, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	tok, err := Tokenizer()
	if err != nil {
		return nil, err
	}
	cfg, err := BaseConfig(o.Size, tok.VocabSize())
	if err != nil {
		return nil, err
	}
	m, err := model.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("lab: train base: %w", err)
	}
	m.InitRandom(o.Seed, float32(cfg.InitializerRange))
	opt, err := model.NewAdamW(m, model.OptimConfig{
		LR: o.LR, WeightDecay: o.WeightDecay, ClipNorm: o.ClipNorm,
		WarmupSteps: o.Warmup, TotalSteps: o.Steps, MinLRRatio: o.MinLRRatio,
	})
	if err != nil {
		return nil, fmt.Errorf("lab: train base: %w", err)
	}
	fams := []string{o.Family}
	if o.Family == AllFamilies {
		fams = Families()
	}
	var levels []int
	for l := MinLevel; l <= MaxLevel; l++ {
		levels = append(levels, l)
	}
	next := trainStream(fams, levels, newRNG(o.Seed, "train-base", o.Family))
	style := newRNG(o.Seed, "train-base-style")
	batchOrder := newRNG(o.Seed, "train-base-batches")
	eos := tok.Special().EOS
	draw := func() (example, error) {
		p, err := next()
		if err != nil {
			return example{}, err
		}
		var t string
		if style.Float64() < o.ConciseShare {
			t, err = Concise(p)
		} else {
			t, err = Verbose(p, style)
		}
		if err != nil {
			return example{}, err
		}
		prompt := tok.Encode(FormatPrompt(p.Question))
		ids := append(append(prompt, tok.Encode(t)...), eos)
		if len(ids) > cfg.MaxPositionEmbeddings {
			return example{}, fmt.Errorf("lab: train base: %s: %d tokens exceed the %d-token context", p.ID, len(ids), cfg.MaxPositionEmbeddings)
		}
		return example{ids: ids, prompt: len(prompt)}, nil
	}

	res := &TrainResult{Model: m, Tokenizer: tok, Options: o}
	ws := model.NewWorkspace()
	start := time.Now()
	var queue [][]example // batches ready to train on
	for step := 1; step <= o.Steps; step++ {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("lab: train base: stopped at step %d: %w", step, err)
		}
		if o.MaxDuration > 0 && time.Since(start) >= o.MaxDuration {
			break
		}
		if len(queue) == 0 {
			if queue, err = drawBatches(draw, o.BatchTokens, batchOrder); err != nil {
				return res, err
			}
		}
		seqs := queue[0]
		queue = queue[1:]
		T := 0
		for _, s := range seqs {
			T = max(T, len(s.ids))
		}
		b, ntok := packBatch(seqs, T, eos)
		logp, _, err := m.Forward(ws, b)
		if err != nil {
			return res, fmt.Errorf("lab: train base: step %d: %w", step, err)
		}
		dlogp := make([]float32, len(logp))
		var nll float64
		for i, y := range b.Targets {
			if y >= 0 {
				nll -= float64(logp[i])
				dlogp[i] = -1 / float32(ntok) // d(mean NLL)/d logp
			}
		}
		m.ZeroGrad()
		if err := m.Backward(ws, dlogp, nil); err != nil {
			return res, fmt.Errorf("lab: train base: step %d: %w", step, err)
		}
		st, err := opt.Update(m)
		if err != nil {
			return res, fmt.Errorf("lab: train base: step %d: %w", step, err)
		}
		ts := TrainStep{Step: step, Loss: nll / float64(ntok), Tokens: ntok, Seqs: len(seqs), LR: st.LR, GradNorm: st.GradNorm, Elapsed: time.Since(start)}
		if math.IsNaN(ts.Loss) || math.IsInf(ts.Loss, 0) {
			return res, fmt.Errorf("lab: train base: step %d: loss is %v", step, ts.Loss)
		}
		res.Steps = append(res.Steps, ts)
		if o.Progress != nil {
			o.Progress(ts)
		}
		if o.Snapshot != nil && o.SnapshotEvery > 0 && step%o.SnapshotEvery == 0 {
			if err := o.Snapshot(step, m); err != nil {
				return res, fmt.Errorf("lab: train base: snapshot at step %d: %w", step, err)
			}
		}
	}
	return res, nil
}

// poolBatches is how many batches' worth of sequences drawBatches draws at
// once: enough that sorting by length leaves little padding.
const poolBatches = 16

// drawBatches draws about poolBatches·batchTokens tokens of sequences, sorts
// them by length and cuts them into batches whose B·T (T the longest in the
// batch) stays within batchTokens, returned in random order.
func drawBatches(draw func() (example, error), batchTokens int, rng *rand.Rand) ([][]example, error) {
	var pool []example
	for total := 0; total < poolBatches*batchTokens; {
		ex, err := draw()
		if err != nil {
			return nil, err
		}
		pool = append(pool, ex)
		total += len(ex.ids)
	}
	slices.SortStableFunc(pool, func(a, b example) int { return len(a.ids) - len(b.ids) })
	var out [][]example
	for len(pool) > 0 {
		n := 1
		for n < len(pool) && len(pool[n].ids)*(n+1) <= batchTokens {
			n++
		}
		out = append(out, pool[:n])
		pool = pool[n:]
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out, nil
}

// packBatch lays sequences out as a (B,T) batch, right-padded with pad
// (Mask 0). Targets are the next token at completion positions and −1
// elsewhere: the last prompt token predicts the first completion token, and
// the final EOS predicts nothing. It returns the batch and its target count.
func packBatch(seqs []example, T int, pad int32) (*model.Batch, int) {
	B := len(seqs)
	b := &model.Batch{B: B, T: T, Tokens: make([]int32, B*T), Targets: make([]int32, B*T), Mask: make([]float32, B*T)}
	ntok := 0
	for i, s := range seqs {
		row := i * T
		for t := 0; t < T; t++ {
			b.Targets[row+t] = -1
			b.Tokens[row+t] = pad
			if t < len(s.ids) {
				b.Tokens[row+t] = s.ids[t]
				b.Mask[row+t] = 1
			}
			if t >= s.prompt-1 && t+1 < len(s.ids) {
				b.Targets[row+t] = s.ids[t+1]
				ntok++
			}
		}
	}
	return b, ntok
}
