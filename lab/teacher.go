package lab

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/terse-dev/terse/bench"
)

// Special tokens of the lab's chat format. The engine's char-level tokenizer
// must map each to a single token.
const (
	ThinkOpen  = "<think>"
	ThinkClose = "</think>"
	EndOfText  = "<|endoftext|>"
)

// MaxCompletion is the longest completion, in tokens, the verbose teacher
// writes: with the longest question it keeps a training sequence within a
// 1024-token context.
const MaxCompletion = 960

// Style sets how much a verbose trace says beyond the necessary steps. Every
// field is a probability; the zero Style writes the concise trace (the length
// floor). Everything a Style adds can be dropped without changing the answer,
// which is what efficient-reasoning training should learn to do.
type Style struct {
	// Restate is the probability of restating the problem first.
	Restate float64
	// Filler is the per-step probability of a filler phrase ("hmm, let me think.").
	Filler float64
	// Check is the per-step probability of re-verifying the step just done;
	// checks repeat with the same probability (a geometric count).
	Check float64
	// Mistake is the per-step probability of a slip followed by a correction.
	Mistake float64
	// Verify is the probability of redoing the whole solution before answering.
	Verify float64
	// Summary is the probability of "so the answer is X." before closing.
	Summary float64
}

// RandomStyle draws the style of one verbose sample. A verbosity v, uniform
// in [0, 1), scales every habit, so the length of traces for one problem
// varies widely, as real reasoning models' does. Slips grow with the level,
// so harder problems get longer traces with more corrections.
func RandomStyle(level int, rng *rand.Rand) Style {
	v := rng.Float64()
	return Style{
		Restate: 0.2 + 0.7*v,
		Filler:  0.8 * v,
		Check:   0.6 * v,
		Mistake: min(0.5, (0.01+0.025*float64(level))*(0.5+v)),
		Verify:  0.5 * v * v,
		Summary: 0.3 + 0.6*v,
	}
}

// phrase pools of the verbose teacher. Only lowercase letters, digits and
// the punctuation of Alphabet appear.
func fillers() []string {
	return []string{
		"hmm, let me think.", "ok.", "so,", "next.", "let me see.", "alright.",
		"now the next step.", "hmm.", "let me do this step by step.", "ok, so",
	}
}

func checks(op string) []string {
	return []string{
		"check: " + op + ", yes.",
		"let me double check " + op + ". ok.",
		"is " + op + "? yes.",
		"wait, let me check again. " + op + ", right.",
	}
}

func corrections() []string {
	return []string{
		"wait, that is wrong.", "hmm, no, let me redo that.", "wait, no.", "hmm, that does not look right.",
	}
}

func restates(goal string) []string {
	return []string{
		"we need to " + goal + ".", "the problem asks us to " + goal + ".", "ok, so we have to " + goal + ".",
	}
}

func verifies() []string {
	return []string{
		"let me verify the whole thing again.", "before answering, let me check everything once more.",
		"let me redo it to be sure.",
	}
}

// FamilyOf returns the lab family of a problem: Meta["family"], else the
// Benchmark name without its "lab-" prefix.
func FamilyOf(p bench.Problem) string {
	if f, ok := p.Meta["family"].(string); ok {
		return f
	}
	return strings.TrimPrefix(p.Benchmark, "lab-")
}

// Concise returns the trace with the necessary steps only: the length floor.
func Concise(p bench.Problem) (string, error) { return Trace(p, Style{}, nil) }

// Verbose returns a trace in a style drawn by RandomStyle. If it would exceed
// MaxCompletion tokens, the full redo is dropped and the style halved until
// it fits (the concise trace always does).
func Verbose(p bench.Problem, rng *rand.Rand) (string, error) {
	s := RandomStyle(p.Level, rng)
	for range 8 {
		t, err := Trace(p, s, rng)
		if err != nil || TokenLen(t) <= MaxCompletion {
			return t, err
		}
		s = Style{Restate: s.Restate / 2, Filler: s.Filler / 2, Check: s.Check / 2,
			Mistake: s.Mistake / 2, Summary: s.Summary / 2}
	}
	return Concise(p)
}

// Trace writes the completion for p in the given style:
//
//	<think>
//	...steps, with what the style adds...
//	</think>
//	\boxed{answer}
//
// It is the same shape real reasoning models produce, so the same grader
// grades lab and real benchmarks. rng may be nil when every probability of
// the style is zero.
func Trace(p bench.Problem, s Style, rng *rand.Rand) (string, error) {
	sol, err := solveQuestion(FamilyOf(p), p.Question)
	if err != nil {
		return "", err
	}
	chance := func(prob float64) bool { return prob > 0 && rng.Float64() < prob }
	pick := func(pool []string) string { return pool[rng.IntN(len(pool))] }

	var b strings.Builder
	line := func(s string) { b.WriteString(s); b.WriteByte('\n') }
	b.WriteString(ThinkOpen + "\n")
	if chance(s.Restate) {
		line(pick(restates(sol.goal)))
	}
	for _, st := range sol.steps {
		if chance(s.Filler) {
			line(pick(fillers()))
		}
		line(st.state)
		if len(st.wrong) > 0 && chance(s.Mistake) {
			line(st.lhs + "=" + pick(st.wrong))
			line(pick(corrections()))
		}
		line(st.op())
		for chance(s.Check) {
			line(pick(checks(st.lhs + "=" + st.rhs)))
		}
	}
	if sol.final != "" {
		line(sol.final)
	}
	if chance(s.Verify) {
		line(pick(verifies()))
		for _, st := range sol.steps {
			line(st.state)
			line(st.op())
		}
		if sol.final != "" {
			line(sol.final)
		}
		line("yes, it checks out.")
	}
	if chance(s.Summary) {
		line("so the answer is " + sol.answer + ".")
	}
	b.WriteString(ThinkClose + "\n" + `\boxed{` + sol.answer + "}")
	return b.String(), nil
}

// FormatPrompt returns the prompt the lab models are trained on for a
// question: the question itself. The completion (Trace) follows it directly;
// its opening <think> token marks the boundary. This is what the char-level
// tokenizer's default chat template renders for a one-message chat.
func FormatPrompt(question string) string { return question }

// TokenLen counts the tokens of s under the lab's char-level tokenizer: one
// per byte, except that each special token counts as one.
func TokenLen(s string) int {
	n := len(s)
	for _, sp := range []string{ThinkOpen, ThinkClose, EndOfText} {
		n -= strings.Count(s, sp) * (len(sp) - 1)
	}
	return n
}

// Alphabet lists every character that lab questions and teacher traces use,
// besides the special tokens. A char-level tokenizer built from it, plus the
// three special tokens, covers the whole lab.
const Alphabet = "\n !(),*+-.0123456789:=?\\abcdefghiklmnoprstuvwxyz{}"

// checkAlphabet returns an error naming the first character of s outside
// Alphabet (special tokens removed first).
func checkAlphabet(s string) error {
	for _, sp := range []string{ThinkOpen, ThinkClose, EndOfText} {
		s = strings.ReplaceAll(s, sp, "")
	}
	for i, r := range s {
		if !strings.ContainsRune(Alphabet, r) {
			return fmt.Errorf("lab: character %q at offset %d is outside the lab alphabet", r, i)
		}
	}
	return nil
}
