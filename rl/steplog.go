package rl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/terse-dev/terse/reward"
)

// EvalPoint is one budget-ladder evaluation: Mean@k of one benchmark at one
// token budget.
type EvalPoint struct {
	Benchmark string  `json:"benchmark,omitempty"`
	Budget    int     `json:"budget"` // tokens; 0 when unknown (imported from verl: one budget, its max response length)
	K         int     `json:"k,omitempty"`
	MeanAtK   float64 `json:"mean_at_k"`
}

// StepLog is one training step, one line of a run's steps.jsonl: the schema
// that terse train writes and terse dynamics, terse report read. Float
// fields are NaN when not measured; NaN fields are left out of the JSON.
// "Positive" rollouts are those with reward > 0; masked rollouts count only
// in MaskedRate.
type StepLog struct {
	Step             int         `json:"step"`
	MeanLength       float64     `json:"mean_length"`        // mean rollout length in tokens
	MeanLengthPos    float64     `json:"mean_length_pos"`    // mean length of positive rollouts
	MeanLengthNeg    float64     `json:"mean_length_neg"`    // mean length of the other unmasked rollouts
	TruncationRate   float64     `json:"truncation_rate"`    // share of rollouts cut off at RolloutLimit
	MeanReward       float64     `json:"mean_reward"`        // over unmasked rollouts
	RewardStd        float64     `json:"reward_std"`         // reward std within a group, averaged over groups (unmasked rollouts)
	ZeroStdFrac      float64     `json:"zero_std_frac"`      // share of groups whose unmasked rewards are all equal: no advantage, no gradient
	AdvAbsMax        float64     `json:"adv_abs_max"`        // largest |advantage| in the batch (verl logs its range)
	Accuracy         float64     `json:"accuracy"`           // share of rollouts graded correct, whatever their length
	PosRewardDensity float64     `json:"pos_reward_density"` // share of unmasked rollouts with reward > 0
	PosGroupDensity  float64     `json:"pos_group_density"`  // share of groups with at least one such rollout
	MaskedRate       float64     `json:"masked_rate"`        // share of rollouts masked out of the update
	TargetLen        float64     `json:"target_len"`         // L_T in force for this step's rewards, when the shape moves it (adaptive)
	Entropy          float64     `json:"entropy"`            // token-mean policy entropy (nats)
	KL               float64     `json:"kl"`                 // token-mean KL to the initial (reference) policy
	ClipFrac         float64     `json:"clip_frac"`          // share of loss tokens clipped (Stats.ClipFrac)
	GradNorm         float64     `json:"grad_norm"`          // global gradient norm before clipping
	LR               float64     `json:"lr"`                 // learning rate of the step
	PGLoss           float64     `json:"pg_loss"`            // policy-gradient loss
	Loss             float64     `json:"loss"`               // total loss as logged (TRL: policy loss plus the KL term)
	StepSeconds      float64     `json:"step_seconds"`       // wall time of the step
	Eval             []EvalPoint `json:"eval,omitempty"`     // budget ladder, every eval.every steps
	// Rewards holds each reward component's mean when a trainer logs
	// several (TRL's rewards/<fn>/mean), by component name.
	Rewards map[string]float64 `json:"rewards,omitempty"`
}

// NewStepLog returns a StepLog for step with every float NaN (unmeasured).
func NewStepLog(step int) StepLog {
	s := StepLog{Step: step}
	v := reflect.ValueOf(&s).Elem()
	for i := range v.NumField() {
		if v.Field(i).Kind() == reflect.Float64 {
			v.Field(i).SetFloat(math.NaN())
		}
	}
	return s
}

