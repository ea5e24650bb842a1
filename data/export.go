package data

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/terse-dev/terse/bench"
)

// Export formats.
const (
	// FormatVerl is verl's RL parquet: data_source, prompt (chat messages),
	// ability, reward_model {style, ground_truth}, extra_info.
	FormatVerl = "verl"
	// FormatOpenRLHF is OpenRLHF JSONL: one object with a prompt and a label
	// key (names configurable: --input_key / --label_key on its side).
	FormatOpenRLHF = "openrlhf"
	// FormatTRL is TRL-style JSONL: "prompt" (chat messages or text) and a
	// solution column passed to reward functions.
	FormatTRL = "trl"
	// FormatTerse is bench.Problem JSONL, read by `terse train` and by any
	// --bench flag.
	FormatTerse = "terse"
)

// Formats lists the export formats.
func Formats() []string { return []string{FormatVerl, FormatOpenRLHF, FormatTRL, FormatTerse} }

// ExportOptions configures Export. Zero values take the defaults in
// brackets.
type ExportOptions struct {
	// Format is one of Formats().
	Format string
	// Template renders the prompt text from the question ("{question}" is
	// replaced) [the prompt the profile sampled with, Record.Prompt].
	Template string
	// System, when set, is a system message before the user message
	// (chat-message outputs only: verl, and openrlhf/trl with Messages).
	System string
	// DataSource overrides verl's data_source [Record.Source].
	DataSource string
	// Ability is verl's ability column ["math"].
	Ability string
	// Split is recorded in verl's extra_info.split ["train"].
	Split string
	// PromptKey and LabelKey name OpenRLHF's columns ["prompt", "label"].
	PromptKey, LabelKey string
	// SolutionKey names TRL's answer column ["solution"].
	SolutionKey string
	// Text writes the prompt as plain text instead of a chat message list
	// (OpenRLHF and TRL; verl always gets messages). OpenRLHF defaults to
	// text, TRL to messages; Messages forces messages for OpenRLHF.
	Text, Messages bool
	// TargetQuantile, when > 0, gives every prompt its own L_T
	// (PromptTargetLen): the TargetQuantile-quantile of the base model's
	// correct profile lengths, capped at TargetLen. 0 writes none.
	TargetQuantile float64
	// TargetLen is the run's L_T: the cap of per-prompt targets and the
	// target of prompts without a correct profile rollout [each record's
	// rollout limit L_R].
	TargetLen int
	// Eval marks the file as evaluation data: OpenRLHF labels become
	// {"gold": ..., "eval": true}, which the reward service scores with
	// reward = accuracy (OpenRLHF's eval pass1 is the mean reward).
	Eval bool
}

// PromptTargetLen is a prompt's own target length L_T, the rule of
// `terse select --target-quantile q`: among the c correct rollouts of its
// profile (Record.CorrectLengths, ascending), the ⌈q·c⌉-th shortest
// (nearest-rank quantile), capped at targetLen (the run's L_T; the
// record's rollout limit when 0). A prompt without a correct rollout gets
// the cap. Easy prompts, which the base model solves briefly, thus get a
// short target and hard ones a long one, as LASER-D and DIET set L_T by
// difficulty; q = 0.5 asks for the base model's median correct length.
// q must be in (0, 1].
func PromptTargetLen(r *Record, q float64, targetLen int) int {
	limit := targetLen
	if limit <= 0 {
		limit = r.RolloutLimit
	}
	n := len(r.CorrectLengths)
	if n == 0 {
		return limit
	}
	rank := int(math.Ceil(q * float64(n)))
	rank = min(max(rank, 1), n)
	return min(max(r.CorrectLengths[rank-1], 1), limit)
}

// targetLen is r's exported L_T, 0 without TargetQuantile.
func (o ExportOptions) targetLen(r *Record) int {
	if o.TargetQuantile <= 0 {
		return 0
	}
	return PromptTargetLen(r, o.TargetQuantile, o.TargetLen)
}

func (o ExportOptions) withDefaults() ExportOptions {
	if o.Ability == "" {
		o.Ability = "math"
	}
	if o.Split == "" {
		o.Split = "train"
	}
	if o.PromptKey == "" {
		o.PromptKey = "prompt"
	}
	if o.LabelKey == "" {
		o.LabelKey = "label"
	}
	if o.SolutionKey == "" {
		o.SolutionKey = "solution"
	}
	return o
}

// Message is one chat message, as verl, OpenRLHF (--apply_chat_template)
// and TRL read them.
type Message struct {
	Role    string `json:"role" parquet:"role"`
	Content string `json:"content" parquet:"content"`
}

