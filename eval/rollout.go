package eval

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/terse-dev/terse/bench"
)

// Status values of a Rollout.
const (
	// StatusOK marks a rollout whose request succeeded and was graded.
	StatusOK = "ok"
	// StatusFailed marks a request that kept failing after every retry; it
	// is recorded, never dropped, and a resumed run samples it again.
	StatusFailed = "failed"
)

// API values: which OpenAI-compatible endpoint a run talks to.
const (
	// APIChat is /v1/chat/completions: the server applies the chat template.
	APIChat = "chat"
	// APICompletions is /v1/completions: terse renders the raw prompt.
	APICompletions = "completions"
)

// Finish reasons as OpenAI-compatible servers report them.
const (
	// FinishStop: the model ended its answer (EOS or a stop string).
	FinishStop = "stop"
	// FinishLength: the completion was cut off at max_tokens.
	FinishLength = "length"
)

// DefaultPromptTemplate is the user message (chat) or prompt (completions)
// when none is given: the instruction DeepScaleR and Qwen2.5-Math use.
const DefaultPromptTemplate = "{question}\nPlease reason step by step, and put your final answer within \\boxed{}."

// Sampling is everything that changes a run's output distribution except
// the token budget. Its Key is the cache key of every rollout in the run;
// max tokens is kept apart so that a long run can answer a shorter budget
// (see Rollout.AtBudget).
type Sampling struct {
	// Model is the model name sent to the server.
	Model string `json:"model"`
	// API is APIChat or APICompletions.
	API string `json:"api"`
	// SystemPrompt is the optional system message (chat API only).
	SystemPrompt string `json:"system_prompt,omitempty"`
	// PromptTemplate renders a problem; "{question}" is replaced by its text.
	PromptTemplate string `json:"prompt_template"`
	// Prefill is the start of the assistant turn (e.g. "<think>\n"). With
	// the chat API it is sent as a final assistant message that the server
	// continues; with the completions API it is appended to the prompt.
	Prefill string `json:"prefill,omitempty"`
	// Temperature, TopP and TopK are the sampling settings; TopK ≤ 0 means
	// "not sent" (the server's default, usually disabled).
	Temperature float64 `json:"temperature"`
	TopP        float64 `json:"top_p"`
	TopK        int     `json:"top_k"`
	// Seed is the run's base seed; sample i is requested with Seed+i so that
	// repeated samples of one problem differ.
	Seed int64 `json:"seed"`
}

// Key is the cache key of a run: a hash of every Sampling field. Two runs
// with the same Key draw from the same distribution up to their budgets.
func (s Sampling) Key() string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("eval: marshal sampling: %v", err)) // cannot fail for this struct
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// Validate reports the first invalid setting.
func (s Sampling) Validate() error {
	switch {
	case s.Model == "":
		return fmt.Errorf("eval: sampling: model is empty")
	case s.API != APIChat && s.API != APICompletions:
		return fmt.Errorf("eval: sampling: api %q is neither %q nor %q", s.API, APIChat, APICompletions)
	case !strings.Contains(s.PromptTemplate, "{question}"):
		return fmt.Errorf("eval: sampling: prompt template %q has no {question} placeholder", s.PromptTemplate)
	case s.Temperature < 0:
		return fmt.Errorf("eval: sampling: temperature %g < 0", s.Temperature)
	case s.TopP <= 0 || s.TopP > 1:
		return fmt.Errorf("eval: sampling: top_p %g outside (0, 1]", s.TopP)
	case s.API == APICompletions && s.SystemPrompt != "":
		return fmt.Errorf("eval: sampling: a system prompt needs the chat API (the completions API has no roles)")
	}
	return nil
}

// Prompt renders the prompt of one problem: the user message for the chat
// API, the whole prompt (without the prefill) for the completions API.
func (s Sampling) Prompt(p bench.Problem) string {
	return strings.ReplaceAll(s.PromptTemplate, "{question}", p.Question)
}

// ThinkingOpen reports whether the prefill leaves a <think> block open, so
// that the completion starts inside the thinking with no opening tag.
func (s Sampling) ThinkingOpen() bool {
	t := strings.TrimRight(s.Prefill, " \t\r\n")
	return strings.HasSuffix(t, "<think>")
}

