package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/terse-dev/terse/codegrade"
	"github.com/terse-dev/terse/engine/tokenizer"
	"github.com/terse-dev/terse/grade"
	"github.com/terse-dev/terse/reward"
	"github.com/terse-dev/terse/rewardserver"
)

// rewardServeOptions holds the flags of `terse reward serve`: the
// service's own options (flag defaults from rewardserver.DefaultOptions)
// and those the command turns into them.
type rewardServeOptions struct {
	rewardserver.Options
	TokenFile  string
	Shape      string // a reward.Parse spec
	Tokenizer  string // tokenizer.json or its directory
	WorkBudget int
	Code       codeOptions // --python, --unsafe-no-sandbox, --code-parallel, --process-per-case, --code-timeout
}

func newRewardCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reward",
		Short: "Length-aware reward shapes and the reward service for RL trainers",
		Long: `reward holds the reward shapes of the paper (PAPER.md §4) and the literature's
length-aware baselines, and serves them to RL trainers over HTTP.

  terse reward shapes        list every shape, its parameters and defaults
  terse reward serve         run the reward service (OpenRLHF protocol, /v1/reward)`,
	}
	cmd.AddCommand(newRewardShapesCmd(), newRewardServeCmd())
	return cmd
}

func newRewardShapesCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "shapes",
		Short: "List the reward shapes with their parameters and defaults",
		Long: `shapes lists every reward shape terse knows, as the spec --shape accepts with
every parameter at its default, followed by its source. Give parameters as
name:key=value,key=value; left-out parameters keep their defaults.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !asJSON {
				fmt.Fprint(cmd.OutOrStdout(), reward.Help())
				return nil
			}
			type row struct {
				Name          string `json:"name"`
				Spec          string `json:"spec"`
				GroupRelative bool   `json:"group_relative"`
			}
			var rows []row
			for _, n := range reward.Names() {
				s := reward.MustParse(n)
				rows = append(rows, row{n, s.String(), reward.GroupRelative(s)})
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(rows)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON list of {name, spec, group_relative}")
	return cmd
}

func newRewardServeCmd() *cobra.Command {
	o := rewardServeOptions{Options: rewardserver.DefaultOptions()}
	d := o.Options
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Serve rewards to RL trainers (OpenRLHF remote reward protocol and /v1/reward)",
		Long: `serve grades rollouts, measures their length in tokens, detects truncation and
applies a reward shape, for RL trainers over HTTP:

  POST /get_reward (or /)  OpenRLHF remote reward: {"query","prompts","labels"} →
                           {"rewards","scores","extra_logs"}. Point OpenRLHF's
                           --remote_rm_url (reward.remote_url) at it.
  POST /v1/reward          native batch: explicit groups of rollouts → reward,
                           mask, correctness, grader reason, length per rollout.
                           Used by integrations/verl.
  GET  /healthz, /metrics  health and Prometheus metrics.

OpenRLHF: each response is the query minus its prompt; it is truncated when it
does not end with an EOS token text (--eos) or reaches --rollout-limit tokens,
and a truncated rollout never counts as correct. OpenRLHF has no per-sample
mask: a masked rollout gets --masked-reward and extra_logs.masked = 1. For a
group-relative shape (kimi, arora-zanette, shorterbetter, alp) each rollout
waits until the --group-size rollouts of its prompt have arrived, or
--group-wait passes (then the partial group is scored, group_complete = 0). A
request whose --request-timeout ends first gets 503 and its rollout stays in
its group: the client's retry of the same request picks it up (OpenRLHF
retries 5 times, 180 s each). A label {"gold": ..., "eval": true} (terse data
export --eval) is scored alone with reward = accuracy, so OpenRLHF's eval
pass1 is the accuracy; {"gold": ..., "target_len": N} sets the prompt's L_T.

Authentication: with a token (--token-file, $TERSE_REWARD_TOKEN or
$TERSE_REWARD_TOKEN_FILE; never a flag value) every request but /healthz needs
"Authorization: Bearer <token>". A non-loopback --addr is refused without one.
The service speaks plain HTTP: across machines, put it behind a TLS proxy.

Lengths are counted with --tokenizer; without it they are approximated as
⌈characters/4⌉ and every answer says length_approx. The server binds loopback
by default and stops gracefully on SIGINT/SIGTERM, finishing in-flight requests.

