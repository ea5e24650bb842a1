package rl

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
)

// FindingKind names a training-dynamics phenomenon: the paper's (PAPER.md
// §5) below, the degenerate-run kinds in nosignal.go.
type FindingKind string

const (
	// StageAdaptation is Stage I, length adaptation: the rollout length
	// falls steeply (roughly exponentially) from its initial level.
	StageAdaptation FindingKind = "stage_adaptation"
	// StageRefinement is Stage II, reasoning refinement: the length
	// plateaus while accuracy recovers or improves. Its Step is where the
	// second stage starts.
	StageRefinement FindingKind = "stage_refinement"
	// LengthCollapse: the length falls far below the target while accuracy
	// (at the largest budget when evaluated) drops.
	LengthCollapse FindingKind = "length_collapse"
	// ShortIsCorrectTrap: entropy explodes and length collapses together,
	// the signature of masking that couples "short" with "correct" (−I,
	// −L&C−S&I; PAPER.md §5.5).
	ShortIsCorrectTrap FindingKind = "short_is_correct_trap"
	// LengthRebound: after falling, the length climbs back up (seen under
	// off-policy staleness, PAPER.md §3).
	LengthRebound FindingKind = "length_rebound"
	// EntropyExplosion: policy entropy rises far above both its running
	// minimum and its initial level, and stays there.
	EntropyExplosion FindingKind = "entropy_explosion"
)

// Finding is one detected phenomenon, with the numbers that support it.
type Finding struct {
	Kind     FindingKind        `json:"kind"`
	Step     int                `json:"step"`               // where it starts
	EndStep  int                `json:"end_step,omitempty"` // where it ends, when it does
	Summary  string             `json:"summary"`
	Evidence map[string]float64 `json:"evidence"`
}

// Diagnosis is the result of Diagnose.
type Diagnosis struct {
	Steps           int       `json:"steps"` // step records read
	FirstStep       int       `json:"first_step"`
	LastStep        int       `json:"last_step"`
	Window          int       `json:"window"`          // smoothing window in records
	AccuracySource  string    `json:"accuracy_source"` // which series stood for accuracy
	RefinementStart int       `json:"refinement_start"`
	Findings        []Finding `json:"findings"`
	Notes           []string  `json:"notes,omitempty"`
	// Log says how a foreign log was read (format, column mapping); nil
	// when Diagnose was called on steps directly.
	Log *LogInfo `json:"log,omitempty"`
}

// Failure reports whether f is a failure, anything but the paper's two
// training stages.
func (f Finding) Failure() bool { return f.Kind != StageAdaptation && f.Kind != StageRefinement }

// Has reports whether d holds a finding of kind k.
func (d Diagnosis) Has(k FindingKind) bool {
	_, ok := d.Find(k)
	return ok
}

// Find returns the finding of kind k.
func (d Diagnosis) Find(k FindingKind) (Finding, bool) {
	for _, f := range d.Findings {
		if f.Kind == k {
			return f, true
		}
	}
	return Finding{}, false
}

// DiagnoseOptions tune the detectors; zero fields take the defaults in
// brackets. The paper gives no numeric thresholds: these are ours, chosen
// so that flat and noisy runs do not trigger (see dynamics_test.go).
type DiagnoseOptions struct {
	TargetLen     int     // L_T of the run; 0 = unknown (LengthCollapse then compares with the initial length)
	Staleness     int     // S of the run, for the notes; 0 = unknown
	Window        int     // smoothing window in step records [max(3, n/15), odd]
	MinFall       float64 // Stage I needs the smoothed length to fall by this share of its initial level [0.3]
	KneeFrac      float64 // Stage II starts once the length is within this share of the fall from its plateau [0.1]
	PlateauBand   float64 // the plateau holds while length stays within ±this share of its level [0.2]
	CollapseFrac  float64 // collapse: length below this share of TargetLen [0.25] (of the initial length when TargetLen is 0: half this)
	AccDrop       float64 // an accuracy drop counts when ≥ this, absolute [0.05]
	ExplodeFactor float64 // entropy explosion: ≥ this × its running minimum [2] …
	ExplodeOverE0 float64 // … and ≥ this × its initial level [1.2]
	ReboundFrac   float64 // rebound: length rises ≥ this share above its minimum [0.5] …
	ReboundOfFall float64 // … recovering ≥ this share of the earlier fall [0.3]
	TrapFall      float64 // trap: after the entropy onset the length falls by ≥ this share [0.4]
}

