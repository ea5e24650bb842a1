package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/codegrade"
	"github.com/terse-dev/terse/data"
	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/eval/run"
	"github.com/terse-dev/terse/eval/sampler"
	"github.com/terse-dev/terse/grade"
	"github.com/terse-dev/terse/lab"
)

// profileOptions holds the flags of `terse profile`.
type profileOptions struct {
	Inputs       []string       // --input
	Fields       bench.FieldMap // --problem-field, --answer-field, --id-field, --level-field, --solution-field
	Limit        int            // --limit
	Endpoints    []string       // --endpoint
	Checkpoint   string         // --checkpoint
	APIKeyEnv    string         // --api-key-env
	Sampling     eval.Sampling  // --model, --api, --system, --template, --prefill, --temperature, --top-p, --top-k, --seed
	TemplateFile string         // --template-file
	ThinkingOpen bool           // --thinking-open
	GroupSize    int            // --group-size
	RolloutLimit int            // --rollout-limit
	TargetLen    int            // --target-len
	Threshold    float64        // --threshold
	Concurrency  int            // --concurrency
	Timeout      time.Duration  // --timeout
	Attempts     int            // --attempts
	Out          string         // --out
	Rollouts     string         // --rollouts
	Quiet        bool           // --quiet
	JSON         bool           // --json
	Grade        grade.Options  // --rel-tol, --abs-tol
	Code         codeOptions    // --python, --unsafe-no-sandbox, --code-parallel, --process-per-case, --code-timeout
}

