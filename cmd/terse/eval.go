package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/codegrade"
	"github.com/terse-dev/terse/data"
	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/eval/force"
	"github.com/terse-dev/terse/eval/metrics"
	"github.com/terse-dev/terse/eval/report"
	"github.com/terse-dev/terse/eval/run"
	"github.com/terse-dev/terse/eval/sampler"
	"github.com/terse-dev/terse/grade"
	"github.com/terse-dev/terse/lab"
)

// evalOptions holds the flags of `terse eval`.
type evalOptions struct {
	Bench        []string      // --bench
	Limit        int           // --limit
	Endpoints    []string      // --endpoint
	Local        string        // --local: sample in-process from a checkpoint dir or a lab model name
	templateSet  bool          // --template or --template-file was given
	APIKeyEnv    string        // --api-key-env
	Sampling     eval.Sampling // --model, --api, --system, --template, --prefill, --temperature, --top-p, --top-k, --seed
	TemplateFile string        // --template-file
	ThinkingOpen bool          // --thinking-open
	StoreIDs     bool          // --store-token-ids
	Samples      int           // -k
	MaxTokens    int           // --max-tokens
	Concurrency  int           // --concurrency
	Timeout      time.Duration // --timeout
	Attempts     int           // --attempts
	Out          string        // --out
	Budgets      string        // --budgets
	PassK        int           // --pass-k
	Bootstrap    int           // --bootstrap
	Quiet        bool          // --quiet
	JSON         bool          // --json
	Grade        grade.Options // --rel-tol, --abs-tol
	Code         codeOptions   // --python, --unsafe-no-sandbox, --code-parallel, --process-per-case, --code-timeout
	Force        forceFlags    // --mode and its flags (evalmodes.go)
}