// SampleID names one sample of one problem in one run; a store holds at
// most one ok rollout per SampleID and budget.
type SampleID struct {
	Key       string
	Benchmark string
	ProblemID string
	Sample    int
}

// String formats the ID for messages.
func (id SampleID) String() string {
	return fmt.Sprintf("%s/%s/%s#%d", id.Key, id.Benchmark, id.ProblemID, id.Sample)
}

// Rollout is one sampled completion of one problem, graded. It is one line
// of a rollout file; SCHEMA.md documents each field.
type Rollout struct {
	// Key is Sampling.Key() of the run that produced the rollout.
	Key string `json:"key"`
	// Benchmark and ProblemID name the problem (bench.Problem.Benchmark, .ID).
	Benchmark string `json:"benchmark"`
	ProblemID string `json:"problem_id"`
	// Sample is the sample index, 0 ≤ Sample < k.
	Sample int `json:"sample"`
	// Status is StatusOK or StatusFailed; Error says why a request failed.
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`

	// Sampling settings of the run (flattened into the JSON line).
	Sampling
	// SampleSeed is the seed sent with this request: Seed + Sample.
	SampleSeed int64 `json:"sample_seed"`
	// MaxTokens is the budget the request was sampled with.
	MaxTokens int `json:"max_tokens"`

	// Prompt is the rendered user message (chat) or prompt (completions),
	// without the prefill.
	Prompt string `json:"prompt"`
	// Reasoning is the thinking: the server's reasoning_content, or the text
	// up to </think> in the completion (see SplitThinking).
	Reasoning string `json:"reasoning"`
	// Response is the answer part of the completion; it is what is graded.
	Response string `json:"response"`
	// Gold lists the accepted reference answers.
	Gold []string `json:"gold"`
	// Level is the problem's difficulty level (MATH 1–5), 0 when unknown.
	Level int `json:"level,omitempty"`
	// Meta is the problem's metadata (tolerance, subject, …), kept so that
	// a rollout can be regraded without the benchmark file.
	Meta map[string]any `json:"meta,omitempty"`

	// PromptTokens and CompletionTokens come from the server's usage block,
	// never from re-tokenising text.
	PromptTokens     int `json:"prompt_tokens,omitempty"`
	CompletionTokens int `json:"completion_tokens"`
	// ReasoningTokens is usage.completion_tokens_details.reasoning_tokens:
	// the thinking's share of CompletionTokens, when the server reports it.
	ReasoningTokens int `json:"reasoning_tokens,omitempty"`
	// TokenIDs are the completion's token ids and PromptTokenIDs the
	// prompt's (chat template applied), as the server returned them when
	// asked (terse eval --store-token-ids; vLLM's and terse serve's
	// return_token_ids). TokenIDs has exactly CompletionTokens ids; both
	// are omitted when not stored.
	TokenIDs       []int `json:"token_ids,omitempty"`
	PromptTokenIDs []int `json:"prompt_token_ids,omitempty"`
	// FinishReason is FinishStop, FinishLength or whatever the server said.
	FinishReason string `json:"finish_reason"`

	// Correct, Reason, Extracted and Matched are the grader's verdict on
	// Response (Reason is a snake_case grade reason).
	Correct   bool   `json:"correct"`
	Reason    string `json:"reason"`
	Extracted string `json:"extracted"`
	Matched   string `json:"matched,omitempty"`

	// Code problems only (see AttachTests). TestResults holds the code
	// grader's verdict per test case and Runtime the interpreter that ran
	// the program. CodeTests is the problem's test suite, kept for
	// regrading when its JSON is at most MaxInlineTests bytes; TestsDigest
	// (bench.CodeTests.Digest) names the suite either way.
	TestResults []TestResult     `json:"test_results,omitempty"`
	Runtime     string           `json:"runtime,omitempty"`
	CodeTests   *bench.CodeTests `json:"code_tests,omitempty"`
	TestsDigest string           `json:"tests_digest,omitempty"`

	// Endpoint is the server that answered; Attempts counts HTTP tries.
	Endpoint string `json:"endpoint,omitempty"`
	Attempts int    `json:"attempts"`
	// ServerFaults lists what was wrong with the server's implausible
	// answers to this request (sampler.Fault* kinds, one per rejected
	// attempt), in order; such answers are retried, never stored.
	ServerFaults []string `json:"server_faults,omitempty"`
	// StartedAt and FinishedAt bound the request, retries included.
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`

	// DerivedFromMaxTokens is set only on a view made by AtBudget from a
	// rollout sampled with a larger budget; it is never written by a run.
	DerivedFromMaxTokens int `json:"derived_from_max_tokens,omitempty"`
}

