package demo

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/terse-dev/terse/internal/atomicfile"
	"github.com/terse-dev/terse/rl"
)

// Schema names the results.json format below. A change that removes or
// renames a field bumps the version; added fields do not.
const Schema = "terse.demo/v1"

// Files and directories of a demo output directory.
const (
	ResultsFile = "results.json" // Results
	ReportFile  = "report.html"  // the self-contained HTML report
	baseDir     = "base"         // the base model's evaluation (result.json)
	profileDir  = "profile"      // the Easy/Hard profile (rl's pass_rates.json + difficulty.json)
	runsDir     = "runs"         // one rl run directory per RunSpec, plus its result.json
	resultFile  = "result.json"  // a finished run or evaluation, cached
	stampFile   = "fingerprint"  // the inputs a run directory was started with
)

// Results is results.json (schema terse.demo/v1):
//
//	schema        "terse.demo/v1"
//	model         the base model: "lab-base" or a checkpoint directory
//	model_hash    FNV-1a of the base weights (part of every cache key)
//	blas          the matrix-multiply backend that ran it
//	profile       the sizing (Profile)
//	seconds       wall time of the invocation that wrote the file
//	work_seconds  wall time of the base ladder and all runs, cached or not
//	difficulty    the Easy/Hard profile of the training prompts
//	base          the base model's budget ladder (RunResult without steps)
//	runs          every trained run: overrides, step logs, dynamics, ladder
//	findings      one Verdict per finding computed, in report order
//
// A ladder (RunResult.Final) holds, per benchmark and budget, Mean@k,
// Pass@k (unbiased, k = profile.k), truncation rate and mean length in
// tokens (capped at the budget), in strict mode (eval/metrics).
type Results struct {
	Schema    string  `json:"schema"`
	Model     string  `json:"model"`
	ModelHash string  `json:"model_hash"`
	BLAS      string  `json:"blas"`
	Profile   Profile `json:"profile"`
	Seconds   float64 `json:"seconds"`
	// WorkSeconds sums the wall time of the base ladder and every run,
	// including work cached by earlier invocations.
	WorkSeconds float64         `json:"work_seconds"`
	Difficulty  *Difficulty     `json:"difficulty,omitempty"`
	Base        *RunResult      `json:"base,omitempty"`
	Runs        []RunResult     `json:"runs"`
	Findings    []FindingResult `json:"findings"`
	Notes       []string        `json:"notes,omitempty"`
}

// Difficulty summarises the Easy/Hard profile (PAPER.md §3): the base
// model's pass rate over PassRateK rollouts per training prompt.
type Difficulty struct {
	Prompts      int     `json:"prompts"`
	K            int     `json:"k"`
	Threshold    float64 `json:"threshold"`
	Easy         int     `json:"easy"` // pass rate > threshold
	Hard         int     `json:"hard"`
	MeanPassRate float64 `json:"mean_pass_rate"`
	// Histogram counts prompts by correct rollouts, 0..K.
	Histogram []int `json:"histogram"`
	// EasyPassRate and HardPassRate are the mean pass rates of the Easy and
	// the Hard prompts: the positive-reward density of each under
	// truncation at L_R = L_T, from the profile's own rollouts.
	// HardNoPositive is the share of Hard prompts none of whose K rollouts
	// is correct (a group without any learning signal).
	EasyPassRate   float64 `json:"easy_pass_rate"`
	HardPassRate   float64 `json:"hard_pass_rate"`
	HardNoPositive float64 `json:"hard_no_positive"`
}

// Run statuses.
const (
	StatusOK     = "ok"
	StatusFailed = "failed" // training or evaluation returned an error (Error says which)
)

// RunResult is one trained run (or, as Results.Base, the base model).
type RunResult struct {
	Name      string   `json:"name"`
	Label     string   `json:"label"`
	Overrides []string `json:"overrides,omitempty"`
	Status    string   `json:"status"`
	Error     string   `json:"error,omitempty"`
	Seconds   float64  `json:"seconds"` // wall time of training and evaluation
	// Steps are the step logs (rl.StepLog: length, accuracy, entropy, KL,
	// in-training ladder every eval_every steps).
	Steps []rl.StepLog `json:"steps,omitempty"`
	// Summary condenses Steps.
	Summary *StepSummary `json:"summary,omitempty"`
	// Dynamics is rl.Diagnose of Steps.
	Dynamics *rl.Diagnosis `json:"dynamics,omitempty"`
	// Final is the budget ladder of the final policy, per benchmark.
	Final       []BenchResult `json:"final"`
	Fingerprint string        `json:"fingerprint"`
}

// StepSummary condenses a run's step logs: means over the first and the
// last quarter of the steps (at least one step each).
type StepSummary struct {
	Steps          int     `json:"steps"`
	LengthStart    float64 `json:"length_start"`
	LengthEnd      float64 `json:"length_end"`
	LengthMin      float64 `json:"length_min"`
	LengthNegEnd   float64 `json:"length_neg_end"`
	EntropyStart   float64 `json:"entropy_start"`
	EntropyEnd     float64 `json:"entropy_end"`
	EntropyMax     float64 `json:"entropy_max"`
	AccuracyStart  float64 `json:"accuracy_start"`
	AccuracyEnd    float64 `json:"accuracy_end"`
	TruncationEnd  float64 `json:"truncation_end"`
	KLEnd          float64 `json:"kl_end"`
	SecondsPerStep float64 `json:"seconds_per_step"`
	// HalfwayDrop is the relative fall of the length by the middle step:
	// 1 − length(mid) / length(start), the speed of length adaptation.
	HalfwayDrop float64 `json:"halfway_drop"`
}