func newEvalCmd() *cobra.Command {
	o := evalOptions{
		Sampling: eval.Sampling{API: eval.APIChat, PromptTemplate: eval.DefaultPromptTemplate, Temperature: 0.6, TopP: 0.95, TopK: 20},
		Grade:    grade.DefaultOptions(),
	}
	cmd := &cobra.Command{
		Use:   "eval --bench NAME --model MODEL [--endpoint URL]... [flags]",
		Short: "Sample, grade and score a model on benchmarks through an OpenAI-compatible server",
		Long: `eval samples k completions per problem from any OpenAI-compatible server
(vLLM, SGLang, llama.cpp, Ollama, terse serve), grades them, appends every
rollout to OUT/rollouts.jsonl and writes OUT/results.json, OUT/report.md and
OUT/report.html. It prints the Markdown summary (or results.json with --json).

One run at the largest budget gives the whole budget curve (strict mode): a
rollout counts at budget B if it finished (finish_reason stop) within B tokens
and is correct, which equals sampling with max_tokens = B.

Resume: the run can be killed at any moment and rerun with the same command;
it samples only what is missing. Rollouts are keyed by model, API, system
prompt, template, prefill, temperature, top-p, top-k and seed; a run at a
larger --max-tokens answers a smaller one, never the reverse. Requests that
keep failing are stored with status failed and retried by the next run.

Each sample is one request (n = 1) with seed = --seed + sample index; lengths
are the server's usage.completion_tokens. Thinking is taken from the server's
reasoning_content, or from the text up to </think>; with a prefill ending in
<think> (or --thinking-open) a completion without </think> is all thinking.
Only the answer after the thinking is graded.

--mode forced and --mode prefix sample nothing new: rerun the same command
with --mode to read this run's stored rollouts and ask the server only for
forced answers. forced cuts each rollout's thinking at every budget (exact
tokens, through the server's /tokenize), appends --closing and requests the
answer (budget forcing: the "forced" curve); prefix also probes along the
thinking (--every, --markers) for the best-case early-exit curve, the tokens
spent after the first correct answer, and the overthinking/underthinking
measures. Forced answers are stored in OUT/probes.jsonl (resumable).

Benchmarks: ` + strings.Join(bench.Names(), ", ") + `, gsm8k (from $` + dataDirEnv + `),
the lab benchmarks ` + strings.Join(lab.BenchmarkNames(), ", ") + `,
livecodebench:DIR[,release=release_vN|vN|vA_vB][,start=YYYY-MM-DD][,end=YYYY-MM-DD]
[,platform=P][,difficulty=D][,public] for a copy of LiveCodeBench's
code_generation_lite files, or the path of a JSON/JSONL/Parquet problem file.

Code problems (humaneval, livecodebench, problem files with a "tests"
field) are graded by running the program in a sandbox (new user, network,
mount and PID namespaces; see the README): each rollout records a verdict per
test case. Their prompt template defaults to '{question}'. The sandbox
refuses to start where the kernel forbids its namespaces unless
--unsafe-no-sandbox is given.`,
		Example: `  terse eval --bench aime25 --model Qwen/Qwen3-0.6B --endpoint http://127.0.0.1:8000 -k 8 --out runs/base
  terse eval --bench math500 --bench aime25 --model m --endpoint http://h1:8000 --endpoint http://h2:8000 \
      --api completions --template "$(cat prompt.txt)" --prefill $'<think>\n' --max-tokens 32768 --out runs/m
  terse eval --bench aime25 --model m --max-tokens 8192 --out runs/base   # answered from the 32k run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.templateSet = cmd.Flags().Changed("template") || cmd.Flags().Changed("template-file")
			return runEval(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.Bench, "bench", nil, "benchmark name or problem file (repeatable or comma-separated)")
	f.IntVar(&o.Limit, "limit", 0, "use only the first N problems of each benchmark (0 = all)")
	f.StringVar(&o.Local, "local", "", "sample in-process with terse's engine from this checkpoint directory or shipped lab model (lab-base) instead of a server; same rollouts as terse serve with the same seeds; --model defaults to it; a lab model defaults --template to '{question}'")
	f.StringArrayVar(&o.Endpoints, "endpoint", []string{"http://127.0.0.1:8000"}, "server base URL (repeatable: requests go to the least-loaded endpoint)")
	f.StringVar(&o.APIKeyEnv, "api-key-env", "OPENAI_API_KEY", "environment variable holding the API key sent as a Bearer token (unset = none)")
	f.StringVar(&o.Sampling.Model, "model", "", "model name sent to the server (required)")
	f.StringVar(&o.Sampling.API, "api", o.Sampling.API, `"chat" (/v1/chat/completions, the server applies the chat template) or "completions" (/v1/completions, raw prompt)`)
	f.StringVar(&o.Sampling.SystemPrompt, "system", "", "system message (chat API only)")
	f.StringVar(&o.Sampling.PromptTemplate, "template", o.Sampling.PromptTemplate, "prompt template; {question} is replaced by the problem (the user message for chat, the whole prompt for completions)")
	f.StringVar(&o.TemplateFile, "template-file", "", "read the prompt template from this file (overrides --template)")
	f.StringVar(&o.Sampling.Prefill, "prefill", "", `start of the assistant turn, e.g. $'<think>\n' (chat: continued with continue_final_message; completions: appended to the prompt)`)
	f.BoolVar(&o.ThinkingOpen, "thinking-open", false, "the chat template itself opens <think> (e.g. DeepSeek-R1-Distill): a completion without </think> is all thinking")
	f.BoolVar(&o.StoreIDs, "store-token-ids", false, "ask the server for each sample's token ids (vLLM's and terse serve's return_token_ids) and store them in rollouts.jsonl (token_ids, prompt_token_ids); the server must return exactly completion_tokens ids, else none are stored")
	f.Float64Var(&o.Sampling.Temperature, "temperature", o.Sampling.Temperature, "sampling temperature")
	f.Float64Var(&o.Sampling.TopP, "top-p", o.Sampling.TopP, "nucleus sampling top-p, in (0, 1]")
	f.IntVar(&o.Sampling.TopK, "top-k", o.Sampling.TopK, "top-k sampling (≤ 0: not sent, the server's default)")
	f.Int64Var(&o.Sampling.Seed, "seed", 0, "base seed; sample i is requested with seed+i")
	f.IntVarP(&o.Samples, "samples", "k", 8, "samples per problem (n; Mean@k and Pass@k use them)")
	f.IntVar(&o.MaxTokens, "max-tokens", 32768, "max_tokens of each request: the largest budget reported")
	f.IntVar(&o.Concurrency, "concurrency", 64, "requests in flight, over all endpoints")
	f.DurationVar(&o.Timeout, "timeout", 30*time.Minute, "timeout of one HTTP attempt")
	f.IntVar(&o.Attempts, "attempts", 8, "tries per request (timeouts, connection errors, 429 and 5xx are retried with exponential backoff and jitter; 429 honours Retry-After)")
	f.StringVar(&o.Out, "out", "", "run directory for rollouts.jsonl and the reports (default runs/<model>)")
	f.StringVar(&o.Budgets, "budgets", "2k,4k,8k,16k,32k", "budgets to report, in tokens (k = 1024); those above --max-tokens are dropped")
	f.IntVar(&o.PassK, "pass-k", 0, "k of Pass@k (0 = --samples)")
	f.IntVar(&o.Bootstrap, "bootstrap", 1000, "bootstrap resamples over problems for the 95% intervals (seeded by --seed)")
	f.BoolVar(&o.Quiet, "quiet", false, "no progress line on stderr")
	f.BoolVar(&o.JSON, "json", false, "print results.json to stdout instead of the Markdown summary")
	f.Float64Var(&o.Grade.RelTol, "rel-tol", o.Grade.RelTol, "relative tolerance for numeric answers")
	f.Float64Var(&o.Grade.AbsTol, "abs-tol", o.Grade.AbsTol, "absolute tolerance for numeric answers (0 = off; OlympiadBench's own tolerance applies per problem)")
	addCodeFlags(f, &o.Code)
	addForceFlags(cmd, &o.Force)
	return cmd
}

var unsafePath = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func runEval(cmd *cobra.Command, o evalOptions) error {
	switch {
	case len(o.Bench) == 0:
		return usagef("eval: give at least one --bench")
	case o.Sampling.Model == "" && o.Local == "":
		return usagef("eval: --model is required (or --local)")
	case o.Samples < 1:
		return usagef("eval: --samples must be at least 1, got %d", o.Samples)
	case o.MaxTokens < 1:
		return usagef("eval: --max-tokens must be at least 1, got %d", o.MaxTokens)
	case o.Concurrency < 1 || o.Attempts < 1:
		return usagef("eval: --concurrency and --attempts must be at least 1")
	case o.Limit < 0 || o.PassK < 0 || o.PassK > o.Samples:
		return usagef("eval: --limit must be ≥ 0 and --pass-k within [0, --samples]")
	}
	if o.TemplateFile != "" {
		b, err := os.ReadFile(o.TemplateFile)
		if err != nil {
			return usagef("eval: --template-file: %v", err)
		}
		o.Sampling.PromptTemplate = string(b)
	}
	switch o.Force.Mode {
	case "strict", force.ModeForced, force.ModePrefix:
	default:
		return usagef("eval: --mode %q: want strict, forced or prefix", o.Force.Mode)
	}
	var local *data.Local
	var localTok force.Tokenizer
	if o.Local != "" {
		m, tok, err := lab.Load(o.Local)
		localTok = localTokenizer{tok}
		if err != nil {
			return fmt.Errorf("eval: --local: %w", err)
		}
		if o.Sampling.Model == "" {
			o.Sampling.Model = o.Local
		}
		if lab.IsModelName(o.Local) && !o.templateSet {
			// The lab models see the bare question (lab.FormatPrompt); their
			// alphabet has no upper-case letters for the default template.
			o.Sampling.PromptTemplate = "{question}"
			fmt.Fprintln(cmd.ErrOrStderr(), "eval: lab model: prompt template '{question}'")
		}
		local = data.NewLocal(m, tok, o.Concurrency)
		defer local.Close()
	}
	if err := o.Sampling.Validate(); err != nil {
		return usagef("%v", err)
	}
	budgets, err := parseBudgets(o.Budgets)
	if err != nil {
		return usagef("eval: --budgets: %v", err)
	}
	var problems []bench.Problem
	for _, name := range o.Bench {
		ps, err := loadBenchmark(name)
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		if o.Limit > 0 && len(ps) > o.Limit {
			ps = ps[:o.Limit]
		}
		problems = append(problems, ps...)
	}
	if err := codeTemplate(problems, o.templateSet, &o.Sampling); err != nil {
		return usagef("eval: %v", err)
	}
	var code *codegrade.Grader
	if data.NeedsCode(problems) {
		if code, err = o.Code.newGrader(cmdContext(cmd)); err != nil {
			return fmt.Errorf("eval: code problems: %w", err)
		}
		if !o.Quiet {
			fmt.Fprintf(cmd.ErrOrStderr(), "eval: code problems run in the sandbox with %s\n", code.Runtime())
		}
	}
	if o.Out == "" {
		o.Out = filepath.Join("runs", strings.Trim(unsafePath.ReplaceAllString(o.Sampling.Model, "_"), "_"))
	}
	ctx, stop := signal.NotifyContext(cmdContext(cmd), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stderr := cmd.ErrOrStderr()
	var progress io.Writer
	if !o.Quiet {
		progress = stderr
	}
	if o.Force.Mode != "strict" {
		var client force.Sampler = local
		var tok force.Tokenizer = localTok
		if local == nil {
			c, err := sampler.New(sampler.Options{Endpoints: o.Endpoints, APIKey: os.Getenv(o.APIKeyEnv), Timeout: o.Timeout,
				MaxAttempts: o.Attempts, MaxConnsPerEndpoint: o.Concurrency})
			if err != nil {
				return usagef("eval: %v", err)
			}
			client, tok = c, &force.ServerTokenizer{Base: o.Endpoints[0], APIKey: os.Getenv(o.APIKeyEnv)}
		}
		cut := o.Grade
		cut.CutByLength = true
		warnf := func(format string, args ...any) { fmt.Fprintf(stderr, "terse: warning: "+format+"\n", args...) }
		return runEvalForced(ctx, cmd, o, problems, budgets, client, tok,
			data.Graders{Math: o.Grade, Code: code}.Grade, data.Graders{Math: cut, Code: code}.Grade, progress, warnf)
	}
	cfg := run.Config{
		Options: run.Options{
			Problems: problems, Sampling: o.Sampling, MaxTokens: o.MaxTokens, Samples: o.Samples,
			ThinkingOpen: o.ThinkingOpen, StoreTokenIDs: o.StoreIDs, Concurrency: o.Concurrency, Grade: data.Graders{Math: o.Grade, Code: code}.Grade, Progress: progress,
		},
		Sampler: sampler.Options{Endpoints: o.Endpoints, APIKey: os.Getenv(o.APIKeyEnv), Timeout: o.Timeout,
			MaxAttempts: o.Attempts, MaxConnsPerEndpoint: o.Concurrency},
		OutDir:  o.Out,
		Metrics: metrics.Options{Budgets: budgets, K: o.PassK, Bootstrap: o.Bootstrap, Seed: uint64(o.Sampling.Seed)},
		Warnf:   func(format string, args ...any) { fmt.Fprintf(stderr, "terse: warning: "+format+"\n", args...) },
	}
	if local != nil {
		cfg.Options.Client = local
	}
	sum, res, err := run.Eval(ctx, cfg)
	if !o.Quiet {
		fmt.Fprintf(stderr, "eval: %d samples: %d from the store, %d sampled, %d failed, %d completion tokens in %s; results in %s\n",
			sum.Total, sum.Cached, sum.Sampled, sum.Failed, sum.Tokens, sum.Elapsed.Round(time.Millisecond), o.Out)
	}
	if res.Schema != "" {
		out := cmd.OutOrStdout()
		if o.JSON {
			if werr := report.WriteJSON(out, res); werr != nil && err == nil {
				err = werr
			}
		} else {
			fmt.Fprint(out, report.Markdown(res))
		}
	}
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	return nil
}

// cmdContext returns the command's context, or Background.
func cmdContext(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// parseBudgets parses a --budgets list: "2048,4096", "2k,4k,32k" (k = 1024).
func parseBudgets(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(strings.ToLower(f))
		if f == "" {
			continue
		}
		mul := 1
		if strings.HasSuffix(f, "k") {
			f, mul = strings.TrimSuffix(f, "k"), 1024
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("budget %q is not a positive token count (e.g. 2048 or 2k)", f)
		}
		out = append(out, n*mul)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no budget in %q", s)
	}
	return out, nil
}
