package demo

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/terse-dev/terse/lab"
	"github.com/terse-dev/terse/rl"
)

// Run names. Baseline is the paper's recommended recipe (truncation reward,
// L_R = L_T, N = Profile.GroupSize, Easy prompts): findings 1, 3, 4, 6, 7
// and 8 use it (PAPER.md §5 numbering), and it is trained once. Unified is
// truncation under the paper's unified protocol (L_R = 4·L_T): the
// reference of findings 2 and 5, which compare reward shapes at that
// protocol, and the long-limit side of finding 6. The shapes must be compared with L_R > L_T: with L_R = L_T no
// finished rollout is longer than L_T, so Laser and −L&C coincide with
// truncation by construction (equal advantages after normalisation).
const (
	Baseline    = "truncation"
	runKimi     = "kimi"
	runLaser    = "laser"
	runLaserD   = "laser-d"
	runHard     = "hard-only"
	runFull     = "full"
	Unified     = "truncation-LR4x"
	runMaskI    = "truncation-I"
	runMaskLC   = "truncation-LC"
	runMaskLCSI = "truncation-LC-SI"
	runMaskLCLI = "truncation-LC-LI"
	groupPrefix = "group-size-"
)

// RunSpec is one GRPO run: rl config overrides on top of the profile's
// common overrides (rl.Default() underneath).
type RunSpec struct {
	Name      string   `json:"name"`      // directory under runs/ and key in results.json
	Label     string   `json:"label"`     // the paper's name for it
	Overrides []string `json:"overrides"` // rl config key=value, applied after the common ones
	// cost is the run's estimated compute relative to one baseline run
	// (for the progress bar's ETA).
	cost float64
}

// groupRun names the run of finding 4 with group size n (the baseline
// when n is the profile's GroupSize).
func groupRun(p Profile, n int) string {
	if n == p.GroupSize {
		return Baseline
	}
	return groupPrefix + strconv.Itoa(n)
}

// Runs returns every run of the demo for a profile, baseline first.
func Runs(p Profile) []RunSpec {
	long := p.LongLimit * p.TargetLen
	// Shapes are compared under the unified protocol, L_R = LongLimit·L_T.
	shape := func(name, label, shape string) RunSpec {
		return RunSpec{Name: name, Label: fmt.Sprintf("%s, L_R = %d", label, long),
			Overrides: []string{"reward.shape=" + shape, "rollout.rollout_limit=" + strconv.Itoa(long)}, cost: 1.2}
	}
	runs := []RunSpec{
		{Name: Baseline, Label: fmt.Sprintf("truncation, L_R = L_T = %d, N = %d, Easy", p.TargetLen, p.GroupSize), cost: 1},
		{Name: Unified, Label: fmt.Sprintf("truncation, L_R = %d·L_T = %d (unified protocol)", p.LongLimit, long),
			Overrides: []string{"rollout.rollout_limit=" + strconv.Itoa(long)}, cost: 1.2},
		shape(runKimi, "Kimi-1.5 (α = 0.4)", "kimi"),
		shape(runLaser, "Laser (α = 0.4)", "laser"),
		shape(runLaserD, "Laser-D (α = 0.4)", "laser-d"),
		{Name: runHard, Label: "Hard-only prompts", Overrides: []string{"data.difficulty=hard"}, cost: 1.2},
		{Name: runFull, Label: "Full prompt set", Overrides: []string{"data.difficulty=all"}, cost: 1.1},
	}
	for _, n := range p.GroupSizes {
		if n == p.GroupSize {
			continue
		}
		runs = append(runs, RunSpec{Name: groupRun(p, n), Label: fmt.Sprintf("N = %d", n),
			Overrides: []string{"rollout.group_size=" + strconv.Itoa(n)}, cost: float64(n) / float64(p.GroupSize)})
	}
	runs = append(runs,
		shape(runMaskI, "truncation −I", "truncation-i"),
		shape(runMaskLC, "truncation −L&C", "truncation-lc"),
		shape(runMaskLCSI, "truncation −L&C−S&I", "truncation-lc-si"),
		shape(runMaskLCLI, "truncation −L&C−L&I", "truncation-lc-li"),
	)
	return runs
}

