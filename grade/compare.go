package grade

import (
	"math"
	"math/cmplx"
	"strings"
)

// Comparison decides whether a predicted answer equals a gold answer, the
// cheapest test first:
//
//  1. string: the normalised texts are equal (spaces ignored; letter case
//     ignored for word answers, which are compared as text only);
//  2. numeric: both sides evaluate to numbers; exact rationals (math/big)
//     must be equal exactly unless a decimal literal is involved, in which
//     case |g−p| ≤ RelTol·max(|g|,|p|) (or ≤ AbsTol) decides; irrational
//     values written without decimals (288\pi) agree to 1e-9 (see
//     tolerance);
//  3. symbolic: with free symbols, both sides are evaluated in complex
//     arithmetic at several deterministic pseudo-random points and must agree
//     at every point within the tolerance;
//  4. structural: tuples (ordered), bare lists and sets (unordered),
//     intervals (endpoints and brackets), unions, matrices (element-wise),
//     equations (lhs−rhs equal up to a nonzero factor), inequalities (a
//     flipped relation is the same; factors must be positive).
//
// Assignments are unwrapped: "x = 5" compares as 5, and in a chain
// "x = 2+3 = 5" the last side counts; "n = 3k" is 3k, never 3.
//
// The comparison is deliberately asymmetric: gold is clean. A gold
// inequality accepts a predicted interval ("0<x<1" = "(0,1)"), but a gold
// interval does not accept a predicted inequality.

// prepared is one side of a comparison: the answer normalised and parsed.
type prepared struct {
	raw     string
	norm    string // normalised text
	compact string // norm without spaces
	text    bool   // a word answer ("Evelyn", "even"): compared as text only
	tree    *node  // nil when the answer does not parse
}

// prepare normalises and parses s within the work budget.
func prepare(s string, w *work) *prepared {
	w.spend(len(s)/8 + 1)
	p := &prepared{raw: s}
	if len(s) > maxAnswerLen {
		s = s[:maxAnswerLen]
	}
	p.norm = normalize(s)
	p.compact = strings.ReplaceAll(p.norm, " ", "")
	p.text = isText(p.norm)
	if p.text || p.compact == "" {
		return p
	}
	if t, err := parse(p.norm, w); err == nil {
		p.tree = expandPM(t)
	}
	return p
}

func (p *prepared) empty() bool { return p.compact == "" }

// isText reports whether s is a word answer: letters and spaces only, with a
// run of three or more letters that is not a function name ("Evelyn",
// "even", "Navin"); such answers are never multiplied out as symbols.
func isText(s string) bool {
	run, long := 0, false
	for i := 0; i <= len(s); i++ {
		if i < len(s) && isLetter(s[i]) {
			run++
			continue
		}
		if run >= 3 && !funcNames[strings.ToLower(s[i-run:i])] && s[i-run:i] != "and" {
			long = true
		}
		run = 0
		if i < len(s) && !strings.ContainsRune(" ()", rune(s[i])) {
			return false
		}
	}
	return long
}

// compare compares a prepared gold answer with a prepared prediction.
func compare(gold, pred *prepared, opts Options, w *work) Reason {
	if gold.compact == pred.compact {
		return EqualString
	}
	if gold.text || pred.text {
		if strings.EqualFold(strings.Trim(gold.compact, "()"), strings.Trim(pred.compact, "()")) {
			return EqualString
		}
		return NotEqual
	}
	if pred.tree == nil {
		if w.exhausted() {
			return Timeout
		}
		return ParseError
	}
	if gold.tree == nil {
		return NotEqual
	}
	c := &comparer{opts: opts, w: w}
	g, p := gold.tree, pred.tree
	// matrix arithmetic ("A + B", "2A") folds into one matrix
	if containsMatrix(g) {
		if m := c.matrixValue(g); m != nil {
			g = m
		}
	}
	if containsMatrix(p) {
		if m := c.matrixValue(p); m != nil {
			p = m
		}
	}
	r := c.equal(g, p)
	if !r.equal() && pred.tree.k == nNum && pred.tree.dec && decimalComma(gold.compact) {
		// a gold "0,111" written with a decimal comma, against a decimal
		if t, err := parse(strings.Replace(gold.compact, ",", ".", 1), w); err == nil {
			r = c.equal(t, p)
		}
	}
	if !r.equal() && gold.tree.k == nNum && decimalComma(pred.compact) {
		// "1000,99" read with a decimal comma, only against a single number
		if t, err := parse(strings.Replace(pred.compact, ",", ".", 1), w); err == nil {
			r = c.equal(g, t)
		}
	}
	if w.exhausted() && !r.equal() {
		return Timeout
	}
	return r
}

