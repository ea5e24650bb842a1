package rl

import (
	"fmt"
	"math"
	"slices"
)

// The no-signal and degenerate-run detectors: runs that train without
// learning. They are the commonest way an RL run fails, and the earlier a
// user sees one the less compute is wasted, so each is a per-step
// condition judged over a short window, reported at the first step of the
// first window where it holds (see sustained), and cheap enough to rerun
// on every poll of terse dynamics --follow.
const (
	// NoSignalWindow is the window, in step records, a per-step condition
	// is judged over (all records when fewer, but at least
	// NoSignalMinRecords; see sustained).
	NoSignalWindow = 10
	// NoSignalMinRecords: no degenerate-run verdict on fewer records.
	NoSignalMinRecords = 5
	// NoSignalShare: a condition holds over a window when it holds on at
	// least this share of the window's records (so one healthy step in ten
	// does not hide a dead run, and two bad ones in ten do not make one).
	NoSignalShare = 0.8

	// ZeroRewardStd: a step's reward std at or below this is zero: every
	// group's rewards are equal (TRL's reward_std, OpenRLHF's
	// group_reward_std, terse's reward_std). 1e-4 is below the last digit
	// the Trainer's table prints.
	ZeroRewardStd = 1e-4
	// ZeroStdGroups: a step has no advantage when at least this share of
	// its groups have all-equal rewards (TRL's frac_reward_zero_std,
	// terse's zero_std_frac).
	ZeroStdGroups = 0.95
	// ZeroAdvantageMax: verl's largest |advantage| (critic/advantages/max and
	// /min) at or below this is zero.
	ZeroAdvantageMax = 1e-4
	// CapClipRatio: a step saturates the length cap when at least this
	// share of its completions were cut at the limit (verl's
	// response_length/clip_ratio, TRL's completions/clipped_ratio,
	// OpenRLHF's rollout/truncated_rate, terse's truncation_rate).
	CapClipRatio = 0.9
	// ZeroGradNorm: a gradient norm at or below this is zero, absolute…
	ZeroGradNorm = 1e-6
	// …or at or below this share of the run's initial gradient norm.
	GradNormDrop = 1e-3
	// CollapsedEntropy: a token-mean entropy at or below this (nats/token)
	// has collapsed: sampling is close to greedy and rollouts of a group
	// barely differ.
	CollapsedEntropy = 0.02

	// FlatMinRecords: reward-flat needs this many records (its first and
	// last quarters are compared).
	FlatMinRecords = 20
	// FlatRewardDelta: the reward is flat when the medians of its first
	// and last quarters differ by at most this, as a share of the reward's
	// scale max(1, largest |reward|).
	FlatRewardDelta = 0.02
	// KLGrowth and KLMinRise: the policy moves when the KL's last-quarter
	// median is at least KLGrowth × its first-quarter median and higher by
	// at least KLMinRise…
	KLGrowth  = 2.0
	KLMinRise = 1e-3
	// LossMove: …or when the loss's quarter medians differ by at least
	// this share of the larger of them, and by more than twice the
	// quarters' spread (median absolute deviation), so noise around zero
	// does not count.
	LossMove = 0.5

	// HackRewardRise: reward hacking needs the training reward (smoothed)
	// to rise by at least this share of its scale between the held-out
	// accuracy's peak and its last evaluation, while that accuracy falls
	// by DiagnoseOptions.AccDrop or more.
	HackRewardRise = 0.05
	// HackMinEvals: reward hacking needs this many held-out evaluations.
	HackMinEvals = 3
)

// The degenerate-run finding kinds.
const (
	// ZeroAdvantage: (almost) every group's rollouts got the same reward,
	// so GRPO's group-relative advantage is zero and the step teaches
	// nothing.
	ZeroAdvantage FindingKind = "zero_advantage"
	// LengthCapSaturated: (almost) every completion hits the response
	// limit; rewards then judge truncated text.
	LengthCapSaturated FindingKind = "length_cap_saturated"
	// RewardFlat: the reward does not move while the policy does (KL or
	// loss): updates that do not improve the objective.
	RewardFlat FindingKind = "reward_flat"
	// GradNormZero: the gradient vanishes.
	GradNormZero FindingKind = "grad_norm_zero"
	// EntropyCollapse: the policy's entropy falls to about zero.
	EntropyCollapse FindingKind = "entropy_collapse"
	// RewardHacking: held-out accuracy falls while the training reward
	// rises.
	RewardHacking FindingKind = "reward_hacking"
)