func newProfileCmd() *cobra.Command {
	o := profileOptions{
		Sampling: eval.Sampling{API: eval.APIChat, PromptTemplate: eval.DefaultPromptTemplate, Temperature: 0.6, TopP: 0.95, TopK: 20},
		Grade:    grade.DefaultOptions(),
	}
	cmd := &cobra.Command{
		Use:   "profile --input SPEC (--model M [--endpoint URL]... | --checkpoint DIR) [flags]",
		Short: "Measure each prompt's difficulty: pass rate, lengths and truncation over N rollouts",
		Long: `profile samples N rollouts per prompt (--group-size, default 8, as the paper)
at the rollout limit L_R (--rollout-limit), grades them and writes OUT/profile.jsonl
(one line per prompt: pass_rate, correct, truncation_rate, mean/median length of
correct and of finished wrong rollouts, every correct rollout's length, and the
problem itself) and OUT/summary.json, and prints the summary: a pass-rate
histogram, the number of Easy (pass rate > --threshold), Hard (≤), all-solved and
never-solved prompts, and the expected positive-reward density under the
truncation reward R = I(correct)·I(L ≤ L_T) at --target-len for Full/Easy/Hard.

The density of a prompt is p = share of its rollouts correct within L_T tokens.
"groups with ≥1 (est)" is the mean of 1-(1-p)^N: the share of GRPO groups of N
rollouts holding a positive reward, assuming the rollouts of a group are
independent draws with probability p; "(n obs)" counts prompts whose own n
profiled rollouts hold one (exact for N = n).

Model: any OpenAI-compatible server (--endpoint, repeatable; requests go to the
least-loaded one) or a terse checkpoint sampled in-process (--checkpoint; its
batch size is --concurrency; no chat template is applied, the prompt is the
rendered template plus the prefill).

Resume: rollouts go to OUT/rollouts.jsonl (or --rollouts, e.g. an eval run's
file), keyed like terse eval's (model, API, prompts, sampling settings, seed).
Kill it at any time and rerun the same command: only missing rollouts are
sampled. A store sampled at a larger max_tokens answers a smaller L_R. A
progress line with rate and ETA goes to stderr.

Inputs (--input, repeatable): a built-in benchmark (` + strings.Join(bench.Names(), ", ") + `,
gsm8k from $` + dataDirEnv + `), a lab benchmark (` + strings.Join(lab.BenchmarkNames(), ", ") + `), a lab training
split lab-train:FAMILY:N[:SEED] (FAMILY one of ` + strings.Join(append(lab.Families(), lab.AllFamilies), ", ") + `), or a
JSON/JSONL/Parquet problem file read with the --*-field mapping. For lab inputs
the template defaults to "{question}" and --rollout-limit to 1024.`,
		Example: `  terse profile --input deepscaler.parquet --problem-field prompt.0.content \
      --answer-field reward_model.ground_truth --model R1-Distill-1.5B \
      --endpoint http://h1:8000 --endpoint http://h2:8000 --rollout-limit 16384 --target-len 4096 --out profiles/dsr
  terse profile --input lab-train:all:2000 --model lab-base --endpoint http://127.0.0.1:8080 --target-len 256
  terse profile --input lab-train:arith:500 --checkpoint runs/lab-base --target-len 256 --out profiles/lab`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			return runProfile(cmd, o, f.Changed("template") || f.Changed("template-file"), f.Changed("rollout-limit"))
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.Inputs, "input", "i", nil, "problems: benchmark name, lab benchmark, lab-train:FAMILY:N[:SEED] or problem file (repeatable)")
	f.StringVar(&o.Fields.Problem, "problem-field", "", `problem file: question field, a dotted path into nested fields (default "problem"; a chat message list takes its last user message)`)
	f.StringVar(&o.Fields.Answer, "answer-field", "", `problem file: gold answer field (default "answer"; e.g. reward_model.ground_truth)`)
	f.StringVar(&o.Fields.ID, "id-field", "", "problem file: id field (default: <file name>-<record index>)")
	f.StringVar(&o.Fields.Level, "level-field", "", "problem file: difficulty level field (optional)")
	f.StringVar(&o.Fields.Solution, "solution-field", "", "problem file: worked solution field (optional)")
	f.IntVar(&o.Limit, "limit", 0, "use only the first N problems of each input (0 = all)")
	f.StringArrayVar(&o.Endpoints, "endpoint", []string{"http://127.0.0.1:8000"}, "OpenAI-compatible server base URL (repeatable: requests go to the least-loaded endpoint)")
	f.StringVar(&o.Checkpoint, "checkpoint", "", "sample in-process from this terse/HF checkpoint directory, or a shipped lab model by name (lab-base), instead of a server")
	f.StringVar(&o.APIKeyEnv, "api-key-env", "OPENAI_API_KEY", "environment variable holding the API key sent as a Bearer token (unset = none)")
	f.StringVar(&o.Sampling.Model, "model", "", "model name sent to the server (required with --endpoint; with --checkpoint it defaults to the directory's absolute path, which keys the cache)")
	f.StringVar(&o.Sampling.API, "api", o.Sampling.API, `"chat" (/v1/chat/completions) or "completions" (/v1/completions, raw prompt)`)
	f.StringVar(&o.Sampling.SystemPrompt, "system", "", "system message (chat API with a server only)")
	f.StringVar(&o.Sampling.PromptTemplate, "template", o.Sampling.PromptTemplate, "prompt template; {question} is replaced by the problem")
	f.StringVar(&o.TemplateFile, "template-file", "", "read the prompt template from this file (overrides --template)")
	f.StringVar(&o.Sampling.Prefill, "prefill", "", `start of the assistant turn, e.g. $'<think>\n'`)
	f.BoolVar(&o.ThinkingOpen, "thinking-open", false, "the chat template itself opens <think>: a completion without </think> is all thinking")
	f.Float64Var(&o.Sampling.Temperature, "temperature", o.Sampling.Temperature, "sampling temperature")
	f.Float64Var(&o.Sampling.TopP, "top-p", o.Sampling.TopP, "nucleus sampling top-p, in (0, 1]")
	f.IntVar(&o.Sampling.TopK, "top-k", o.Sampling.TopK, "top-k sampling (≤ 0: not sent)")
	f.Int64Var(&o.Sampling.Seed, "seed", 0, "base seed; rollout i of a prompt is sampled with seed+i (another seed draws fresh rollouts)")
	f.IntVarP(&o.GroupSize, "group-size", "n", data.DefaultGroupSize, "rollouts per prompt (the paper splits on 8)")
	f.IntVar(&o.RolloutLimit, "rollout-limit", 16384, "L_R: max_tokens of every rollout; a rollout not finished within it is truncated (lab inputs: 1024)")
	f.IntVar(&o.TargetLen, "target-len", 0, "L_T of the truncation reward for the density summary, ≤ L_R (0 = L_R)")
	f.Float64Var(&o.Threshold, "threshold", data.DefaultThreshold, "Easy = pass rate > threshold, Hard = ≤ threshold")
	f.IntVar(&o.Concurrency, "concurrency", 64, "requests in flight over all endpoints (with --checkpoint: the decoding batch size)")
	f.DurationVar(&o.Timeout, "timeout", 30*time.Minute, "timeout of one HTTP attempt")
	f.IntVar(&o.Attempts, "attempts", 8, "tries per request (timeouts, connection errors, 429 and 5xx are retried with backoff)")
	f.StringVar(&o.Out, "out", "", "output directory for profile.jsonl, summary.json and rollouts.jsonl (default profiles/<model>)")
	f.StringVar(&o.Rollouts, "rollouts", "", "rollout store to read and append to (default OUT/rollouts.jsonl; an eval run's file is reused when the settings match)")
	f.BoolVar(&o.Quiet, "quiet", false, "no progress line on stderr")
	f.BoolVar(&o.JSON, "json", false, "print summary.json to stdout instead of the text summary")
	f.Float64Var(&o.Grade.RelTol, "rel-tol", o.Grade.RelTol, "relative tolerance for numeric answers")
	f.Float64Var(&o.Grade.AbsTol, "abs-tol", o.Grade.AbsTol, "absolute tolerance for numeric answers (0 = off)")
	addCodeFlags(f, &o.Code)
	return cmd
}