// VerlRewardModel is verl's reward_model column.
type VerlRewardModel struct {
	// Style is "rule": the reward is computed from the ground truth.
	Style string `json:"style" parquet:"style"`
	// GroundTruth is the first gold answer, a string in every file (verl's
	// built-in scorers take one string, and files of different benchmarks
	// must share one schema to be concatenated); every alternative is in
	// extra_info.gold, which terse's compute_score reads.
	GroundTruth string `json:"ground_truth" parquet:"ground_truth"`
}

// VerlExtraInfo is verl's extra_info column: verl passes it to
// compute_score. index is verl's convention; the rest is terse's profile.
type VerlExtraInfo struct {
	Index          int64    `json:"index" parquet:"index"`
	Split          string   `json:"split" parquet:"split"`
	ID             string   `json:"id" parquet:"id"`
	Benchmark      string   `json:"benchmark" parquet:"benchmark"`
	Level          int64    `json:"level" parquet:"level"`
	PassRate       float64  `json:"pass_rate" parquet:"pass_rate"`
	Samples        int64    `json:"samples" parquet:"samples"`
	Correct        int64    `json:"correct" parquet:"correct"`
	TruncationRate float64  `json:"truncation_rate" parquet:"truncation_rate"`
	RolloutLimit   int64    `json:"rollout_limit" parquet:"rollout_limit"`
	Gold           []string `json:"gold" parquet:"gold,list"`
	// TargetLen is the prompt's own L_T (PromptTargetLen), 0 when none.
	TargetLen int64 `json:"target_len" parquet:"target_len"`
}

// VerlRow is one row of verl's RL parquet (verl/utils/dataset/rl_dataset.py
// reads it with pyarrow/datasets: prompt becomes a list of {role, content}
// dicts, reward_model and extra_info become dicts).
type VerlRow struct {
	DataSource  string          `json:"data_source" parquet:"data_source"`
	Prompt      []Message       `json:"prompt" parquet:"prompt,list"`
	Ability     string          `json:"ability" parquet:"ability"`
	RewardModel VerlRewardModel `json:"reward_model" parquet:"reward_model"`
	ExtraInfo   VerlExtraInfo   `json:"extra_info" parquet:"extra_info"`
}

// promptText renders the user message of r.
func (o ExportOptions) promptText(r *Record) string {
	if o.Template != "" {
		return strings.ReplaceAll(o.Template, "{question}", r.Problem.Question)
	}
	if r.Prompt != "" {
		return r.Prompt
	}
	return r.Problem.Question
}

// messages renders r as a chat message list.
func (o ExportOptions) messages(r *Record) []Message {
	var ms []Message
	if o.System != "" {
		ms = append(ms, Message{Role: "system", Content: o.System})
	}
	return append(ms, Message{Role: "user", Content: o.promptText(r)})
}

// label is the solution of TRL: the gold answer, or the list of
// alternatives when there are several; for a code problem, its tests as a
// JSON string (codegrade.ParseLabel reads it back in the reward service).
func label(p *bench.Problem) any {
	if p.Tests != nil {
		return groundTruth(p)
	}
	if len(p.Gold) == 1 {
		return p.Gold[0]
	}
	return p.Gold
}

// Export writes recs to w in o.Format. Parquet (verl) needs the whole
// output in memory before the footer; JSONL streams.
func Export(w io.Writer, recs []Record, o ExportOptions) error {
	o = o.withDefaults()
	if o.TargetQuantile < 0 || o.TargetQuantile > 1 || math.IsNaN(o.TargetQuantile) {
		return fmt.Errorf("data: export: target quantile %v, want in (0, 1] (0: no per-prompt L_T)", o.TargetQuantile)
	}
	if o.TargetLen < 0 {
		return fmt.Errorf("data: export: target length %d, want ≥ 0", o.TargetLen)
	}
	for i := range recs {
		if len(recs[i].Problem.Gold) == 0 && recs[i].Problem.Tests == nil {
			return fmt.Errorf("data: export: %s/%s has no gold answer", recs[i].Benchmark, recs[i].ID)
		}
	}
	switch o.Format {
	case FormatVerl:
		return exportVerl(w, recs, o)
	case FormatOpenRLHF, FormatTRL, FormatTerse:
		return exportJSONL(w, recs, o)
	default:
		return fmt.Errorf("data: export: unknown format %q (want one of %s)", o.Format, strings.Join(Formats(), ", "))
	}
}

// groundTruth is a problem's single-string label: the first gold answer,
// or a code problem's tests as JSON (bench.CodeTests).
func groundTruth(p *bench.Problem) string {
	if p.Tests != nil {
		b, err := json.Marshal(p.Tests)
		if err != nil {
			panic(fmt.Sprintf("data: marshal code tests: %v", err)) // cannot fail for this struct
		}
		return string(b)
	}
	return p.Gold[0]
}