func (o DiagnoseOptions) withDefaults(n int) DiagnoseOptions {
	def := func(x *float64, v float64) {
		if *x == 0 {
			*x = v
		}
	}
	if o.Window <= 0 {
		o.Window = max(3, n/15)
	}
	if o.Window%2 == 0 {
		o.Window++
	}
	def(&o.MinFall, 0.3)
	def(&o.KneeFrac, 0.1)
	def(&o.PlateauBand, 0.2)
	def(&o.CollapseFrac, 0.25)
	def(&o.AccDrop, 0.05)
	def(&o.ExplodeFactor, 2)
	def(&o.ExplodeOverE0, 1.2)
	def(&o.ReboundFrac, 0.5)
	def(&o.ReboundOfFall, 0.3)
	def(&o.TrapFall, 0.4)
	return o
}

// series is one metric over the steps where it was measured.
type series struct {
	step []int
	raw  []float64
	s    []float64 // smoothed
}

func (x series) n() int { return len(x.step) }

// at returns the smoothed value at the record nearest to step.
func (x series) at(step int) float64 {
	if x.n() == 0 {
		return math.NaN()
	}
	i := sort.SearchInts(x.step, step)
	switch {
	case i == x.n():
		i--
	case i > 0 && step-x.step[i-1] < x.step[i]-step:
		i--
	}
	return x.s[i]
}

// index returns the first record at or after step (n when none).
func (x series) index(step int) int { return sort.SearchInts(x.step, step) }

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	c := slices.Clone(v)
	slices.Sort(c)
	if len(c)%2 == 1 {
		return c[len(c)/2]
	}
	return (c[len(c)/2-1] + c[len(c)/2]) / 2
}

// smooth is a centred moving median (robust to spikes) followed by a centred
// moving mean, both of window w, truncated at the ends.
func smooth(y []float64, w int) []float64 {
	h := w / 2
	med := make([]float64, len(y))
	for i := range y {
		med[i] = median(y[max(0, i-h):min(len(y), i+h+1)])
	}
	out := make([]float64, len(y))
	for i := range y {
		lo, hi := max(0, i-h), min(len(y), i+h+1)
		sum := 0.0
		for _, v := range med[lo:hi] {
			sum += v
		}
		out[i] = sum / float64(hi-lo)
	}
	return out
}

func extract(steps []StepLog, get func(StepLog) float64, w int) series {
	var x series
	for _, s := range steps {
		if v := get(s); !math.IsNaN(v) && !math.IsInf(v, 0) {
			x.step = append(x.step, s.Step)
			x.raw = append(x.raw, v)
		}
	}
	x.s = smooth(x.raw, min(w, max(1, x.n()/3)|1))
	return x
}

// heldOutSeries is Mean@k at the largest evaluated budget (mean over
// benchmarks) at the evaluated steps, unsmoothed beyond a window of 3.
func heldOutSeries(steps []StepLog) (series, string) {
	largest, found := 0, false
	for _, s := range steps {
		for _, e := range s.Eval {
			if !found || e.Budget > largest {
				largest, found = e.Budget, true
			}
		}
	}
	if found {
		x := extract(steps, func(s StepLog) float64 {
			sum, n := 0.0, 0
			for _, e := range s.Eval {
				if e.Budget == largest {
					sum += e.MeanAtK
					n++
				}
			}
			if n == 0 {
				return math.NaN()
			}
			return sum / float64(n)
		}, 3)
		if largest == 0 {
			return x, "eval mean@k"
		}
		return x, fmt.Sprintf("eval mean@k at budget %d", largest)
	}
	return series{}, "none"
}