// sustained returns the first record index i where cond holds and holds on
// at least NoSignalShare of the records i … i+w−1 (w = NoSignalWindow, or
// all records when fewer), or, near the end of the log where fewer than w
// records are left, on every one of the at least NoSignalMinRecords left
// (so a live log flags a run that has just died); and how many records cond
// holds on in all. first is −1 when there is no such window.
func sustained(cond []bool) (first, count int) {
	n := len(cond)
	for _, c := range cond {
		if c {
			count++
		}
	}
	if n < NoSignalMinRecords {
		return -1, count
	}
	w := min(NoSignalWindow, n)
	need := int(math.Ceil(NoSignalShare * float64(w)))
	for i := 0; i+NoSignalMinRecords <= n; i++ {
		if !cond[i] {
			continue
		}
		win := cond[i:min(n, i+w)]
		k := 0
		for _, c := range win {
			if c {
				k++
			}
		}
		if len(win) == w && k >= need || k == len(win) {
			return i, count
		}
	}
	return -1, count
}

// perStep evaluates cond on the steps where get is measured.
func perStep(steps []StepLog, get func(StepLog) float64, cond func(float64) bool) (idx []int, vals []float64, ok []bool) {
	for i, s := range steps {
		v := get(s)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		idx, vals, ok = append(idx, i), append(vals, v), append(ok, cond(v))
	}
	return
}

// detectNoSignal runs the per-step degenerate-run detectors.
func detectNoSignal(d *Diagnosis, steps []StepLog) {
	detectZeroAdvantage(d, steps)

	// Length cap.
	if idx, vals, ok := perStep(steps, func(s StepLog) float64 { return s.TruncationRate }, func(v float64) bool { return v >= CapClipRatio }); len(ok) > 0 {
		if i, n := sustained(ok); i >= 0 {
			d.Findings = append(d.Findings, Finding{
				Kind: LengthCapSaturated, Step: steps[idx[i]].Step,
				Summary: fmt.Sprintf("completions saturate the length cap from step %d: on %d of %d steps at least %.0f%% of completions were cut at the limit (median clip ratio %.2f); the reward judges truncated text, so raise the response limit or shape length",
					steps[idx[i]].Step, n, len(ok), 100*CapClipRatio, median(vals)),
				Evidence: map[string]float64{"steps_saturated": float64(n), "steps_measured": float64(len(ok)), "median_clip_ratio": median(vals), "threshold": CapClipRatio},
			})
		}
	}

	// Gradient norm.
	if idx, vals, _ := perStep(steps, func(s StepLog) float64 { return s.GradNorm }, func(float64) bool { return false }); len(vals) > 0 {
		g0 := median(vals[:min(len(vals), 3)])
		thr := max(ZeroGradNorm, GradNormDrop*g0)
		ok := make([]bool, len(vals))
		for j, v := range vals {
			ok[j] = v <= thr
		}
		if i, n := sustained(ok); i >= 0 {
			d.Findings = append(d.Findings, Finding{
				Kind: GradNormZero, Step: steps[idx[i]].Step,
				Summary: fmt.Sprintf("gradient norm ≈ 0 from step %d: at most %.3g on %d of %d steps (initial %.3g): the updates do nothing",
					steps[idx[i]].Step, thr, n, len(ok), g0),
				Evidence: map[string]float64{"steps_zero": float64(n), "steps_measured": float64(len(ok)), "threshold": thr, "initial_grad_norm": g0},
			})
		}
	}

	// Entropy.
	if idx, vals, ok := perStep(steps, func(s StepLog) float64 { return s.Entropy }, func(v float64) bool { return v <= CollapsedEntropy }); len(ok) > 0 {
		if i, n := sustained(ok); i >= 0 {
			e0 := median(vals[:min(len(vals), 3)])
			summary := fmt.Sprintf("entropy collapse from step %d: entropy at most %.2g nats/token on %d of %d steps (initial %.3g): rollouts of a group barely differ, so their rewards tie",
				steps[idx[i]].Step, CollapsedEntropy, n, len(ok), e0)
			if idx[i] == idx[0] {
				summary += "; it is that low from the first step: check the sampling temperature"
			}
			d.Findings = append(d.Findings, Finding{
				Kind: EntropyCollapse, Step: steps[idx[i]].Step, Summary: summary,
				Evidence: map[string]float64{"steps_collapsed": float64(n), "steps_measured": float64(len(ok)), "threshold": CollapsedEntropy,
					"initial_entropy": e0, "final_entropy": vals[len(vals)-1]},
			})
		}
	}
	detectRewardFlat(d, steps)
}