// ID returns the rollout's SampleID.
func (r *Rollout) ID() SampleID {
	return SampleID{Key: r.Key, Benchmark: r.Benchmark, ProblemID: r.ProblemID, Sample: r.Sample}
}

// Problem rebuilds the graded part of the rollout's problem, for regrading.
// A code problem whose tests were too large to keep inline comes back with
// an empty suite (TestsDigest still names the real one).
func (r *Rollout) Problem() bench.Problem {
	p := bench.Problem{ID: r.ProblemID, Benchmark: r.Benchmark, Gold: r.Gold, Level: r.Level, Meta: r.Meta, Tests: r.CodeTests}
	if p.Tests == nil && r.TestsDigest != "" {
		// A code problem whose suite was not kept: an empty suite, which
		// the code grader reports as no_tests (never a math grade) unless
		// the caller supplies the suite named by Meta["tests_digest"].
		p.Tests = &bench.CodeTests{Language: "python", Style: bench.StyleStdin}
		p.Meta = make(map[string]any, len(r.Meta)+1)
		for k, v := range r.Meta {
			p.Meta[k] = v
		}
		p.Meta["tests_digest"] = r.TestsDigest
	}
	return p
}

// MaxInlineTests is the largest test suite (JSON bytes) a rollout carries
// inline; LiveCodeBench's private tests can reach hundreds of MB per
// problem, which k copies per problem must not repeat.
const MaxInlineTests = 256 << 10

// AttachTests records a code problem's test suite on the rollout: always
// its digest, and the suite itself when it is small enough to repeat in
// every rollout line (MaxInlineTests). A nil suite (a math problem) does
// nothing. It marshals the whole suite; for many rollouts of one problem,
// compute CodeTestsRecord once and set the two fields.
func (r *Rollout) AttachTests(t *bench.CodeTests) {
	r.CodeTests, r.TestsDigest = CodeTestsRecord(t)
}

// CodeTestsRecord returns what the rollouts of a code problem record of its
// tests: the suite itself when its JSON is at most MaxInlineTests bytes
// (else nil), and its digest (bench.CodeTests.Digest). Both are empty for a
// nil suite.
func CodeTestsRecord(t *bench.CodeTests) (inline *bench.CodeTests, digest string) {
	if t == nil {
		return nil, ""
	}
	b, err := json.Marshal(t)
	if err != nil {
		panic(fmt.Sprintf("eval: marshal code tests: %v", err)) // cannot fail for this struct
	}
	sum := sha256.Sum256(b)
	if len(b) <= MaxInlineTests {
		inline = t
	}
	return inline, hex.EncodeToString(sum[:8])
}

// FinishedWithin reports whether the rollout ended on its own (finish
// reason stop) within budget tokens: the strict-mode condition for the
// rollout to count at that budget.
func (r *Rollout) FinishedWithin(budget int) bool {
	return r.Status == StatusOK && r.FinishReason == FinishStop && r.CompletionTokens <= budget
}

// CanAnswer reports whether the rollout is a valid sample for a request
// with max_tokens = budget. An ok rollout sampled with MaxTokens ≥ budget
// can (sampling with max_tokens = B draws the first B tokens of an
// unconstrained sample); a rollout sampled with a smaller budget never can,
// even if it finished: reusing only the finished ones and resampling the
// truncated ones would over-represent short answers.
func (r *Rollout) CanAnswer(budget int) bool {
	return r.Status == StatusOK && r.MaxTokens >= budget
}