// decimalComma reports whether s is digits, a comma and digits ("1000,99").
func decimalComma(s string) bool {
	s = strings.TrimPrefix(s, "-")
	i := strings.IndexByte(s, ',')
	return i > 0 && allDigits(s[:i]) && allDigits(s[i+1:])
}

// comparer holds the state of one comparison.
type comparer struct {
	opts Options
	w    *work
}

// points is how many random points a symbolic comparison evaluates. Free
// symbols are positive there (most answers assume positive quantities, so
// \sqrt{x}\sqrt{y} = \sqrt{xy}); when |x|, floor, ceil, sgn, max or min
// appear, extraPoints more points with negative values are checked too, so
// |x| ≠ x.
const (
	points      = 4
	extraPoints = 2
)

// equal compares two trees and returns an equal_* reason or not_equal.
func (c *comparer) equal(g, p *node) Reason {
	if !c.w.spend(1) {
		return Timeout
	}
	// relations and assignments
	if g.k == nRel || p.k == nRel {
		return c.relation(g, p)
	}
	// structures
	if isStructure(g) || isStructure(p) || p.k == nUnion {
		if c.structure(g, p) {
			return EqualStructural
		}
		return NotEqual
	}
	return c.scalar(g, p)
}

func isStructure(n *node) bool {
	switch n.k {
	case nTuple, nList, nSet, nInterval, nUnion, nMatrix, nRatio, nPM:
		return true
	}
	return false
}

// same is equal as a bool.
func (c *comparer) same(g, p *node) bool { return c.equal(g, p).equal() }

// scalar compares two expressions: numerically when neither has free
// symbols, else at random points.
func (c *comparer) scalar(g, p *node) Reason {
	syms := map[string]bool{}
	// the visits of symbols, hasDecimal, hasInfinity and nonAnalytic
	c.w.spend(4 * (symbols(g, syms) + symbols(p, syms)))
	ev := evaluator{w: c.w, exact: len(syms) == 0}
	if len(syms) == 0 {
		a, ok1 := ev.eval(g)
		b, ok2 := ev.eval(p)
		if !ok1 || !ok2 {
			return NotEqual
		}
		if a.exact != nil && b.exact != nil {
			if a.exact.Cmp(b.exact) == 0 {
				return EqualNumeric
			}
			// integers and fractions compare exactly (5866608 ≠ 5866609),
			// unless the caller asked for a coarser tolerance
			coarse := c.opts.RelTol > DefaultRelTol || c.opts.AbsTol > 0
			if !hasDecimal(g) && !hasDecimal(p) && !coarse {
				return NotEqual
			}
		}
		tol := c.tolerance(g, p)
		if overflowed(a.z(), g) || overflowed(b.z(), p) {
			return NotEqual // too large to compare: 100000! is not 100000!+1
		}
		if c.close(a.z(), b.z(), tol) {
			return EqualNumeric
		}
		return NotEqual
	}
	tol := c.tolerance(g, p)
	n := points
	if nonAnalytic(g) || nonAnalytic(p) {
		n += extraPoints // |x| = x for x > 0 only: also try negative values
	}
	valid := 0
	for pt := range n {
		ev.point = pt
		a, ok1 := ev.eval(g)
		b, ok2 := ev.eval(p)
		if !ok1 && !ok2 && !c.w.exhausted() {
			continue // undefined on both sides here (floor of a complex value)
		}
		if !ok1 || !ok2 {
			return NotEqual
		}
		if overflowed(a.z(), g) || overflowed(b.z(), p) {
			continue
		}
		fa, fb := finite(a.z()), finite(b.z())
		if !fa && !fb {
			continue // both blow up here (a pole): try the other points
		}
		if fa != fb || !c.close(a.z(), b.z(), tol) {
			return NotEqual
		}
		valid++
	}
	if valid >= 2 {
		return EqualSymbolic
	}
	return NotEqual
}