// accuracySeries picks the accuracy the detectors use: held-out Mean@k
// (heldOutSeries) when at least 3 steps were evaluated, else training
// accuracy, else mean reward.
func accuracySeries(steps []StepLog, w int) (series, string) {
	if x, src := heldOutSeries(steps); x.n() >= 3 {
		return x, src
	}
	if x := extract(steps, func(s StepLog) float64 { return s.Accuracy }, w); x.n() >= 3 {
		return x, "training accuracy"
	}
	if x := extract(steps, func(s StepLog) float64 { return s.MeanReward }, w); x.n() >= 3 {
		return x, "mean reward (no accuracy logged)"
	}
	return series{}, "none"
}

// Diagnose runs every detector on a run's step log (sorted by step, as
// ReadSteps returns it): the paper's phenomena, on smoothed series
// (smooth; the comments on FindingKind and DiagnoseOptions say what each
// one checks), then the degenerate-run detectors of nosignal.go, on
// per-step conditions with documented constant thresholds.
func Diagnose(steps []StepLog, opt DiagnoseOptions) Diagnosis {
	d := Diagnosis{Steps: len(steps), RefinementStart: -1, Findings: []Finding{}}
	if len(steps) > 0 {
		d.FirstStep, d.LastStep = steps[0].Step, steps[len(steps)-1].Step
	}
	o := opt.withDefaults(len(steps))
	d.Window = o.Window
	L := extract(steps, func(s StepLog) float64 { return s.MeanLength }, o.Window)
	E := extract(steps, func(s StepLog) float64 { return s.Entropy }, o.Window)
	A, src := accuracySeries(steps, o.Window)
	d.AccuracySource = src
	const minSteps = 10
	if L.n() < minSteps {
		d.Notes = append(d.Notes, fmt.Sprintf("only %d steps with a mean length: need %d for the length detectors", L.n(), minSteps))
	}
	if E.n() < minSteps {
		d.Notes = append(d.Notes, fmt.Sprintf("only %d steps with an entropy: need %d for the entropy detectors", E.n(), minSteps))
	}
	if A.n() == 0 {
		d.Notes = append(d.Notes, "no accuracy, reward or eval logged: stage II and collapse cannot be confirmed by accuracy")
	}

	if L.n() >= minSteps {
		adapted := detectStages(&d, L, A, o)
		detectCollapse(&d, L, A, o)
		detectRebound(&d, L, o, adapted)
	}
	if E.n() >= minSteps {
		if ex, ok := detectExplosion(&d, E, o); ok && L.n() >= minSteps {
			detectTrap(&d, L, ex, o)
		}
	}
	detectNoSignal(&d, steps)
	if V, _ := heldOutSeries(steps); V.n() > 0 {
		detectRewardHacking(&d, steps, V, o)
	}
	for _, f := range d.Findings {
		for k, v := range f.Evidence {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				delete(f.Evidence, k) // keep the Diagnosis JSON-encodable
			}
		}
	}
	if d.Has(LengthRebound) && d.Has(EntropyExplosion) {
		note := "length rebound with entropy explosion: the paper sees this under off-policy staleness (S ≥ 2, after ~400 steps); train on-policy (S = 1)"
		if o.Staleness > 1 {
			note = fmt.Sprintf("staleness S = %d: ", o.Staleness) + note
		}
		d.Notes = append(d.Notes, note)
	}
	return d
}

// initialLevel is the median of the first max(3, w/5) raw values: short
// enough not to blur a steep early fall.
func initialLevel(x series, w int) float64 {
	return median(x.raw[:min(x.n(), max(3, w/5))])
}