func runProfile(cmd *cobra.Command, o profileOptions, templateSet, limitSet bool) error {
	switch {
	case len(o.Inputs) == 0:
		return usagef("profile: give at least one --input")
	case o.Checkpoint == "" && o.Sampling.Model == "":
		return usagef("profile: give --model (with --endpoint) or --checkpoint")
	case o.GroupSize < 1:
		return usagef("profile: --group-size must be at least 1, got %d", o.GroupSize)
	case o.RolloutLimit < 1:
		return usagef("profile: --rollout-limit must be at least 1, got %d", o.RolloutLimit)
	case o.Concurrency < 1 || o.Attempts < 1:
		return usagef("profile: --concurrency and --attempts must be at least 1")
	case o.Limit < 0 || o.TargetLen < 0:
		return usagef("profile: --limit and --target-len must be ≥ 0")
	case o.Threshold < 0 || o.Threshold >= 1:
		return usagef("profile: --threshold %g outside [0, 1)", o.Threshold)
	case o.Checkpoint != "" && o.Sampling.SystemPrompt != "":
		return usagef("profile: --system needs a server's chat template; in-process sampling (--checkpoint) applies none")
	}
	var problems []bench.Problem
	labInput := false
	for _, spec := range o.Inputs {
		ps, isLab, err := loadProfileInput(spec, o.Fields)
		if err != nil {
			return fmt.Errorf("profile: %w", err)
		}
		labInput = labInput || isLab
		if o.Limit > 0 && len(ps) > o.Limit {
			ps = ps[:o.Limit]
		}
		problems = append(problems, ps...)
	}
	if labInput && !templateSet {
		o.Sampling.PromptTemplate = "{question}" // lab.FormatPrompt: the lab models see the bare question
	}
	if err := codeTemplate(problems, templateSet, &o.Sampling); err != nil {
		return usagef("profile: %v", err)
	}
	var code *codegrade.Grader
	if data.NeedsCode(problems) {
		var err error
		if code, err = o.Code.newGrader(cmdContext(cmd)); err != nil {
			return fmt.Errorf("profile: code problems: %w", err)
		}
	}
	if labInput && !limitSet {
		o.RolloutLimit = 1024 // the lab models' context; lab.Budgets tops out here
	}
	if o.TemplateFile != "" {
		b, err := os.ReadFile(o.TemplateFile)
		if err != nil {
			return usagef("profile: --template-file: %v", err)
		}
		o.Sampling.PromptTemplate = string(b)
	}
	if o.TargetLen > o.RolloutLimit {
		return usagef("profile: --target-len %d is above --rollout-limit %d: lengths past L_R are unknown", o.TargetLen, o.RolloutLimit)
	}
	var client run.Sampler
	if o.Checkpoint != "" {
		m, tok, err := lab.Load(o.Checkpoint)
		if err != nil {
			return fmt.Errorf("profile: %w", err)
		}
		if o.Sampling.Model == "" && lab.IsModelName(o.Checkpoint) {
			o.Sampling.Model = o.Checkpoint
		}
		if o.Sampling.Model == "" {
			abs, err := filepath.Abs(o.Checkpoint)
			if err != nil {
				return fmt.Errorf("profile: %w", err)
			}
			o.Sampling.Model = abs
		}
		local := data.NewLocal(m, tok, o.Concurrency)
		defer local.Close()
		client = local
	} else {
		c, err := sampler.New(sampler.Options{Endpoints: o.Endpoints, APIKey: os.Getenv(o.APIKeyEnv), Timeout: o.Timeout,
			MaxAttempts: o.Attempts, MaxConnsPerEndpoint: o.Concurrency})
		if err != nil {
			return usagef("profile: %v", err)
		}
		client = c
	}
	if err := o.Sampling.Validate(); err != nil {
		return usagef("profile: %v", err)
	}
	if o.Out == "" {
		o.Out = filepath.Join("profiles", strings.Trim(unsafePath.ReplaceAllString(filepath.Base(o.Sampling.Model), "_"), "_"))
	}
	ctx, stop := signal.NotifyContext(cmdContext(cmd), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stderr := cmd.ErrOrStderr()
	var progress io.Writer
	if !o.Quiet {
		progress = stderr
	}
	_, sum, rs, err := data.Profile(ctx, data.ProfileOptions{
		Problems: problems, Sampling: o.Sampling, RolloutLimit: o.RolloutLimit, GroupSize: o.GroupSize,
		ThinkingOpen: o.ThinkingOpen, Concurrency: o.Concurrency, Client: client, Grade: data.Graders{Math: o.Grade, Code: code}.Grade,
		OutDir: o.Out, Rollouts: o.Rollouts, Progress: progress,
		Summary: data.SummaryOptions{Threshold: o.Threshold, TargetLen: o.TargetLen},
		Warnf:   func(format string, args ...any) { fmt.Fprintf(stderr, "terse: warning: "+format+"\n", args...) },
	})
	if !o.Quiet {
		fmt.Fprintf(stderr, "profile: %d rollouts: %d from the store, %d sampled, %d failed, %d completion tokens in %s; output in %s\n",
			rs.Total, rs.Cached, rs.Sampled, rs.Failed, rs.Tokens, rs.Elapsed.Round(time.Millisecond), o.Out)
	}
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	out := cmd.OutOrStdout()
	if o.JSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	}
	return sum.WriteText(out)
}

// loadProfileInput resolves one --input with lab.Open; built-in sets not
// embedded in the binary come from $TERSE_DATA_DIR. isLab reports a lab input.
func loadProfileInput(spec string, fields bench.FieldMap) (ps []bench.Problem, isLab bool, err error) {
	return lab.Open(spec, os.Getenv(dataDirEnv), fields)
}