// exactFormTol is the relative tolerance between two answers written
// without decimals ("288\pi", "t^2-121"): float64 evaluation error only.
const exactFormTol = 1e-9

// tolerance returns the relative tolerance for comparing g with p:
// Options.RelTol once a decimal literal is involved (someone rounded) or
// when the caller asked for a coarser one than the default; otherwise
// exactFormTol, so 288\pi + 10^{-4} ≠ 288\pi.
func (c *comparer) tolerance(g, p *node) float64 {
	if hasDecimal(g) || hasDecimal(p) || c.opts.RelTol > DefaultRelTol {
		return c.opts.RelTol
	}
	return min(c.opts.RelTol, exactFormTol)
}

// close reports whether a and b agree within the relative tolerance tol (or
// Options.AbsTol). Infinities agree when they are the same real infinity; an
// exact zero accepts rounding noise (below 1e-10).
func (c *comparer) close(a, b complex128, tol float64) bool {
	if cmplx.IsNaN(a) || cmplx.IsNaN(b) {
		return false
	}
	if cmplx.IsInf(a) || cmplx.IsInf(b) {
		return imag(a) == 0 && imag(b) == 0 && real(a) == real(b)
	}
	d := cmplx.Abs(a - b)
	if d <= c.opts.AbsTol {
		return true
	}
	m := math.Max(cmplx.Abs(a), cmplx.Abs(b))
	if d <= tol*m {
		return true
	}
	return (a == 0 || b == 0) && d <= 1e-10
}

// overflowed reports whether z is infinite although the expression n has
// no ∞ in it: the value overflowed float64 and cannot be compared.
func overflowed(z complex128, n *node) bool {
	return cmplx.IsInf(z) && !hasInfinity(n)
}

func hasInfinity(n *node) bool {
	if n == nil {
		return false
	}
	if n.k == nConst && n.name == "inf" {
		return true
	}
	for _, a := range n.args {
		if hasInfinity(a) {
			return true
		}
	}
	return false
}

func finite(z complex128) bool { return !cmplx.IsInf(z) && !cmplx.IsNaN(z) }

// nonAnalytic reports whether n uses a function that treats negative
// arguments differently (abs, sgn, floor, ceil, max, min).
func nonAnalytic(n *node) bool {
	if n == nil {
		return false
	}
	if n.k == nFunc {
		switch n.name {
		case "abs", "sgn", "floor", "ceil", "max", "min":
			return true
		}
	}
	for _, a := range n.args {
		if nonAnalytic(a) {
			return true
		}
	}
	return false
}

// symbols adds the free symbols of n to set and returns the number of
// nodes visited.
func symbols(n *node, set map[string]bool) int {
	if n == nil {
		return 0
	}
	if n.k == nSym {
		set[n.name] = true
	}
	visited := 1
	for _, a := range n.args {
		visited += symbols(a, set)
	}
	return visited
}

func hasSymbols(n *node) bool {
	s := map[string]bool{}
	symbols(n, s)
	return len(s) > 0
}

// hasDecimal reports whether n holds a decimal literal ("0.15", "4.5e33").
func hasDecimal(n *node) bool {
	if n == nil {
		return false
	}
	if n.k == nNum && n.dec {
		return true
	}
	for _, a := range n.args {
		if hasDecimal(a) {
			return true
		}
	}
	return false
}