// detectStages finds Stage I and Stage II from the smoothed length S.
//
// The plateau is the first run of minRun = max(3·Window, 10% of the run)
// records whose values stay within ±PlateauBand of their median P, with P at
// least MinFall below the initial level L0. Stage I (length adaptation) is
// reported when the length falls by at least MinFall (to P, or to its
// minimum when no plateau follows). Stage II (reasoning refinement) starts
// at the knee, the first record within KneeFrac·(L0 − P) of P, and lasts
// while the plateau's length stays within ±PlateauBand of P; it is reported unless
// accuracy over it drops by AccDrop or more.
func detectStages(d *Diagnosis, L, A series, o DiagnoseOptions) bool {
	n, w := L.n(), o.Window
	L0 := initialLevel(L, w)
	if !(L0 > 0) {
		return false
	}
	minRun := max(3*w, n/10)
	P, plateau := math.NaN(), -1
	for t := 0; t+minRun <= n; t++ {
		m := median(L.s[t : t+minRun])
		if m > (1-o.MinFall)*L0 {
			continue
		}
		lo, hi := slices.Min(L.s[t:t+minRun]), slices.Max(L.s[t:t+minRun])
		if lo >= m*(1-o.PlateauBand) && hi <= m*(1+o.PlateauBand) {
			P, plateau = m, t
			break
		}
	}
	level := P
	if plateau < 0 {
		level = slices.Min(L.s)
	}
	fall := 1 - level/L0
	if fall < o.MinFall {
		return false
	}
	knee := 0
	for i, v := range L.s {
		if v <= level+o.KneeFrac*(L0-level) {
			knee = i
			break
		}
	}
	if plateau >= 0 {
		knee = min(knee, plateau)
	}
	half := 0
	for i, v := range L.s {
		if v <= (L0+level)/2 {
			half = i
			break
		}
	}
	f := Finding{
		Kind: StageAdaptation, Step: L.step[0], EndStep: L.step[knee],
		Evidence: map[string]float64{
			"initial_length": L0, "adapted_length": level, "fall_fraction": fall, "half_fall_step": float64(L.step[half]),
		},
	}
	f.Summary = fmt.Sprintf("length adaptation: length falls %.0f%% (%.0f → %.0f tokens) by step %d; half of the fall by step %d",
		100*fall, L0, level, L.step[knee], L.step[half])
	d.Findings = append(d.Findings, f)
	if plateau < 0 {
		d.Notes = append(d.Notes, fmt.Sprintf("length fell but never held within ±%.0f%% for %d records: no reasoning-refinement plateau", 100*o.PlateauBand, minRun))
		return true
	}

	// The plateau lasts from its first record while the length stays in band.
	lo, hi := P*(1-o.PlateauBand), P*(1+o.PlateauBand)
	end := plateau
	for end < n && L.s[end] >= lo && L.s[end] <= hi {
		end++
	}
	start, stop := L.step[knee], L.step[end-1]
	ev := map[string]float64{"plateau_length": P, "plateau_start_step": float64(L.step[plateau]), "plateau_records": float64(end - plateau)}
	if TL := o.TargetLen; TL > 0 {
		ev["plateau_over_target"] = P / float64(TL)
	}
	summary := fmt.Sprintf("reasoning refinement from step %d to %d: length plateaus at ≈%.0f tokens", start, stop, P)
	if A.n() > 0 {
		a0, a1 := A.at(start), A.at(stop)
		amin := a0
		for i := 0; i < A.n() && A.step[i] <= start; i++ {
			amin = min(amin, A.s[i])
		}
		ev["accuracy_at_start"], ev["accuracy_at_end"], ev["accuracy_min_stage1"] = a0, a1, amin
		if a1 < a0-o.AccDrop {
			d.Notes = append(d.Notes, fmt.Sprintf("length plateaus from step %d but accuracy (%s) falls %.3f → %.3f: not a refinement stage", start, d.AccuracySource, a0, a1))
			return true
		}
		summary += fmt.Sprintf(" while accuracy (%s) goes %.3f → %.3f", d.AccuracySource, a0, a1)
	}
	d.Findings = append(d.Findings, Finding{Kind: StageRefinement, Step: start, EndStep: stop, Summary: summary, Evidence: ev})
	d.RefinementStart = start
	return true
}