// AtBudget returns the rollout as a sample with max_tokens = budget would
// have recorded it (strict mode), given that CanAnswer(budget) holds:
//
//   - finished within the budget (stop, completion_tokens ≤ budget): unchanged
//     apart from MaxTokens;
//   - otherwise the sample at the smaller budget is cut at token budget: it
//     becomes finish_reason "length", completion_tokens = budget,
//     correct = false, reason "truncated", extracted "". The text cannot be
//     cut at token budget without the model's tokenizer, so Reasoning and
//     Response keep the longer text and DerivedFromMaxTokens says so.
//
// A rollout cut by the server below its own max_tokens (finish "length"
// with fewer tokens, e.g. at the context limit) stays as it is: the same
// cut happens at any budget above its length.
func (r *Rollout) AtBudget(budget int) Rollout {
	v := *r
	if r.MaxTokens == budget {
		return v
	}
	v.MaxTokens = budget
	v.DerivedFromMaxTokens = r.MaxTokens
	if r.CompletionTokens > budget {
		v.FinishReason = FinishLength
		v.CompletionTokens = budget
		v.ReasoningTokens = min(v.ReasoningTokens, budget)
		if len(v.TokenIDs) > budget {
			v.TokenIDs = v.TokenIDs[:budget:budget]
		}
		v.Correct = false
		v.Reason = "truncated"
		v.Extracted = ""
		v.Matched = ""
		v.TestResults = nil
	}
	return v
}

// Verdict is a grader's decision on one response (the shape of
// grade.Verdict and codegrade.Verdict, repeated here so that eval imports
// neither grader).
type Verdict struct {
	Correct   bool
	Reason    string
	Extracted string
	Matched   string
	// Tests and Runtime come from the code grader only.
	Tests   []TestResult
	Runtime string
}

// TestResult is the code grader's verdict on one test case of a rollout
// (codegrade.TestResult): the case's index into the problem's tests, a
// snake_case reason (passed, wrong_answer, runtime_error, timeout,
// memory_limit, output_limit, sandbox_refused, not_run), whether the case
// is private, its wall-clock milliseconds and what went wrong.
type TestResult struct {
	Case    int     `json:"case"`
	Reason  string  `json:"reason"`
	Private bool    `json:"private,omitempty"`
	Millis  float64 `json:"ms,omitempty"`
	Detail  string  `json:"detail,omitempty"`
}

// Grader grades a response against a problem's gold answers. terse's CLI
// passes a closure over grade.Grade; tests pass fakes.
type Grader func(response string, p bench.Problem) Verdict

// Grade fills r's verdict fields with g's decision on r.Response against
// the problem the rollout records (Problem).
func (r *Rollout) Grade(g Grader) { r.GradeWith(g, r.Problem()) }

// GradeWith is Grade against p, the problem itself, as a run grading a
// fresh rollout does (a code problem's tests may be too large for the
// rollout to keep).
func (r *Rollout) GradeWith(g Grader, p bench.Problem) {
	v := g(r.Response, p)
	r.Correct, r.Reason, r.Extracted, r.Matched = v.Correct, v.Reason, v.Extracted, v.Matched
	r.TestResults, r.Runtime = v.Tests, v.Runtime
}

// SplitThinking separates a completion's thinking from its answer:
//
//   - text up to the first "</think>" is thinking (a leading "<think>" is
//     dropped), the rest after it is the answer;
//   - with no "</think>": if the text starts with "<think>", or open is true
//     (the prompt or prefill ended with <think>, so the completion has no
//     opening tag), all of it is unfinished thinking and the answer is
//     empty; otherwise there was no thinking and all of it is the answer.
//
// Both parts are trimmed of surrounding white space.
func SplitThinking(completion string, open bool) (reasoning, response string) {
	s := strings.TrimLeft(completion, " \t\r\n")
	started := strings.HasPrefix(s, "<think>")
	if started {
		s = s[len("<think>"):]
	}
	if i := strings.Index(s, "</think>"); i >= 0 {
		return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+len("</think>"):])
	}
	if started || open {
		return strings.TrimSpace(s), ""
	}
	return "", strings.TrimSpace(s)
}