// MarshalJSON writes the fields in declaration order, leaving out NaN ones.
func (s StepLog) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	v := reflect.ValueOf(s)
	first := true
	for i := range v.NumField() {
		f := v.Type().Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		fv := v.Field(i)
		if fv.Kind() == reflect.Float64 && (math.IsNaN(fv.Float()) || math.IsInf(fv.Float(), 0)) {
			continue
		}
		if (fv.Kind() == reflect.Slice || fv.Kind() == reflect.Map) && fv.Len() == 0 {
			continue
		}
		enc, err := json.Marshal(fv.Interface())
		if err != nil {
			return nil, fmt.Errorf("rl: step log field %s: %w", name, err)
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		fmt.Fprintf(&b, "%q:%s", name, enc)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads a terse step line; absent fields become NaN.
func (s *StepLog) UnmarshalJSON(data []byte) error {
	type plain StepLog
	p := plain(NewStepLog(0))
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*s = StepLog(p)
	return nil
}

// Line is the one-line progress summary that terse train prints per step.
func (s StepLog) Line() string {
	f := func(x float64, prec int) string {
		if math.IsNaN(x) {
			return "-"
		}
		return strconv.FormatFloat(x, 'f', prec, 64)
	}
	g := func(x float64) string {
		if math.IsNaN(x) {
			return "-"
		}
		return strconv.FormatFloat(x, 'g', 3, 64)
	}
	line := fmt.Sprintf("step %d  len %s (+%s/-%s) trunc %s  reward %s acc %s  pos %s/%s  masked %s  ent %s kl %s clip %s  gnorm %s lr %s  %ss",
		s.Step, f(s.MeanLength, 0), f(s.MeanLengthPos, 0), f(s.MeanLengthNeg, 0), f(s.TruncationRate, 3),
		f(s.MeanReward, 3), f(s.Accuracy, 3), f(s.PosRewardDensity, 2), f(s.PosGroupDensity, 2), f(s.MaskedRate, 2),
		f(s.Entropy, 3), g(s.KL), f(s.ClipFrac, 4), g(s.GradNorm), g(s.LR), f(s.StepSeconds, 1))
	// Budget ladder: Mean@k per budget, averaged over benchmarks.
	var budgets []int
	sum, n := map[int]float64{}, map[int]int{}
	for _, e := range s.Eval {
		if n[e.Budget] == 0 {
			budgets = append(budgets, e.Budget)
		}
		sum[e.Budget] += e.MeanAtK
		n[e.Budget]++
	}
	slices.Sort(budgets)
	if len(budgets) > 0 {
		line += "  eval"
		for _, b := range budgets {
			line += fmt.Sprintf(" %d:%.3f", b, sum[b]/float64(n[b]))
		}
	}
	return line
}

// RolloutStats fills the rollout fields of a StepLog (lengths, truncation,
// reward, accuracy, densities, masked share, within-group reward spread)
// from one rollout batch: the groups as graded and their reward outcomes,
// (G)(N) each. RewardStd is the sample std (n−1, as TRL's torch.std) of a
// group's unmasked rewards, averaged over the groups with any; ZeroStdFrac
// the share of those groups whose rewards are all equal (one unmasked
// rollout included), which GRPO gives no advantage.
func RolloutStats(s *StepLog, groups []reward.Group, outcomes [][]reward.Outcome) error {
	if len(groups) != len(outcomes) {
		return fmt.Errorf("rl: rollout stats: %d groups but %d outcome groups", len(groups), len(outcomes))
	}
	var n, nUnmasked, nPos, nTrunc, nCorrect, nMasked, groupsPos int
	var sumLen, sumPos, sumNeg, sumReward, sumStd float64
	var groupsScored, groupsFlat int
	for g, grp := range groups {
		if len(outcomes[g]) != len(grp) {
			return fmt.Errorf("rl: rollout stats: group %d has %d rollouts but %d outcomes", g, len(grp), len(outcomes[g]))
		}
		anyPos := false
		var rs []float64
		for i, r := range grp {
			o := outcomes[g][i]
			n++
			sumLen += float64(r.Tokens)
			if r.Truncated {
				nTrunc++
			}
			if r.Correct {
				nCorrect++
			}
			if o.Masked {
				nMasked++
				continue
			}
			nUnmasked++
			sumReward += o.Reward
			rs = append(rs, o.Reward)
			if o.Reward > 0 {
				nPos++
				anyPos = true
				sumPos += float64(r.Tokens)
			} else {
				sumNeg += float64(r.Tokens)
			}
		}
		if anyPos {
			groupsPos++
		}
		if len(rs) > 0 {
			groupsScored++
			sumStd += sampleStd(rs)
			if slices.Min(rs) == slices.Max(rs) {
				groupsFlat++
			}
		}
	}
	div := func(a float64, b int) float64 {
		if b == 0 {
			return math.NaN()
		}
		return a / float64(b)
	}
	s.MeanLength = div(sumLen, n)
	s.TruncationRate = div(float64(nTrunc), n)
	s.Accuracy = div(float64(nCorrect), n)
	s.MaskedRate = div(float64(nMasked), n)
	s.MeanReward = div(sumReward, nUnmasked)
	s.PosRewardDensity = div(float64(nPos), nUnmasked)
	s.MeanLengthPos = div(sumPos, nPos)
	s.MeanLengthNeg = div(sumNeg, nUnmasked-nPos)
	s.PosGroupDensity = div(float64(groupsPos), len(groups))
	s.RewardStd = div(sumStd, groupsScored)
	s.ZeroStdFrac = div(float64(groupsFlat), groupsScored)
	return nil
}

// sampleStd is the n−1 standard deviation of x (0 for one value).
func sampleStd(x []float64) float64 {
	if len(x) < 2 {
		return 0
	}
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	ss := 0.0
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return math.Sqrt(ss / float64(len(x)-1))
}

// WriteSteps writes steps as JSONL.
func WriteSteps(w io.Writer, steps []StepLog) error {
	enc := json.NewEncoder(w)
	for _, s := range steps {
		if err := enc.Encode(s); err != nil {
			return fmt.Errorf("rl: writing step %d: %w", s.Step, err)
		}
	}
	return nil
}

// maxStepLine caps one line of a step log.
const maxStepLine = 64 << 20

// scanJSONL calls fn with each non-blank line of r (trimmed) and its
// 1-based number. A last line without a newline that is not valid JSON is
// a torn write: it is reported through warnf (when not nil) and skipped.
func scanJSONL(r io.Reader, name string, warnf func(string, ...any), fn func(ln int, line []byte) error) error {
	br := bufio.NewReaderSize(r, 1<<20)
	for ln := 1; ; ln++ {
		var raw []byte
		var err error
		for {
			var frag []byte
			frag, err = br.ReadSlice('\n')
			raw = append(raw, frag...)
			if len(raw) > maxStepLine {
				return fmt.Errorf("rl: %s:%d: line longer than %d bytes", name, ln, maxStepLine)
			}
			if err != bufio.ErrBufferFull {
				break
			}
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("rl: %s:%d: %w", name, ln, err)
		}
		line := bytes.TrimSpace(raw)
		torn := err == io.EOF && len(line) > 0 && !json.Valid(line)
		switch {
		case torn:
			if warnf != nil {
				warnf("rl: %s:%d: incomplete last line (%d bytes, likely an interrupted write) ignored", name, ln, len(raw))
			}
		case len(line) > 0:
			if ferr := fn(ln, line); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}