// detectCollapse reports the length falling below CollapseFrac·TargetLen
// (CollapseFrac/2 of the initial length when the target is unknown) and
// staying there for Window records, while accuracy ends at least AccDrop
// below its initial level.
func detectCollapse(d *Diagnosis, L, A series, o DiagnoseOptions) {
	n, w := L.n(), o.Window
	L0 := initialLevel(L, w)
	ref, what := float64(o.TargetLen), "target"
	thr := o.CollapseFrac * ref
	if o.TargetLen <= 0 {
		ref, what = L0, "initial length"
		thr = o.CollapseFrac / 2 * ref
	}
	onset := -1
	for i := 0; i+w <= n; i++ {
		below := true
		for _, v := range L.s[i : i+w] {
			if v >= thr {
				below = false
				break
			}
		}
		if below {
			onset = i
			break
		}
	}
	if onset < 0 {
		return
	}
	if A.n() < 3 {
		d.Notes = append(d.Notes, fmt.Sprintf("length fell below %.0f tokens (%.0f%% of the %s) at step %d, but no accuracy to confirm a collapse", thr, 100*thr/ref, what, L.step[onset]))
		return
	}
	a0 := median(A.raw[:min(A.n(), 3)])
	aEnd := median(A.raw[max(0, A.n()-3):])
	if a0-aEnd < o.AccDrop {
		d.Notes = append(d.Notes, fmt.Sprintf("length fell below %.0f tokens at step %d while accuracy held (%.3f → %.3f): very short but not collapsed", thr, L.step[onset], a0, aEnd))
		return
	}
	lEnd := median(L.raw[max(0, n-w):])
	d.Findings = append(d.Findings, Finding{
		Kind: LengthCollapse, Step: L.step[onset],
		Summary: fmt.Sprintf("length collapse from step %d: length %.0f tokens (%.0f%% of the %s) while accuracy (%s) drops %.3f → %.3f",
			L.step[onset], lEnd, 100*lEnd/ref, what, d.AccuracySource, a0, aEnd),
		Evidence: map[string]float64{"threshold": thr, "reference_length": ref, "final_length": lEnd,
			"accuracy_initial": a0, "accuracy_final": aEnd, "accuracy_drop": a0 - aEnd},
	})
}

// detectRebound reports the smoothed length rising, after its minimum, at
// least ReboundFrac above it and by at least ReboundOfFall of the earlier
// fall from the initial length.
func detectRebound(d *Diagnosis, L series, o DiagnoseOptions, adapted bool) {
	n, w := L.n(), o.Window
	if !adapted {
		return
	}
	L0 := initialLevel(L, w)
	imin := 0
	for i, v := range L.s {
		if v < L.s[imin] {
			imin = i
		}
	}
	Lmin := L.s[imin]
	thr := max(Lmin*(1+o.ReboundFrac), Lmin+o.ReboundOfFall*(L0-Lmin))
	for i := imin + 1; i < n; i++ {
		if L.s[i] >= thr {
			peak := i
			for j := i; j < n; j++ {
				if L.s[j] > L.s[peak] {
					peak = j
				}
			}
			d.Findings = append(d.Findings, Finding{
				Kind: LengthRebound, Step: L.step[i],
				Summary: fmt.Sprintf("length rebound from step %d: after its minimum %.0f tokens at step %d it climbs to %.0f by step %d",
					L.step[i], Lmin, L.step[imin], L.s[peak], L.step[peak]),
				Evidence: map[string]float64{"min_length": Lmin, "min_step": float64(L.step[imin]),
					"peak_length": L.s[peak], "peak_step": float64(L.step[peak]), "rise_fraction": L.s[peak]/Lmin - 1},
			})
			return
		}
	}
}

