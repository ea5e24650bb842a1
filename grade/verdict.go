package grade

// Reason says why a Verdict was reached. Reasons are snake_case strings,
// stable across releases, so programs may match on them.
type Reason string

// Reasons a Verdict can carry. The equal_* reasons go with Correct = true;
// all others with Correct = false.
const (
	// NoAnswer: the completion holds no extractable final answer.
	NoAnswer Reason = "no_answer"
	// UnterminatedThink: a <think> was opened and never closed, so the
	// completion never reached its answer.
	UnterminatedThink Reason = "unterminated_think"
	// UnbalancedBox: the last \boxed{ is never closed.
	UnbalancedBox Reason = "unbalanced_box"
	// ParseError: the predicted answer could not be parsed and is not
	// string-equal to any gold alternative.
	ParseError Reason = "parse_error"
	// NotEqual: the predicted answer parsed and differs from every gold
	// alternative.
	NotEqual Reason = "not_equal"
	// EqualString: equal after normalisation, as strings.
	EqualString Reason = "equal_string"
	// EqualNumeric: equal as numbers (exactly, or within the tolerance).
	EqualNumeric Reason = "equal_numeric"
	// EqualSymbolic: equal as expressions with free symbols, checked at
	// several random points.
	EqualSymbolic Reason = "equal_symbolic"
	// EqualStructural: equal as sets, tuples, intervals, matrices or
	// relations, element by element.
	EqualStructural Reason = "equal_structural"
	// Timeout: the per-call work budget ran out before a decision.
	Timeout Reason = "timeout"
	// EmptyGold: no usable gold answer was given.
	EmptyGold Reason = "empty_gold"
)

// Options tunes a comparison. Zero fields take their defaults, so the zero
// value behaves like DefaultOptions.
type Options struct {
	// RelTol is the relative tolerance for numeric comparison,
	// |a−b| ≤ RelTol·max(|a|,|b|); 0 means DefaultRelTol (1e-6). Under
	// the default, exact rationals (integers, fractions) must match exactly
	// (5866608 ≠ 5866609), other values written without decimals (288\pi,
	// t^2−121) agree to float64 error (1e-9), and RelTol applies once a
	// decimal literal is involved; a coarser RelTol, or any AbsTol, applies
	// to every value.
	RelTol float64
	// AbsTol is an optional absolute tolerance, |a−b| ≤ AbsTol (OlympiadBench's
	// "error" field); 0 turns it off.
	AbsTol float64
	// WorkBudget is the per-call work budget in abstract steps (tokens read,
	// tree nodes evaluated, digits multiplied); 0 means DefaultWorkBudget.
	WorkBudget int
	// CutByLength says the completion was cut at max_tokens (finish_reason
	// length): Grade then extracts with ExtractCut, so unfinished work with
	// no stated answer has no answer rather than a number from its middle.
	CutByLength bool
}

// DefaultRelTol is the relative tolerance used when Options.RelTol is 0.
const DefaultRelTol = 1e-6

// DefaultWorkBudget is the work budget used when Options.WorkBudget is 0.
// One step costs about 50 ns, so it bounds the comparison of one call to
// about 20 ms on any input; real answers use a few thousand steps.
const DefaultWorkBudget = 400_000

// DefaultOptions returns the default Options: RelTol 1e-6, no absolute
// tolerance, the default work budget.
func DefaultOptions() Options {
	return Options{RelTol: DefaultRelTol, WorkBudget: DefaultWorkBudget}
}

// Verdict is the outcome of grading one answer.
type Verdict struct {
	// Correct is true when the predicted answer equals some gold alternative.
	Correct bool `json:"correct"`
	// Reason says why (see the Reason constants).
	Reason Reason `json:"reason"`
	// Extracted is the extracted predicted answer ("" if none).
	Extracted string `json:"extracted"`
	// Matched is the gold alternative that matched (empty unless Correct).
	Matched string `json:"matched,omitempty"`
}

// Grade extracts the final answer from a raw completion (see Extract) and
// compares it with the gold alternatives (see Verify); any match counts.
func Grade(response string, gold []string, opts Options) Verdict {
	ans, why := extract(response, opts.CutByLength)
	if why != "" {
		return Verdict{Reason: why}
	}
	v := Verify(gold, ans, opts)
	v.Extracted = ans
	return v
}

// Verify compares an already-extracted predicted answer with the gold
// alternatives; any match counts. No thinking is stripped, but a \boxed{}
// wrapper or $…$ is still unwrapped on both sides. Gold is passed as gold: the
// comparison is asymmetric where noted in relation.go.
func Verify(gold []string, pred string, opts Options) Verdict {
	opts = opts.withDefaults()
	v := Verdict{Extracted: pred}
	w := newWork(opts.WorkBudget)
	p := prepare(pred, w)
	best := EmptyGold
	for _, g := range gold {
		if w.exhausted() {
			best = Timeout
			break
		}
		gp := prepare(g, w)
		if gp.empty() {
			continue
		}
		if p.empty() {
			best = NoAnswer // an empty prediction answers nothing
			break
		}
		why := compare(gp, p, opts, w)
		if why.equal() {
			v.Correct, v.Reason, v.Matched = true, why, g
			return v
		}
		best = worse(best, why)
	}
	if w.exhausted() && best != Timeout {
		best = Timeout
	}
	v.Reason = best
	return v
}

// withDefaults fills in zero fields.
func (o Options) withDefaults() Options {
	if o.RelTol <= 0 {
		o.RelTol = DefaultRelTol
	}
	if o.AbsTol < 0 {
		o.AbsTol = 0
	}
	if o.WorkBudget <= 0 {
		o.WorkBudget = DefaultWorkBudget
	}
	return o
}

// equal reports whether r is one of the equal_* reasons.
func (r Reason) equal() bool {
	switch r {
	case EqualString, EqualNumeric, EqualSymbolic, EqualStructural:
		return true
	}
	return false
}

// worse merges the failure reasons of several gold alternatives, keeping the
// most informative one: timeout > not_equal > parse_error > no_answer >
// empty_gold.
func worse(a, b Reason) Reason {
	rank := func(r Reason) int {
		switch r {
		case Timeout:
			return 5
		case NotEqual:
			return 4
		case ParseError:
			return 3
		case NoAnswer:
			return 2
		}
		return 1
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// work is a per-call budget of abstract steps. Every stage spends from it;
// once it is overdrawn every stage gives up and the verdict is timeout.
type work struct{ left int }

func newWork(budget int) *work { return &work{left: budget} }

// spend takes n steps from the budget and reports whether any are left.
func (w *work) spend(n int) bool {
	w.left -= n
	return w.left >= 0
}

// exhausted reports whether the budget is overdrawn.
func (w *work) exhausted() bool { return w.left < 0 }