// gold lists a problem's accepted answers, never nil (an empty list for a
// code problem), so every file has the same non-null column.
func gold(p *bench.Problem) []string {
	if p.Gold == nil {
		return []string{}
	}
	return p.Gold
}

// VerlRows converts recs to verl rows.
func VerlRows(recs []Record, o ExportOptions) []VerlRow {
	o = o.withDefaults()
	rows := make([]VerlRow, len(recs))
	for i := range recs {
		r := &recs[i]
		src := o.DataSource
		if src == "" {
			src = r.Source
		}
		rows[i] = VerlRow{
			DataSource:  src,
			Prompt:      o.messages(r),
			Ability:     o.Ability,
			RewardModel: VerlRewardModel{Style: "rule", GroundTruth: groundTruth(&r.Problem)},
			ExtraInfo: VerlExtraInfo{
				Index: int64(i), Split: o.Split, ID: r.ID, Benchmark: r.Benchmark, Level: int64(r.Level),
				PassRate: r.PassRate, Samples: int64(r.Samples), Correct: int64(r.Correct),
				TruncationRate: r.TruncationRate, RolloutLimit: int64(r.RolloutLimit), Gold: gold(&r.Problem),
				TargetLen: int64(o.targetLen(r)),
			},
		}
	}
	return rows
}

func exportVerl(w io.Writer, recs []Record, o ExportOptions) error {
	pw := parquet.NewGenericWriter[VerlRow](w, parquet.Compression(&parquet.Snappy))
	if _, err := pw.Write(VerlRows(recs, o)); err != nil {
		return fmt.Errorf("data: export verl: %w", err)
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("data: export verl: %w", err)
	}
	return nil
}

func exportJSONL(w io.Writer, recs []Record, o ExportOptions) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range recs {
		r := &recs[i]
		var v any
		switch o.Format {
		case FormatOpenRLHF:
			var prompt any = o.promptText(r)
			if o.Messages {
				prompt = o.messages(r)
			}
			// The label has one JSON type in every row of every file, so
			// that HF datasets can load and concatenate the files
			// (OpenRLHF's blending_datasets uses load_dataset("json"),
			// whose pyarrow reader (packaged_modules/json/json.py at
			// 573a7712) refuses a column that is a string in one row and a
			// list in another): always a list of accepted answers (a code
			// problem's tests as one JSON string), or, with per-prompt L_T
			// or --eval, always an object holding that list. OpenRLHF
			// passes data[label_key] as it is to the remote reward service
			// (openrlhf/datasets/prompts_dataset.py, preprocess_data, read
			// at 04655bc3), and terse's reward service reads all three.
			g := gold(&r.Problem)
			if r.Problem.Tests != nil {
				g = []string{groundTruth(&r.Problem)}
			}
			var lab any = g
			if o.TargetQuantile > 0 || o.Eval {
				obj := map[string]any{"gold": g}
				if tl := o.targetLen(r); tl > 0 {
					obj["target_len"] = tl
				}
				if o.Eval {
					obj["eval"] = true
				}
				lab = obj // read by the reward service (rewardserver rsParseLabel)
			}
			v = map[string]any{o.PromptKey: prompt, o.LabelKey: lab,
				"id": r.ID, "source": r.Source, "pass_rate": r.PassRate}
		case FormatTRL:
			var prompt any = o.messages(r)
			if o.Text {
				prompt = o.promptText(r)
			}
			m := map[string]any{"prompt": prompt, o.SolutionKey: label(&r.Problem),
				"id": r.ID, "source": r.Source, "pass_rate": r.PassRate}
			if tl := o.targetLen(r); tl > 0 {
				m["target_len"] = tl
			}
			v = m
		case FormatTerse:
			p := r.Problem
			p.Meta = maps.Clone(p.Meta)
			if p.Meta == nil {
				p.Meta = map[string]any{}
			}
			delete(p.Meta, "where")
			p.Meta["pass_rate"] = r.PassRate
			p.Meta["profile_samples"] = r.Samples
			if tl := o.targetLen(r); tl > 0 {
				p.Meta["target_len"] = tl // read by terse train (rl.PromptTargetLen)
			}
			v = p
		}
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("data: export %s: %s/%s: %w", o.Format, r.Benchmark, r.ID, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("data: export %s: %w", o.Format, err)
	}
	return nil
}

// ExportFile writes recs to path atomically.
func ExportFile(path string, recs []Record, o ExportOptions) error {
	return writeAtomic(path, func(w io.Writer) error { return Export(w, recs, o) })
}