// detectExplosion reports the smoothed entropy reaching ExplodeFactor × its
// running minimum and ExplodeOverE0 × its initial level, and staying above
// that for Window records (or to the end of the log).
func detectExplosion(d *Diagnosis, E series, o DiagnoseOptions) (Finding, bool) {
	n, w := E.n(), o.Window
	E0 := initialLevel(E, w)
	runMin, argMin := math.Inf(1), 0
	for i := range n {
		if E.s[i] < runMin {
			runMin, argMin = E.s[i], i
		}
		thr := max(o.ExplodeFactor*runMin, o.ExplodeOverE0*E0)
		if !(runMin > 0) || E.s[i] < thr {
			continue
		}
		held := true
		for j := i; j < min(n, i+w); j++ {
			if E.s[j] < thr {
				held = false
				break
			}
		}
		if !held {
			continue
		}
		peak := i
		for j := i; j < n; j++ {
			if E.s[j] > E.s[peak] {
				peak = j
			}
		}
		f := Finding{
			Kind: EntropyExplosion, Step: E.step[i],
			Summary: fmt.Sprintf("entropy explosion from step %d: entropy rises from %.3f (step %d) to %.3f (step %d), %.1f× its low and %.1f× its initial %.3f",
				E.step[i], runMin, E.step[argMin], E.s[peak], E.step[peak], E.s[peak]/runMin, E.s[peak]/E0, E0),
			Evidence: map[string]float64{"initial_entropy": E0, "min_entropy": runMin, "min_step": float64(E.step[argMin]),
				"peak_entropy": E.s[peak], "peak_step": float64(E.step[peak]), "ratio_to_min": E.s[peak] / runMin},
		}
		d.Findings = append(d.Findings, f)
		return f, true
	}
	return Finding{}, false
}

// detectTrap reports an entropy explosion during which the length falls by
// at least TrapFall from its level at the explosion's onset.
func detectTrap(d *Diagnosis, L series, ex Finding, o DiagnoseOptions) {
	onset := ex.Step
	i0 := L.index(onset)
	if i0 >= L.n() {
		return
	}
	// Length at the onset: its level over the Window records before it.
	before := L.s[max(0, i0-o.Window) : i0+1]
	l0 := slices.Max(before)
	imin := i0
	for i := i0; i < L.n(); i++ {
		if L.s[i] < L.s[imin] {
			imin = i
		}
	}
	if L.s[imin] > (1-o.TrapFall)*l0 {
		return
	}
	d.Findings = append(d.Findings, Finding{
		Kind: ShortIsCorrectTrap, Step: onset, EndStep: L.step[imin],
		Summary: fmt.Sprintf("short-is-correct trap from step %d: entropy explodes (×%.1f) while length collapses %.0f → %.0f tokens; typical of masking that couples short with correct (−I, −L&C−S&I)",
			onset, ex.Evidence["ratio_to_min"], l0, L.s[imin]),
		Evidence: map[string]float64{"length_at_onset": l0, "length_min": L.s[imin], "length_min_step": float64(L.step[imin]),
			"length_fall": 1 - L.s[imin]/l0, "entropy_ratio": ex.Evidence["ratio_to_min"]},
	})
}

// WriteText writes d for people: one line per finding with its evidence,
// then the notes.
func (d Diagnosis) WriteText(w io.Writer) error {
	var b strings.Builder
	if l := d.Log; l != nil {
		l.writeText(&b)
	}
	fmt.Fprintf(&b, "%d step records (steps %d–%d), smoothing window %d, accuracy from %s\n", d.Steps, d.FirstStep, d.LastStep, d.Window, d.AccuracySource)
	if len(d.Findings) == 0 {
		b.WriteString("no findings\n")
	}
	for _, f := range d.Findings {
		fmt.Fprintf(&b, "- %s: %s\n", f.Kind, f.Summary)
		keys := make([]string, 0, len(f.Evidence))
		for k := range f.Evidence {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s=%.4g", k, f.Evidence[k])
		}
		fmt.Fprintf(&b, "    evidence: %s\n", strings.Join(parts, " "))
	}
	if d.RefinementStart >= 0 {
		fmt.Fprintf(&b, "stage II (reasoning refinement) starts at step %d\n", d.RefinementStart)
	}
	for _, n := range d.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
