package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/terse-dev/terse/data"
)

// selectOptions holds the flags of `terse select`.
type selectOptions struct {
	Profile   string             // --profile
	Select    data.SelectOptions // --easy, --hard, --threshold, --min-pass, --max-pass, --exclude-*, --size, --seed, --balance
	TargetLen int                // --target-len
	GroupSize int                // --group-size
	Out       string             // --out
	Export    data.ExportOptions // --format, --template, --system, --data-source, --ability, --split, --prompt-key, --label-key, --solution-key, --text, --messages
	JSON      bool               // --json
}

// selectReport is what `terse select --json` prints.
type selectReport struct {
	Profile  string       `json:"profile"`
	Out      string       `json:"out,omitempty"`
	Format   string       `json:"format,omitempty"`
	Before   data.Summary `json:"before"`
	Selected data.Summary `json:"selected"`
}

func newSelectCmd() *cobra.Command {
	var o selectOptions
	cmd := &cobra.Command{
		Use:   "select --profile PROFILE [--easy | --hard | --min-pass P --max-pass Q] [--out FILE] [flags]",
		Short: "Select training prompts by pass rate (Easy/Hard) and export them for verl, OpenRLHF, TRL or terse",
		Long: `select reads a profile written by terse profile and keeps the prompts that pass
every filter: --easy (pass rate > --threshold, default 0.5: the paper's Easy set),
--hard (≤ threshold), a band --min-pass ≤ pass rate ≤ --max-pass, and on request
without never-solved or always-solved prompts. --size samples that many prompts
with --seed; --balance source|level gives every source (the problem's
data_source/source metadata, else its benchmark) or level an equal share.

It prints what the selection does to the expected positive-reward density under
the truncation reward at --target-len (see terse profile --help) and, with --out,
writes the selection:

  verl      parquet: data_source, prompt (list of {role, content}), ability,
            reward_model {style: "rule", ground_truth}, extra_info {index, split,
            id, benchmark, level, pass_rate, samples, correct, truncation_rate,
            rollout_limit, gold (every accepted answer), target_len}
  openrlhf  JSONL: {--prompt-key: text (or messages with --messages), --label-key:
            gold (a list when there are alternatives), id, source, pass_rate};
            with --target-quantile or --eval the label is an object
            {"gold": [...], "target_len": N, "eval": true} read by terse
            reward serve
  trl       JSONL: {prompt: messages (text with --text), --solution-key: gold, id,
            source, pass_rate}
  terse     JSONL of terse problems {id, benchmark, question, gold, level, solution,
            meta (+ pass_rate)}, read by terse train

The prompt text is the one the profile sampled with unless --template is given
(profiled with --api completions and a raw chat-formatted template, pass a
--template holding only the user message).
The format follows --format, else the file extension (.parquet: verl; other: terse).`,
		Example: `  terse select --profile profiles/dsr --easy --out data/dsr-easy.parquet
  terse select --profile profiles/dsr --hard --exclude-never-solved --size 8000 --seed 1 --out hard.parquet
  terse select --profile profiles/lab --easy --target-len 256 --group-size 8       # report only
  terse select --profile profiles/dsr --min-pass 0.25 --max-pass 0.75 --balance source \
      --format openrlhf --prompt-key input --label-key label --out band.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSelect(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Profile, "profile", "", "profile.jsonl, or a terse profile output directory holding one (required)")
	f.BoolVar(&o.Select.Easy, "easy", false, "keep Easy prompts: pass rate > --threshold")
	f.BoolVar(&o.Select.Hard, "hard", false, "keep Hard prompts: pass rate ≤ --threshold")
	f.Float64Var(&o.Select.Threshold, "threshold", data.DefaultThreshold, "Easy/Hard boundary")
	f.Float64Var(&o.Select.MinPass, "min-pass", 0, "keep pass rate ≥ this")
	f.Float64Var(&o.Select.MaxPass, "max-pass", 1, "keep pass rate ≤ this")
	f.BoolVar(&o.Select.ExcludeNeverSolved, "exclude-never-solved", false, "drop prompts with no correct rollout")
	f.BoolVar(&o.Select.ExcludeAllSolved, "exclude-all-solved", false, "drop prompts whose every rollout was correct")
	f.IntVar(&o.Select.Size, "size", 0, "sample this many of the kept prompts (0 = all; fewer kept = all)")
	f.Uint64Var(&o.Select.Seed, "seed", 0, "seed of the --size / --balance sampling")
	f.StringVar(&o.Select.Balance, "balance", "", `"source" or "level": equal share per group (without --size: every group cut to the smallest)`)
	f.IntVar(&o.TargetLen, "target-len", 0, "L_T for the density report, ≤ the profile's L_R (0 = L_R); with --target-quantile, the cap of per-prompt targets and the target of prompts never solved")
	f.IntVar(&o.GroupSize, "group-size", 0, "GRPO group size N for the density report (0 = the profile's n)")
	f.StringVar(&o.Out, "out", "", "write the selection here (none: report only)")
	f.StringVar(&o.Export.Format, "format", "", "output format: "+strings.Join(data.Formats(), ", ")+" (default: verl for .parquet, else terse)")
	f.StringVar(&o.Export.Template, "template", "", "render prompts with this template ({question} is replaced) instead of the profiled prompt")
	f.StringVar(&o.Export.System, "system", "", "system message before the user message (message-list prompts)")
	f.StringVar(&o.Export.DataSource, "data-source", "", "verl data_source for every row (default: each prompt's source)")
	f.StringVar(&o.Export.Ability, "ability", "math", "verl ability column")
	f.StringVar(&o.Export.Split, "split", "train", "verl extra_info.split")
	f.StringVar(&o.Export.PromptKey, "prompt-key", "prompt", "openrlhf prompt column (OpenRLHF's --input_key)")
	f.StringVar(&o.Export.LabelKey, "label-key", "label", "openrlhf label column (OpenRLHF's --label_key)")
	f.StringVar(&o.Export.SolutionKey, "solution-key", "solution", "trl answer column passed to reward functions")
	f.BoolVar(&o.Export.Messages, "messages", false, "openrlhf: write the prompt as a chat message list (for --apply_chat_template)")
	f.BoolVar(&o.Export.Text, "text", false, "trl: write the prompt as plain text instead of a message list")
	f.Float64Var(&o.Export.TargetQuantile, "target-quantile", 0, "per-prompt L_T: the q-quantile (nearest rank) of the base model's correct profile lengths, capped at --target-len; written as target_len (verl extra_info, openrlhf label object, trl column, terse meta) and honoured by terse reward serve and terse train (0: none)")
	f.BoolVar(&o.Export.Eval, "eval", false, `openrlhf: evaluation file; labels become {"gold": ..., "eval": true}, scored by terse reward serve with reward = accuracy, so OpenRLHF's eval pass1 is the accuracy`)
	f.BoolVar(&o.JSON, "json", false, "print the report as JSON (summaries of the profile and of the selection)")
	return cmd
}

func runSelect(cmd *cobra.Command, o selectOptions) error {
	if o.Profile == "" {
		return usagef("select: --profile is required")
	}
	if err := o.Select.Validate(); err != nil {
		return usagef("select: %v", err)
	}
	if o.TargetLen < 0 || o.GroupSize < 0 {
		return usagef("select: --target-len and --group-size must be ≥ 0")
	}
	if o.Out != "" && o.Export.Format == "" {
		o.Export.Format = data.FormatTerse
		if strings.EqualFold(filepath.Ext(o.Out), ".parquet") {
			o.Export.Format = data.FormatVerl
		}
	}
	if o.Export.Format != "" && !slices.Contains(data.Formats(), o.Export.Format) {
		return usagef("select: --format %q: want one of %s", o.Export.Format, strings.Join(data.Formats(), ", "))
	}
	path := o.Profile
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, data.ProfileFile)
	}
	recs, err := data.ReadRecords(path)
	if err != nil {
		return fmt.Errorf("select: %w", err)
	}
	o.Export.TargetLen = o.TargetLen // the run's L_T caps per-prompt targets
	so := data.SummaryOptions{Threshold: o.Select.Threshold, TargetLen: o.TargetLen, GroupSize: o.GroupSize}
	before, err := data.Summarize(recs, so)
	if err != nil {
		return usagef("select: %v", err)
	}
	if so.GroupSize == 0 {
		so.GroupSize = before.Samples // the same N for both, even if the selection's n differs
	}
	sel, err := data.Select(recs, o.Select)
	if err != nil {
		return usagef("select: %v", err)
	}
	if len(sel) == 0 {
		return fmt.Errorf("select: no prompt of %d in %s passes the filters", len(recs), path)
	}
	after, err := data.Summarize(sel, so)
	if err != nil {
		return fmt.Errorf("select: %w", err)
	}
	if o.Out != "" {
		if err := data.ExportFile(o.Out, sel, o.Export); err != nil {
			return fmt.Errorf("select: %w", err)
		}
	}
	out := cmd.OutOrStdout()
	if o.JSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(selectReport{Profile: path, Out: o.Out, Format: o.Export.Format, Before: before, Selected: after})
	}
	return writeSelectText(out, path, o, before, after)
}

