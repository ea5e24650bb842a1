package rl

import (
	"errors"
	"fmt"
	"math"
)

// Agg names how per-token loss terms are reduced to one number; the names
// are verl's loss_agg_mode values.
type Agg string

const (
	// TokenMean averages over every loss token of the mini-batch, so long
	// rollouts weigh more (DAPO's default).
	TokenMean Agg = "token-mean"
	// SeqMeanTokenMean averages each sequence over its tokens, then over
	// sequences (the original GRPO; biased toward long wrong answers, see
	// Dr. GRPO arXiv 2503.20783).
	SeqMeanTokenMean Agg = "seq-mean-token-mean"
	// SeqMeanTokenSum sums each sequence over its tokens, then averages over
	// sequences.
	SeqMeanTokenSum Agg = "seq-mean-token-sum"
)

// ParseAgg checks a loss aggregation name.
func ParseAgg(s string) (Agg, error) {
	switch a := Agg(s); a {
	case TokenMean, SeqMeanTokenMean, SeqMeanTokenSum:
		return a, nil
	}
	return "", fmt.Errorf("rl: unknown loss aggregation %q (want %s, %s or %s)", s, TokenMean, SeqMeanTokenMean, SeqMeanTokenSum)
}

// KLEstimator names the per-token estimator of KL(π_θ ‖ π_ref)
// (Schulman, "Approximating KL divergence", 2020).
type KLEstimator string

const (
	// KLNone adds no KL term to the loss (DAPO; the paper is silent).
	KLNone KLEstimator = "none"
	// K1 is log π_θ − log π_ref (verl "kl"); d k1/d logp = 1.
	K1 KLEstimator = "k1"
	// K3 is e^x − x − 1 with x = log π_ref − log π_θ (verl "low_var_kl"),
	// clamped to [−KLClamp, KLClamp]; d k3/d logp = 1 − e^x inside the clamp.
	K3 KLEstimator = "k3"
)

// ParseKL checks a KL estimator name; "" means KLNone.
func ParseKL(s string) (KLEstimator, error) {
	switch k := KLEstimator(s); k {
	case "":
		return KLNone, nil
	case KLNone, K1, K3:
		return k, nil
	}
	return "", fmt.Errorf("rl: unknown KL estimator %q (want none, k1 or k3)", s)
}

const (
	// LogRatioClamp bounds log(π_θ/π_old) before exponentiating, as verl
	// does; outside the bound the ratio is constant and its gradient 0.
	LogRatioClamp = 20.0
	// KLClamp bounds the k3 estimator, as verl's low_var_kl does.
	KLClamp = 10.0
)

// Errors returned by Objective.
var (
	// ErrShape reports per-token slices whose lengths disagree.
	ErrShape = errors.New("rl: objective: shape mismatch")
	// ErrNoRef reports a KL term requested without reference log-probs.
	ErrNoRef = errors.New("rl: objective: KL term needs LogpRef")
)

// Sequence is one rollout's input to the objective; everything here is known
// before the policy's forward pass. T is the number of response tokens.
type Sequence struct {
	LogpOld   []float64 // (T) log π_old of the sampled tokens (the behaviour policy that generated them)
	LogpRef   []float64 // (T) log π_ref of the sampled tokens; nil unless a KL term is used or monitored
	Mask      []bool    // (T) tokens that enter the loss; nil means all T
	Advantage float64   // group-relative advantage (GroupAdvantages), the same for every token
	Masked    bool      // the reward shape masked this rollout out of the update (PAPER.md §4.6)
}

// Objective is the GRPO policy loss with DAPO's decoupled clip (arXiv
// 2503.14476). Per loss token t of sequence b, with r = exp(logp − logp_old):
//
//	pg_t  = max(−A·r, −A·clip(r, 1−ClipLow, 1+ClipHigh))
//	L     = agg(pg) + KLCoef·agg(kl) − EntropyCoef·agg(entropy)
//
// where agg is Agg and kl is the KL estimator against the reference policy.
// The gradient of pg_t with respect to logp is −A·r when the unclipped branch
// is active and 0 when the clipped one is ("clipped": A > 0 and r > 1+ClipHigh,
// or A < 0 and r < 1−ClipLow).
type Objective struct {
	ClipLow     float64     // ε_low ≥ 0 (DAPO default 0.2; paper silent)
	ClipHigh    float64     // ε_high ≥ 0 (paper: 0.28)
	Agg         Agg         // loss aggregation; "" means TokenMean
	KL          KLEstimator // estimator for the KL term and the KL statistic; "" means none
	KLCoef      float64     // β ≥ 0; with KL = none it must be 0
	EntropyCoef float64     // entropy bonus coefficient ≥ 0 (0 = off)
}

