package model

import (
	"fmt"
	"math"
)

// OptimConfig configures AdamW with global grad-norm clipping and a linear
// warmup + cosine learning-rate schedule.
type OptimConfig struct {
	LR          float32 `json:"lr"`           // peak learning rate
	Beta1       float32 `json:"beta1"`        // 0 means 0.9
	Beta2       float32 `json:"beta2"`        // 0 means 0.999
	Eps         float32 `json:"eps"`          // 0 means 1e-8
	WeightDecay float32 `json:"weight_decay"` // decoupled, applied to matrices only
	// DecayNorms also applies weight decay to 1-D tensors (RMSNorm weights,
	// Qwen2's q/k/v biases).
	DecayNorms bool `json:"decay_norms,omitempty"`
	// ClipNorm rescales the gradient so its global L2 norm is at most this; 0 disables.
	ClipNorm float32 `json:"clip_norm"`
	// WarmupSteps ramps the LR linearly from LR/WarmupSteps to LR.
	WarmupSteps int `json:"warmup_steps"`
	// TotalSteps ends the cosine decay; 0 keeps LR constant after warmup.
	TotalSteps int `json:"total_steps"`
	// MinLRRatio is the cosine floor as a fraction of LR.
	MinLRRatio float32 `json:"min_lr_ratio"`
}

// AdamW is the optimizer with its full state. Step, M and V are everything
// needed to continue a run exactly: save them with the weights and restore
// them with Restore.
type AdamW struct {
	Config OptimConfig
	Step   int       // completed optimizer steps
	M, V   []float32 // first and second moments, same layout as Model.Slab
	decay  []bool    // per tensor spec: weight decay applies
	specs  []tensorSpec
}

// StepStats reports one optimizer step.
type StepStats struct {
	Step     int     // the step just taken (1-based)
	LR       float32 // learning rate used
	GradNorm float32 // global L2 norm before clipping
	Clipped  bool    // the gradient was rescaled
}

// NewAdamW returns an optimizer for m with zero moments.
func NewAdamW(m *Model, cfg OptimConfig) (*AdamW, error) {
	if !(cfg.LR >= 0) || cfg.Beta1 < 0 || cfg.Beta1 >= 1 || cfg.Beta2 < 0 || cfg.Beta2 >= 1 || cfg.Eps < 0 ||
		cfg.WeightDecay < 0 || cfg.ClipNorm < 0 || cfg.WarmupSteps < 0 || cfg.TotalSteps < 0 || cfg.MinLRRatio < 0 || cfg.MinLRRatio > 1 {
		return nil, fmt.Errorf("model: invalid optimizer config %+v", cfg)
	}
	if cfg.Beta1 == 0 {
		cfg.Beta1 = 0.9
	}
	if cfg.Beta2 == 0 {
		cfg.Beta2 = 0.999
	}
	if cfg.Eps == 0 {
		cfg.Eps = 1e-8
	}
	o := &AdamW{Config: cfg, M: make([]float32, len(m.slab)), V: make([]float32, len(m.slab)), specs: m.specs}
	for _, s := range m.specs {
		o.decay = append(o.decay, s.decay || cfg.DecayNorms)
	}
	return o, nil
}

// Restore sets the step count and moments (e.g. from a checkpoint).
func (o *AdamW) Restore(step int, mom, vel []float32) error {
	if step < 0 || len(mom) != len(o.M) || len(vel) != len(o.V) {
		return fmt.Errorf("%w: step %d, len(m)=%d len(v)=%d, want %d", ErrOptimState, step, len(mom), len(vel), len(o.M))
	}
	o.Step = step
	copy(o.M, mom)
	copy(o.V, vel)
	return nil
}

// LRAt returns the learning rate of step t (1-based): linear warmup to LR
// over WarmupSteps, then cosine decay to MinLRRatio·LR at TotalSteps.
func (o *AdamW) LRAt(t int) float32 {
	c := o.Config
	if c.WarmupSteps > 0 && t <= c.WarmupSteps {
		return c.LR * float32(t) / float32(c.WarmupSteps)
	}
	if c.TotalSteps <= c.WarmupSteps {
		return c.LR
	}
	prog := math.Min(1, float64(t-c.WarmupSteps)/float64(c.TotalSteps-c.WarmupSteps))
	floor := float64(c.LR * c.MinLRRatio)
	return float32(floor + (float64(c.LR)-floor)*0.5*(1+math.Cos(math.Pi*prog)))
}

// GradNorm returns the global L2 norm of m's gradients.
func GradNorm(m *Model) float32 {
	var ss float64
	for _, g := range m.GradSlab() {
		ss += float64(g) * float64(g)
	}
	return float32(math.Sqrt(ss))
}

// Update takes one AdamW step on m's weights from m's accumulated gradients
// (it does not zero them). A NaN or infinite gradient norm leaves weights,
// moments and Step untouched and returns ErrNonFinite. Per element, with g the (clipped) gradient:
//
//	m = β1·m + (1−β1)·g
//	v = β2·v + (1−β2)·g²
//	w = w − lr·(m/(1−β1ᵗ) / (√(v/(1−β2ᵗ)) + ε) + wd·w)
func (o *AdamW) Update(m *Model) (StepStats, error) {
	if len(o.M) != len(m.slab) {
		return StepStats{}, fmt.Errorf("%w: %d moments for %d weights", ErrOptimState, len(o.M), len(m.slab))
	}
	c := o.Config
	grad := m.GradSlab()
	norm := GradNorm(m)
	if math.IsNaN(float64(norm)) || math.IsInf(float64(norm), 0) {
		return StepStats{Step: o.Step, GradNorm: norm}, fmt.Errorf("%w: gradient norm %g; step %d skipped", ErrNonFinite, norm, o.Step+1)
	}
	o.Step++
	t := o.Step
	lr := o.LRAt(t)
	st := StepStats{Step: t, LR: lr, GradNorm: norm}
	scale := float32(1)
	if c.ClipNorm > 0 && norm > c.ClipNorm {
		scale = c.ClipNorm / (norm + 1e-6)
		st.Clipped = true
	}
	b1, b2 := c.Beta1, c.Beta2
	bc1 := float32(1 - math.Pow(float64(b1), float64(t)))
	bc2 := float32(1 - math.Pow(float64(b2), float64(t)))
	for i, s := range o.specs {
		wd := float32(0)
		if o.decay[i] {
			wd = c.WeightDecay
		}
		lo, hi := s.off, s.off+s.size
		w, g, mm, vv := m.slab[lo:hi], grad[lo:hi], o.M[lo:hi], o.V[lo:hi]
		parallelFor(len(w), 16, func(lo, hi int) {
			for j := lo; j < hi; j++ {
				gj := g[j] * scale
				mj := b1*mm[j] + (1-b1)*gj // m = β1·m + (1−β1)·g
				vj := b2*vv[j] + (1-b2)*gj*gj
				mm[j], vv[j] = mj, vj
				upd := (mj / bc1) / (float32(math.Sqrt(float64(vj/bc2))) + c.Eps)
				w[j] -= lr * (upd + wd*w[j])
			}
		})
	}
	return st, nil
}