// commonOverrides are the rl config overrides every run shares: the
// profile's sizes on top of rl.Default() (the paper's unified protocol at
// lab scale). Run directories are set separately.
func commonOverrides(p Profile) []string {
	budgets := make([]string, len(p.Budgets))
	for i, b := range p.Budgets {
		budgets[i] = strconv.Itoa(b)
	}
	return []string{
		"data.difficulty=easy",
		"data.pass_rate_k=" + strconv.Itoa(p.PassRateK),
		"data.easy_threshold=" + strconv.FormatFloat(p.EasyAbove, 'g', -1, 64),
		"rollout.prompts_per_step=" + strconv.Itoa(p.PromptsPerStep),
		"rollout.group_size=" + strconv.Itoa(p.GroupSize),
		"rollout.rollout_limit=" + strconv.Itoa(p.TargetLen),
		"rollout.temperature=" + strconv.FormatFloat(p.Temperature, 'g', -1, 64),
		"rollout.top_p=" + strconv.FormatFloat(p.TopP, 'g', -1, 64),
		"rollout.top_k=" + strconv.Itoa(p.TopK),
		"reward.shape=truncation",
		"reward.target_len=" + strconv.Itoa(p.TargetLen),
		"optim.lr=" + strconv.FormatFloat(p.LR, 'g', -1, 64),
		"optim.schedule=" + cmp.Or(p.Schedule, "constant"),
		"loss.micro_batch=" + strconv.Itoa(p.MicroBatch),
		"loss.kl_stat_every=" + strconv.Itoa(klStatEvery(p)),
		"eval.every=" + strconv.Itoa(p.EvalEvery),
		"eval.budgets=" + strings.Join(budgets, ","),
		"eval.k=" + strconv.Itoa(p.K),
		"run.steps=" + strconv.Itoa(p.Steps),
		"run.seed=" + strconv.FormatUint(p.Seed, 10),
		"run.checkpoint_every=" + strconv.Itoa(p.CheckpointEvery),
	}
}

// klStatEvery is the demo's loss.kl_stat_every. No run has a KL term, so
// the KL statistic only feeds the step logs and rl.Diagnose; logging it on
// fewer steps spares most reference forwards (about a fifth of a step) and
// changes nothing else, as long as a run keeps the rl.FlatMinRecords KL
// records that the flat-reward detector needs: every 2nd step of 48, every
// 4th (at most) of longer runs, every step of short ones.
func klStatEvery(p Profile) int {
	return max(1, min(4, p.Steps/rl.FlatMinRecords))
}

// FindingNames returns the --only keys in report order.
func FindingNames() []string {
	var names []string
	for _, f := range Findings(DefaultProfile()) {
		names = append(names, f.Name)
	}
	return names
}

// otherFamilies are the lab families the runs do not train on.
func otherFamilies(p Profile) []string {
	var out []string
	for _, f := range lab.Families() {
		if f != p.TrainFamily {
			out = append(out, f)
		}
	}
	return out
}

// inDomain is the lab benchmark of the training family.
func inDomain(p Profile) string { return "lab-" + p.TrainFamily }

// selectFindings returns the findings named in only (all when empty).
func selectFindings(p Profile, only []string) ([]Finding, error) {
	all := Findings(p)
	if len(only) == 0 {
		return all, nil
	}
	var out []Finding
	for _, f := range all {
		if slices.Contains(only, f.Name) {
			out = append(out, f)
		}
	}
	for _, name := range only {
		if !slices.ContainsFunc(all, func(f Finding) bool { return f.Name == name }) {
			return nil, fmt.Errorf("demo: unknown experiment %q (want one of %s)", name, strings.Join(FindingNames(), ", "))
		}
	}
	return out, nil
}

func joinInts(xs []int, sep string) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, sep)
}