// Stats are sums over loss tokens; Merge them across micro-batches, then read
// the ratios. Tokens of masked rollouts are not counted.
type Stats struct {
	Tokens      int     // loss tokens
	Seqs        int     // sequences with at least one loss token
	Clipped     int     // tokens whose clipped branch is active (gradient 0)
	ClippedLow  int     // … because A < 0 and r < 1−ClipLow
	ClippedHigh int     // … because A > 0 and r > 1+ClipHigh
	SumRatio    float64 // Σ r
	SumOldKL    float64 // Σ (logp_old − logp): k1 estimate of KL(π_old ‖ π_θ), verl's ppo_kl
	KLTokens    int     // tokens with a reference log-prob
	SumKL       float64 // Σ kl over KLTokens (k1 if KL = k1, else k3)
	EntTokens   int     // tokens with an entropy value
	SumEntropy  float64 // Σ entropy over EntTokens
}

// Merge adds o's sums to s.
func (s *Stats) Merge(o Stats) {
	s.Tokens += o.Tokens
	s.Seqs += o.Seqs
	s.Clipped += o.Clipped
	s.ClippedLow += o.ClippedLow
	s.ClippedHigh += o.ClippedHigh
	s.SumRatio += o.SumRatio
	s.SumOldKL += o.SumOldKL
	s.KLTokens += o.KLTokens
	s.SumKL += o.SumKL
	s.EntTokens += o.EntTokens
	s.SumEntropy += o.SumEntropy
}

func ratio(num float64, den int) float64 {
	if den == 0 {
		return math.NaN()
	}
	return num / float64(den)
}

// ClipFrac is the share of loss tokens whose clipped branch is active
// (token-mean, as verl's pg_clipfrac); NaN without tokens.
func (s Stats) ClipFrac() float64 { return ratio(float64(s.Clipped), s.Tokens) }

// MeanKL is the token-mean KL to the reference policy; NaN without LogpRef.
func (s Stats) MeanKL() float64 { return ratio(s.SumKL, s.KLTokens) }

// MeanEntropy is the token-mean policy entropy; NaN without entropies.
func (s Stats) MeanEntropy() float64 { return ratio(s.SumEntropy, s.EntTokens) }

// MeanRatio is the token-mean importance ratio π_θ/π_old (1 on-policy).
func (s Stats) MeanRatio() float64 { return ratio(s.SumRatio, s.Tokens) }

// Value is an objective value: the loss, its aggregated parts, and stats.
// Values of micro-batches that share one Weights call add up (Add) to the
// value of the whole mini-batch.
type Value struct {
	Loss    float64 // PGLoss + KLCoef·KL − EntropyCoef·Entropy
	PGLoss  float64 // agg(pg)
	KL      float64 // agg(kl); 0 when the KL term is off
	Entropy float64 // agg(entropy); 0 when the bonus is off
	Stats   Stats
}

// Add adds o to v.
func (v *Value) Add(o Value) {
	v.Loss += o.Loss
	v.PGLoss += o.PGLoss
	v.KL += o.KL
	v.Entropy += o.Entropy
	v.Stats.Merge(o.Stats)
}

// Result is Compute's answer: the value and the upstream gradients that the
// engine's Backward takes.
type Result struct {
	Value
	DLogp    [][]float64 // (B)(T_b) dL/dlogp of each sampled token
	DEntropy [][]float64 // (B)(T_b) dL/dentropy; nil when EntropyCoef is 0
}

// Validate checks the hyperparameters.
func (o Objective) Validate() error {
	if !(o.ClipLow >= 0 && o.ClipLow < 1) {
		return fmt.Errorf("rl: objective: ClipLow %v outside [0, 1)", o.ClipLow)
	}
	if !(o.ClipHigh >= 0) || math.IsInf(o.ClipHigh, 0) {
		return fmt.Errorf("rl: objective: ClipHigh %v must be finite and ≥ 0", o.ClipHigh)
	}
	if o.Agg != "" {
		if _, err := ParseAgg(string(o.Agg)); err != nil {
			return err
		}
	}
	kl, err := ParseKL(string(o.KL))
	if err != nil {
		return err
	}
	if !(o.KLCoef >= 0) || math.IsInf(o.KLCoef, 0) {
		return fmt.Errorf("rl: objective: KLCoef %v must be finite and ≥ 0", o.KLCoef)
	}
	if o.KLCoef > 0 && kl == KLNone {
		return fmt.Errorf("rl: objective: KLCoef %v set but KL estimator is none", o.KLCoef)
	}
	if !(o.EntropyCoef >= 0) || math.IsInf(o.EntropyCoef, 0) {
		return fmt.Errorf("rl: objective: EntropyCoef %v must be finite and ≥ 0", o.EntropyCoef)
	}
	return nil
}