Shapes (--shape):
` + reward.Help(),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRewardServe(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Addr, "addr", d.Addr, "listen address (loopback by default; 0.0.0.0:8008 exposes it)")
	f.StringVar(&o.Shape, "shape", "truncation:target=4096", "reward shape spec (list: terse reward shapes)")
	f.IntVar(&o.GroupSize, "group-size", d.GroupSize, "rollouts per prompt (N); group-relative shapes wait for the whole group")
	f.StringVar(&o.TokenFile, "token-file", "", "file whose first line is the bearer token clients must send (else $"+rewardserver.TokenEnv+" or $"+rewardserver.TokenFileEnv+"); required for a non-loopback --addr")
	f.DurationVar(&o.GroupWait, "group-wait", d.GroupWait, "longest wait for the rest of a group, from its first rollout, before scoring it partial (may exceed --request-timeout: a timed-out request's rollout stays in its group for the client's retry)")
	f.StringVar(&o.Tokenizer, "tokenizer", "", "the policy model's tokenizer.json (or its directory); empty approximates ⌈chars/4⌉")
	f.StringSliceVar(&o.EOS, "eos", nil, "end-of-sequence token texts, comma-separated or repeated (default <|im_end|>,<|endoftext|>,<｜end▁of▁sentence｜>)")
	f.BoolVar(&o.NoEOS, "no-eos", false, "do not detect truncation by a missing EOS; only by --rollout-limit")
	f.StringVar(&o.Pad, "pad", "", "padding token text stripped from the end of a response before the EOS check")
	f.IntVar(&o.RolloutLimit, "rollout-limit", 0, "L_R in tokens: responses this long are truncated (0: no length check; set it to the trainer's max response length)")
	f.Float64Var(&o.MaskedReward, "masked-reward", 0, "reward OpenRLHF gets for a masked rollout (it has no mask)")
	f.IntVar(&o.AdaptiveStep, "adaptive-step", d.AdaptiveStep, "for --shape adaptive: rollouts per training step (prompts per batch × group size)")
	f.StringVar(&o.StateFile, "state", "", "for --shape adaptive: JSON file of the shape's state (L_T and its window), loaded at start if present and rewritten after every step, so a restarted service continues the run")
	f.Int64Var(&o.MaxBodyBytes, "max-body-bytes", d.MaxBodyBytes, "largest request body accepted (413 above, at once when the Content-Length header says so)")
	f.DurationVar(&o.BodyTimeout, "body-timeout", d.BodyTimeout, "deadline for receiving a request body (408 after)")
	f.DurationVar(&o.RequestTimeout, "request-timeout", d.RequestTimeout, "deadline of one request once its body is in (504 after; 503 when its group is still incomplete, the rollout kept for a retry); keep it under the client's timeout (OpenRLHF: 180 s)")
	f.IntVar(&o.MaxInFlight, "max-in-flight", d.MaxInFlight, "concurrent requests whose body has arrived, those waiting for their group included (429 above)")
	f.Int64Var(&o.MaxPendingBytes, "max-pending-bytes", d.MaxPendingBytes, "memory budget of requests waiting for the rest of their group, charged 2× their body (503 above)")
	f.IntVar(&o.Workers, "workers", 0, "concurrent grading workers (0: one per CPU)")
	f.IntVar(&o.WorkBudget, "work-budget", 0, "grader work budget per answer (0: grade's default)")
	addCodeFlags(f, &o.Code)
	return cmd
}

// runRewardServe builds the server from o and serves until SIGINT/SIGTERM.
func runRewardServe(ctx context.Context, o rewardServeOptions) error {
	shape, err := reward.Parse(o.Shape)
	if err != nil {
		return usagef("reward serve: --shape: %v", err)
	}
	switch {
	case o.GroupSize < 1:
		return usagef("reward serve: --group-size must be at least 1, got %d", o.GroupSize)
	case o.RolloutLimit < 0:
		return usagef("reward serve: --rollout-limit must not be negative, got %d", o.RolloutLimit)
	case o.Workers < 0 || o.WorkBudget < 0:
		return usagef("reward serve: --workers and --work-budget must not be negative")
	case o.GroupWait <= 0 || o.RequestTimeout <= 0:
		return usagef("reward serve: --group-wait (%v) and --request-timeout (%v) must be positive", o.GroupWait, o.RequestTimeout)
	case o.MaxBodyBytes < 1 || o.MaxInFlight < 1 || o.AdaptiveStep < 1:
		return usagef("reward serve: --max-body-bytes, --max-in-flight and --adaptive-step must be at least 1")
	case o.BodyTimeout < 0 || o.MaxPendingBytes < 0:
		return usagef("reward serve: --body-timeout and --max-pending-bytes must be positive")
	case o.NoEOS && len(o.EOS) > 0:
		return usagef("reward serve: --eos and --no-eos contradict each other")
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	gopts := grade.DefaultOptions()
	if o.WorkBudget > 0 {
		gopts.WorkBudget = o.WorkBudget
	}
	// Code prompts (a gold holding a test suite) run in the sandbox, set up
	// at the first one; where it cannot be, code golds are refused and math
	// works as before.
	code := sync.OnceValue(func() *codegrade.Grader {
		g, err := o.Code.newGrader(context.Background())
		if err != nil {
			logger.Warn("code prompts are graded sandbox_refused", "err", err)
			return nil
		}
		logger.Info("code prompts run in the sandbox", "runtime", g.Runtime().String())
		return g
	})
	token, err := rewardserver.LoadToken(o.TokenFile)
	if err != nil {
		return fmt.Errorf("reward serve: %w", err)
	}
	opts := o.Options
	opts.Token, opts.Shape, opts.Logger = token, shape, logger
	opts.Grader = rewardserver.CodeRewardGrader(gopts, code)
	if o.Tokenizer != "" {
		tok, err := tokenizer.Load(o.Tokenizer)
		if err != nil {
			return fmt.Errorf("reward serve: --tokenizer: %w", err)
		}
		opts.Tokenizer = tok
	} else {
		logger.Warn("no --tokenizer: response lengths are approximated as ⌈characters/4⌉ (length_approx in every answer)")
	}
	if o.RolloutLimit == 0 {
		logger.Warn("no --rollout-limit: truncation is detected by a missing EOS only")
	}
	if reward.GroupRelative(shape) && o.GroupSize == 1 {
		logger.Warn("group-relative shape with --group-size 1: every OpenRLHF rollout is scored alone", "shape", shape.String())
	}
	srv, err := rewardserver.New(opts)
	if errors.Is(err, rewardserver.ErrNoToken) {
		return usagef("reward serve: --addr: %v", err)
	}
	if err != nil {
		return fmt.Errorf("reward serve: %w", err)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return srv.ListenAndServe(ctx)
}