// detectZeroAdvantage flags steps whose groups all tie: reward std ≈ 0,
// frac_reward_zero_std ≈ 1 or verl's advantages all ≈ 0.
func detectZeroAdvantage(d *Diagnosis, steps []StepLog) {
	var idx []int
	var ok []bool
	counts := map[string]int{}
	var rewards []float64
	for i, s := range steps {
		measured, zero := false, false
		check := func(v float64, hit func(float64) bool, what string) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return
			}
			measured = true
			if hit(v) {
				zero = true
				counts[what]++
			}
		}
		check(s.ZeroStdFrac, func(v float64) bool { return v >= ZeroStdGroups }, "steps_zero_std_groups")
		check(s.RewardStd, func(v float64) bool { return v <= ZeroRewardStd }, "steps_zero_reward_std")
		check(s.AdvAbsMax, func(v float64) bool { return v <= ZeroAdvantageMax }, "steps_zero_advantage")
		if !measured {
			continue
		}
		idx, ok = append(idx, i), append(ok, zero)
		if zero && !math.IsNaN(s.MeanReward) {
			rewards = append(rewards, s.MeanReward)
		}
	}
	i, n := sustained(ok)
	if i < 0 {
		return
	}
	ev := map[string]float64{"steps_no_advantage": float64(n), "steps_measured": float64(len(ok))}
	for k, v := range counts {
		ev[k] = float64(v)
	}
	summary := fmt.Sprintf("zero advantage from step %d: on %d of %d steps every group's rollouts got the same reward (reward std ≤ %.0e, ≥ %.0f%% of groups with zero std, or |advantage| ≤ %.0e), so GRPO has nothing to learn from",
		steps[idx[i]].Step, n, len(ok), ZeroRewardStd, 100*ZeroStdGroups, ZeroAdvantageMax)
	if len(rewards) > 0 {
		r := median(rewards)
		ev["median_reward_when_zero"] = r
		summary += fmt.Sprintf("; median reward on those steps %.3g", r)
		if r <= 0.05 {
			summary += " (every rollout fails: prompts too hard, or the verifier never matches the answer format)"
		}
	}
	d.Findings = append(d.Findings, Finding{Kind: ZeroAdvantage, Step: steps[idx[i]].Step, Summary: summary, Evidence: ev})
}

// quarters returns the medians of the first and last quarter of v and
// their median absolute deviations.
func quarters(v []float64) (first, last, madFirst, madLast float64) {
	q := max(1, len(v)/4)
	a, b := v[:q], v[len(v)-q:]
	first, last = median(a), median(b)
	mad := func(x []float64, m float64) float64 {
		d := make([]float64, len(x))
		for i, y := range x {
			d[i] = math.Abs(y - m)
		}
		return median(d)
	}
	return first, last, mad(a, first), mad(b, last)
}