// lossTokens is the number of tokens of s that enter the loss.
func lossTokens(s Sequence) int {
	if s.Masked {
		return 0
	}
	if s.Mask == nil {
		return len(s.LogpOld)
	}
	n := 0
	for _, m := range s.Mask {
		if m {
			n++
		}
	}
	return n
}

// Weights returns w_b, the weight every loss token of sequence b gets in the
// aggregated loss, so that agg(x) = Σ_b w_b Σ_t x_{b,t} over loss tokens:
//
//	token-mean:          w_b = 1 / Σ_b T_b
//	seq-mean-token-mean: w_b = 1 / (S · T_b)
//	seq-mean-token-sum:  w_b = 1 / S
//
// T_b counts b's loss tokens and S the sequences with T_b > 0; masked
// rollouts get w_b = 0. Weights depend only on masks and lengths, so a trainer
// that splits a mini-batch into micro-batches calls Weights once on the whole
// mini-batch and then Accumulate per sequence.
func (o Objective) Weights(seqs []Sequence) ([]float64, error) {
	agg := o.Agg
	if agg == "" {
		agg = TokenMean
	}
	if _, err := ParseAgg(string(agg)); err != nil {
		return nil, err
	}
	w := make([]float64, len(seqs))
	total, nseq := 0, 0
	for i, s := range seqs {
		if s.Mask != nil && len(s.Mask) != len(s.LogpOld) {
			return nil, fmt.Errorf("%w: sequence %d has %d log-probs but %d mask entries", ErrShape, i, len(s.LogpOld), len(s.Mask))
		}
		if t := lossTokens(s); t > 0 {
			total += t
			nseq++
		}
	}
	for i, s := range seqs {
		t := lossTokens(s)
		if t == 0 {
			continue
		}
		switch agg {
		case TokenMean:
			w[i] = 1 / float64(total)
		case SeqMeanTokenMean:
			w[i] = 1 / (float64(nseq) * float64(t))
		case SeqMeanTokenSum:
			w[i] = 1 / float64(nseq)
		}
	}
	return w, nil
}

// Compute evaluates the objective on a mini-batch: seqs (B), and the
// policy's per-token log-probs logpNew (B)(T_b) and entropies entropy
// (B)(T_b) from the engine's Forward. entropy may be nil when EntropyCoef
// is 0 (the entropy statistic is then NaN).
func (o Objective) Compute(seqs []Sequence, logpNew, entropy [][]float64) (Result, error) {
	if len(logpNew) != len(seqs) {
		return Result{}, fmt.Errorf("%w: %d sequences but %d log-prob rows", ErrShape, len(seqs), len(logpNew))
	}
	if entropy != nil && len(entropy) != len(seqs) {
		return Result{}, fmt.Errorf("%w: %d sequences but %d entropy rows", ErrShape, len(seqs), len(entropy))
	}
	if err := o.Validate(); err != nil {
		return Result{}, err
	}
	w, err := o.Weights(seqs)
	if err != nil {
		return Result{}, err
	}
	res := Result{DLogp: make([][]float64, len(seqs))}
	if o.EntropyCoef > 0 {
		res.DEntropy = make([][]float64, len(seqs))
	}
	for b, s := range seqs {
		var ent, dent []float64
		if entropy != nil {
			ent = entropy[b]
		}
		res.DLogp[b] = make([]float64, len(logpNew[b]))
		if res.DEntropy != nil {
			dent = make([]float64, len(logpNew[b]))
			res.DEntropy[b] = dent
		}
		v, err := o.Accumulate(s, w[b], logpNew[b], ent, res.DLogp[b], dent)
		if err != nil {
			return Result{}, fmt.Errorf("sequence %d: %w", b, err)
		}
		res.Value.Add(v)
	}
	return res, nil
}