// BenchResult is one benchmark's budget ladder.
type BenchResult struct {
	Benchmark string         `json:"benchmark"`
	Problems  int            `json:"problems"`
	K         int            `json:"k"`
	Budgets   []BudgetResult `json:"budgets"`
}

// BudgetResult is every metric at one budget.
type BudgetResult struct {
	Budget         int     `json:"budget"`
	MeanAtK        float64 `json:"mean_at_k"`
	PassAtK        float64 `json:"pass_at_k"`
	TruncationRate float64 `json:"truncation_rate"`
	MeanLength     float64 `json:"mean_length"`         // tokens, capped at the budget
	LengthCorrect  float64 `json:"mean_length_correct"` // of correct rollouts; 0 when none
	// PerProblem and PerProblemPass are each problem's share of correct
	// samples and its Pass@k at this budget, in the benchmark's problem
	// order: the verdicts pair two runs problem by problem.
	PerProblem     []float64 `json:"per_problem,omitempty"`
	PerProblemPass []float64 `json:"per_problem_pass,omitempty"`
	// PerProblemLength is each problem's mean length in tokens (capped at
	// this budget), for the paired length comparisons of the verdicts.
	PerProblemLength []float64 `json:"per_problem_length,omitempty"`
}

// Reproduction outcomes of a Verdict.
const (
	Yes          = "yes"
	No           = "no"
	Inconclusive = "inconclusive"
)

// Verdict says whether the lab reproduces a finding, decided from measured
// numbers by an explicit rule (rules.go and the finding's own file), over
// one seed or pooled over Seeds seeds.
type Verdict struct {
	Claim      string `json:"claim"`
	Reproduced string `json:"reproduced"` // yes, no or inconclusive
	Rule       string `json:"rule"`       // the decision rule, in words
	Evidence   string `json:"evidence"`   // the sentence the report shows
	// Numbers are the numbers that decided it: for a paired comparison
	// KEY_diff, KEY_lo95, KEY_hi95, KEY_lo90, KEY_hi90 and KEY_se (log
	// ratios for lengths).
	Numbers map[string]float64 `json:"numbers"`
	// Clauses are the tested parts of the claim, each with its outcome.
	Clauses []Clause `json:"clauses,omitempty"`
	// Margins are the margins and thresholds the rule uses, fixed in
	// advance (rules.go).
	Margins []Margin `json:"margins,omitempty"`
	// Seeds is the number of training seeds the verdict pools.
	Seeds int `json:"seeds,omitempty"`
	// LabDiff, when the finding is not reproduced, is what in the lab
	// differs from the paper's setting, with the lab's measured numbers
	// (Finding.labDiff). It explains the verdict; it does not decide it.
	LabDiff string `json:"lab_differs,omitempty"`
}

// FindingResult is one finding in results.json.
type FindingResult struct {
	ID      int      `json:"id"`
	Name    string   `json:"name"`
	Title   string   `json:"title"`
	Runs    []string `json:"runs"`
	Verdict Verdict  `json:"verdict"`
}

// runOrBase returns the run named name, or the base model's ladder for
// baseRun; nil when absent.
func (r *Results) runOrBase(name string) *RunResult {
	if name == baseRun {
		return r.Base
	}
	return r.run(name)
}

// run returns the run named name, or nil.
func (r *Results) run(name string) *RunResult {
	for i := range r.Runs {
		if r.Runs[i].Name == name {
			return &r.Runs[i]
		}
	}
	return nil
}

// at returns a run's metrics on benchmark at budget (ok false when absent).
func (rr *RunResult) at(benchmark string, budget int) (BudgetResult, bool) {
	if rr == nil {
		return BudgetResult{}, false
	}
	for _, b := range rr.Final {
		if b.Benchmark != benchmark {
			continue
		}
		for _, x := range b.Budgets {
			if x.Budget == budget {
				return x, true
			}
		}
	}
	return BudgetResult{}, false
}

// finite replaces NaN and ±Inf by 0 so that a value can be JSON-encoded;
// the callers document where 0 means "not measured".
func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

// cleanNumbers drops non-finite entries (encoding/json rejects them).
func cleanNumbers(m map[string]float64) map[string]float64 {
	for k, v := range m {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			delete(m, k)
		}
	}
	return m
}

// writeJSON writes v as indented JSON to path atomically.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("demo: encoding %s: %w", filepath.Base(path), err)
	}
	return writeFile(path, append(b, '\n'))
}

// writeFile writes data to path atomically and durably (internal/atomicfile).
func writeFile(path string, data []byte) error {
	if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return nil
}

// readJSON reads path into v.
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("demo: %s: %w", path, err)
	}
	return nil
}