// detectRewardFlat reports a reward that does not move between the first
// and last quarter of the run while KL or loss does.
func detectRewardFlat(d *Diagnosis, steps []StepLog) {
	_, R, _ := perStep(steps, func(s StepLog) float64 { return s.MeanReward }, func(float64) bool { return false })
	if len(R) < FlatMinRecords {
		return
	}
	scale := 1.0
	for _, r := range R {
		scale = max(scale, math.Abs(r))
	}
	r0, r1, _, _ := quarters(R)
	if math.Abs(r1-r0) > FlatRewardDelta*scale {
		return
	}
	ev := map[string]float64{"reward_first_quarter": r0, "reward_last_quarter": r1, "reward_scale": scale}
	var moved []string
	onset := -1
	if kidx, K, _ := perStep(steps, func(s StepLog) float64 { return s.KL }, func(float64) bool { return false }); len(K) >= FlatMinRecords {
		k0, k1, _, _ := quarters(K)
		if k1 >= KLGrowth*k0 && k1-k0 >= KLMinRise {
			moved = append(moved, fmt.Sprintf("KL %.3g → %.3g", k0, k1))
			ev["kl_first_quarter"], ev["kl_last_quarter"] = k0, k1
			for j, k := range K {
				if k >= KLGrowth*k0 && k-k0 >= KLMinRise {
					onset = kidx[j]
					break
				}
			}
		}
	}
	for _, loss := range []struct {
		name string
		get  func(StepLog) float64
	}{{"policy loss", func(s StepLog) float64 { return s.PGLoss }}, {"loss", func(s StepLog) float64 { return s.Loss }}} {
		lidx, L, _ := perStep(steps, loss.get, func(float64) bool { return false })
		if len(L) < FlatMinRecords {
			continue
		}
		l0, l1, m0, m1 := quarters(L)
		if diff := math.Abs(l1 - l0); diff >= LossMove*max(math.Abs(l0), math.Abs(l1)) && diff > 2*(m0+m1) {
			moved = append(moved, fmt.Sprintf("%s %.3g → %.3g", loss.name, l0, l1))
			ev[loss.name+"_first_quarter"], ev[loss.name+"_last_quarter"] = l0, l1
			if onset < 0 {
				onset = lidx[len(L)/4]
			}
		}
		break // the policy loss when logged, else the total loss
	}
	if len(moved) == 0 {
		return
	}
	if onset < 0 {
		onset = 0
	}
	d.Findings = append(d.Findings, Finding{
		Kind: RewardFlat, Step: steps[onset].Step,
		Summary: fmt.Sprintf("reward flat while the policy moves: reward %.3g → %.3g (first vs last quarter) while %s; the updates change the policy without improving the reward",
			r0, r1, joinAnd(moved)),
		Evidence: ev,
	})
}

func joinAnd(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return fmt.Sprintf("%s and %s", s[0], s[1])
}

// detectRewardHacking reports held-out accuracy falling by AccDrop or more
// from its peak to its last evaluation while the training reward rises by
// HackRewardRise of its scale over the same steps.
func detectRewardHacking(d *Diagnosis, steps []StepLog, V series, o DiagnoseOptions) {
	if V.n() < HackMinEvals {
		return
	}
	train := extract(steps, func(s StepLog) float64 { return s.MeanReward }, o.Window)
	what := "training reward"
	if train.n() < NoSignalMinRecords {
		train, what = extract(steps, func(s StepLog) float64 { return s.Accuracy }, o.Window), "training accuracy"
	}
	if train.n() < NoSignalMinRecords {
		return
	}
	peak := 0
	for i, v := range V.raw {
		if v > V.raw[peak] {
			peak = i
		}
	}
	last := V.n() - 1
	if peak == last || V.raw[last] > V.raw[peak]-o.AccDrop {
		return
	}
	scale := max(1, slices.Max(train.raw), -slices.Min(train.raw))
	r0, r1 := train.at(V.step[peak]), train.at(V.step[last])
	if r1-r0 < HackRewardRise*scale {
		return
	}
	onset := peak + 1
	for onset < last && V.raw[onset] > V.raw[peak]-o.AccDrop {
		onset++
	}
	d.Findings = append(d.Findings, Finding{
		Kind: RewardHacking, Step: V.step[onset], EndStep: V.step[last],
		Summary: fmt.Sprintf("reward hacking from step %d: held-out accuracy falls %.3f → %.3f (peak at step %d) while %s rises %.3f → %.3f: the policy learns the reward, not the task",
			V.step[onset], V.raw[peak], V.raw[last], V.step[peak], what, r0, r1),
		Evidence: map[string]float64{"heldout_peak": V.raw[peak], "heldout_peak_step": float64(V.step[peak]), "heldout_final": V.raw[last],
			"train_at_peak": r0, "train_final": r1},
	})
}