// Accumulate evaluates one sequence's share of the objective, with token
// weight w from Weights. It writes dL/dlogp into dLogp (T) and, when
// dEntropy (T) is not nil, dL/dentropy into dEntropy; tokens outside the
// loss get 0. entropy (T) may be nil when EntropyCoef is 0.
func (o Objective) Accumulate(s Sequence, w float64, logpNew, entropy, dLogp, dEntropy []float64) (Value, error) {
	T := len(s.LogpOld)
	switch {
	case len(logpNew) != T:
		return Value{}, fmt.Errorf("%w: %d old log-probs but %d new", ErrShape, T, len(logpNew))
	case s.LogpRef != nil && len(s.LogpRef) != T:
		return Value{}, fmt.Errorf("%w: %d old log-probs but %d reference", ErrShape, T, len(s.LogpRef))
	case s.Mask != nil && len(s.Mask) != T:
		return Value{}, fmt.Errorf("%w: %d log-probs but %d mask entries", ErrShape, T, len(s.Mask))
	case entropy != nil && len(entropy) != T:
		return Value{}, fmt.Errorf("%w: %d log-probs but %d entropies", ErrShape, T, len(entropy))
	case len(dLogp) != T:
		return Value{}, fmt.Errorf("%w: %d log-probs but dLogp has %d", ErrShape, T, len(dLogp))
	case dEntropy != nil && len(dEntropy) != T:
		return Value{}, fmt.Errorf("%w: %d log-probs but dEntropy has %d", ErrShape, T, len(dEntropy))
	}
	kl := o.KL
	if kl == "" {
		kl = KLNone
	}
	klTerm := o.KLCoef > 0 && kl != KLNone
	if klTerm && s.LogpRef == nil && lossTokens(s) > 0 {
		return Value{}, ErrNoRef
	}
	if o.EntropyCoef > 0 && entropy == nil && lossTokens(s) > 0 {
		return Value{}, fmt.Errorf("rl: objective: EntropyCoef %v needs entropies", o.EntropyCoef)
	}
	var v Value
	A := s.Advantage
	lo, hi := 1-o.ClipLow, 1+o.ClipHigh
	for t := range T {
		dLogp[t] = 0
		if dEntropy != nil {
			dEntropy[t] = 0
		}
		if s.Masked || (s.Mask != nil && !s.Mask[t]) {
			continue
		}
		v.Stats.Tokens++

		// Policy-gradient term: pg = max(−A·r, −A·clip(r, lo, hi)).
		lr := logpNew[t] - s.LogpOld[t]
		dr := 1.0 // d lr_clamped / d logp
		if lr > LogRatioClamp {
			lr, dr = LogRatioClamp, 0
		} else if lr < -LogRatioClamp {
			lr, dr = -LogRatioClamp, 0
		}
		r := math.Exp(lr)
		pg1 := -A * r
		pg2 := -A * min(max(r, lo), hi)
		pg, g := pg1, -A*r*dr // dpg/dlogp on the unclipped branch
		if pg2 > pg1 {
			pg, g = pg2, 0
			v.Stats.Clipped++
			if A < 0 {
				v.Stats.ClippedLow++
			} else {
				v.Stats.ClippedHigh++
			}
		}
		v.PGLoss += w * pg
		dLogp[t] += w * g
		v.Stats.SumRatio += r
		v.Stats.SumOldKL += s.LogpOld[t] - logpNew[t]

		// KL to the reference policy (see K1, K3).
		if s.LogpRef != nil {
			var k, dk float64
			if kl == K1 {
				k, dk = logpNew[t]-s.LogpRef[t], 1
			} else {
				x := s.LogpRef[t] - logpNew[t]
				ex := math.Exp(x)
				k, dk = ex-x-1, 1-ex
				if k > KLClamp {
					k, dk = KLClamp, 0
				}
			}
			v.Stats.KLTokens++
			v.Stats.SumKL += k
			if klTerm {
				v.KL += w * k
				dLogp[t] += o.KLCoef * w * dk
			}
		}

		// Entropy bonus: L −= EntropyCoef·agg(entropy).
		if entropy != nil {
			v.Stats.EntTokens++
			v.Stats.SumEntropy += entropy[t]
			if o.EntropyCoef > 0 {
				v.Entropy += w * entropy[t]
				if dEntropy != nil {
					dEntropy[t] = -o.EntropyCoef * w
				}
			}
		}
	}
	if v.Stats.Tokens > 0 {
		v.Stats.Seqs = 1
	}
	v.Loss = v.PGLoss + o.KLCoef*v.KL - o.EntropyCoef*v.Entropy
	return v, nil
}