// writeSelectText prints the selection's effect on difficulty and on the
// positive-reward density.
func writeSelectText(w io.Writer, path string, o selectOptions, before, after data.Summary) error {
	var b strings.Builder
	fmt.Fprintf(&b, "select: %d of %d prompts from %s\n", after.Prompts, before.Prompts, path)
	d0, d1 := before.Density.Full, after.Density.Full
	fmt.Fprintf(&b, "positive truncation reward at L_T = %d, group size N = %d\n", d0.TargetLen, d0.GroupSize)
	fmt.Fprintf(&b, "  %-9s %8s %10s %6s %6s %16s %20s %22s\n", "set", "prompts", "pass rate", "easy", "hard", "rollout density", "groups with ≥1 (est)", "groups with ≥1 (n obs)")
	for _, row := range []struct {
		name string
		s    data.Summary
		d    data.Density
	}{{"profile", before, d0}, {"selected", after, d1}} {
		fmt.Fprintf(&b, "  %-9s %8d %10.3f %6d %6d %16.3f %20.3f %22.3f\n", row.name, row.s.Prompts, row.s.MeanPassRate,
			row.s.Easy, row.s.Hard, row.d.RolloutDensity, row.d.GroupsWithPositive, row.d.ObservedGroupsWithPositive)
	}
	if d0.GroupsWithPositive > 0 {
		fmt.Fprintf(&b, "  groups with a positive reward: %.3f → %.3f (×%.2f)\n", d0.GroupsWithPositive, d1.GroupsWithPositive, d1.GroupsWithPositive/d0.GroupsWithPositive)
	}
	if o.Out != "" {
		fmt.Fprintf(&b, "wrote %d prompts to %s (%s)\n", after.Prompts, o.Out, o.Export.Format)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("select: %w", err)
	}
	return nil
}
