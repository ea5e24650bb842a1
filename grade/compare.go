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
//     case |g−p| ≤ RelTol·max(|g|,|p|) (or ≤ AbsTol) decides;
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

// structure compares collections.
func (c *comparer) structure(g, p *node) bool {
	// a 2-tuple is the open interval
	if g.k == nInterval && p.k == nTuple && len(p.args) == 2 {
		p = &node{k: nInterval, args: p.args, lopen: true, ropen: true}
	}
	if p.k == nInterval && g.k == nTuple && len(g.args) == 2 {
		g = &node{k: nInterval, args: g.args, lopen: true, ropen: true}
	}
	if u := inequalityUnion(g); u != nil {
		g = u
	}
	switch g.k {
	case nTuple, nRatio:
		if p.k == g.k || (p.k == nList && g.k == nTuple) || (p.k == nMatrix && (p.rows == 1 || p.cols == 1)) {
			return c.ordered(g.args, p.args)
		}
	case nList:
		switch p.k {
		case nList, nSet:
			return c.unordered(g.args, p.args)
		case nTuple:
			return c.ordered(g.args, p.args)
		}
	case nSet:
		if p.k == nSet || p.k == nList {
			return c.unordered(g.args, p.args)
		}
	case nInterval:
		return p.k == nInterval && g.lopen == p.lopen && g.ropen == p.ropen && c.ordered(g.args, p.args)
	case nUnion:
		if p.k == nUnion {
			return c.unordered(intervals(g.args), intervals(p.args))
		}
	case nMatrix:
		switch {
		case p.k == nMatrix:
			return g.rows == p.rows && g.cols == p.cols && c.ordered(g.args, p.args)
		case p.k == nTuple && (g.rows == 1 || g.cols == 1):
			return c.ordered(g.args, p.args)
		}
	}
	return false
}

// maxMatrixCells caps the size of a matrix built by matrix arithmetic.
const maxMatrixCells = 64

// matrixValue folds sums, differences, scalar multiples, scalar quotients
// and products of matrices into one matrix whose cells are expression trees.
// It returns n itself for a matrix and nil when n is no matrix expression.
func (c *comparer) matrixValue(n *node) *node {
	switch n.k {
	case nMatrix:
		return n
	case nNeg:
		if m := c.matrixValue(n.args[0]); m != nil {
			return mapCells(m, func(a *node) *node { return neg(a) })
		}
	case nAdd:
		acc := c.matrixValue(n.args[0])
		for _, a := range n.args[1:] {
			m := c.matrixValue(a)
			if acc == nil || m == nil || m.rows != acc.rows || m.cols != acc.cols {
				return nil
			}
			sum := &node{k: nMatrix, rows: m.rows, cols: m.cols, args: make([]*node, len(m.args))}
			for i := range m.args {
				sum.args[i] = &node{k: nAdd, args: []*node{acc.args[i], m.args[i]}}
			}
			acc = sum
		}
		return acc
	case nDiv:
		if m := c.matrixValue(n.args[0]); m != nil && !containsMatrix(n.args[1]) {
			return mapCells(m, func(a *node) *node { return &node{k: nDiv, args: []*node{a, n.args[1]}} })
		}
	case nMul:
		var acc *node // the product so far, a matrix or a scalar tree
		for _, a := range n.args {
			m := c.matrixValue(a)
			switch {
			case acc == nil:
				acc = a
				if m != nil {
					acc = m
				}
			case m == nil && acc.k == nMatrix:
				acc = mapCells(acc, func(x *node) *node { return mul(&node{k: nMul, args: []*node{x}}, a) })
			case m == nil:
				acc = mul(&node{k: nMul, args: []*node{acc}}, a)
			case acc.k != nMatrix:
				s := acc
				acc = mapCells(m, func(x *node) *node { return mul(&node{k: nMul, args: []*node{s}}, x) })
			default:
				if acc = c.matrixProduct(acc, m); acc == nil {
					return nil
				}
			}
		}
		if acc != nil && acc.k == nMatrix {
			return acc
		}
	}
	return nil
}

// matrixProduct multiplies two matrices of trees, or returns nil when their
// shapes do not fit or the result is too large.
func (c *comparer) matrixProduct(a, b *node) *node {
	if a.cols != b.rows || a.rows*b.cols > maxMatrixCells || !c.w.spend(a.rows*b.cols*a.cols) {
		return nil
	}
	out := &node{k: nMatrix, rows: a.rows, cols: b.cols}
	for i := range a.rows {
		for j := range b.cols {
			sum := &node{k: nAdd}
			for k := range a.cols {
				sum.args = append(sum.args, &node{k: nMul, args: []*node{a.args[i*a.cols+k], b.args[k*b.cols+j]}})
			}
			out.args = append(out.args, sum)
		}
	}
	return out
}

// mapCells applies f to every cell of the matrix m.
func mapCells(m *node, f func(*node) *node) *node {
	out := &node{k: nMatrix, rows: m.rows, cols: m.cols, args: make([]*node, len(m.args))}
	for i, a := range m.args {
		out.args[i] = f(a)
	}
	return out
}

func containsMatrix(n *node) bool {
	if n == nil {
		return false
	}
	if n.k == nMatrix {
		return true
	}
	for _, a := range n.args {
		if containsMatrix(a) {
			return true
		}
	}
	return false
}

// intervals turns the 2-tuples of a union into open intervals.
func intervals(parts []*node) []*node {
	out := make([]*node, len(parts))
	for i, a := range parts {
		if a.k == nTuple && len(a.args) == 2 {
			a = &node{k: nInterval, args: a.args, lopen: true, ropen: true}
		}
		out[i] = a
	}
	return out
}

// ordered compares two sequences element by element.
func (c *comparer) ordered(g, p []*node) bool {
	if len(g) != len(p) {
		return false
	}
	for i := range g {
		if !c.same(g[i], p[i]) {
			return false
		}
	}
	return true
}

// unordered compares two multisets: every gold element is matched to a
// distinct predicted element.
func (c *comparer) unordered(g, p []*node) bool {
	if len(g) != len(p) || len(g) > 64 {
		return false
	}
	used := make([]bool, len(p))
outer:
	for _, a := range g {
		for j, b := range p {
			if !used[j] && c.same(a, b) {
				used[j] = true
				continue outer
			}
		}
		return false
	}
	return true
}

// relation compares when either side is a relation. Assignments are
// unwrapped on either side; inequalities compare as relations, and a gold
// inequality in one variable also accepts the interval it describes.
func (c *comparer) relation(g, p *node) Reason {
	if g.k == nRel && p.k == nRel {
		if c.relations(g, p) {
			return EqualStructural
		}
		rg, rp := assigned(g), assigned(p)
		switch {
		case rg != nil && rp != nil:
			return c.equal(rg, rp)
		case rp != nil && rp.k != nRel:
			return c.equal(g, rp) // "-2 \le x \le 7" vs "x \in [-2, 7]"
		}
		return NotEqual
	}
	if g.k == nRel {
		if r := assigned(g); r != nil {
			return c.equal(r, p)
		}
		if iv := inequalityIntervals(g); iv != nil {
			if c.structure(iv, p) {
				return EqualStructural
			}
		}
		return NotEqual
	}
	if r := assigned(p); r != nil {
		return c.equal(g, r)
	}
	return NotEqual
}

// assigned returns the value of an assignment answer ("x = 5" → 5,
// "x = 2+3 = 5" → 5, "x \in [0,1]" → [0,1]), or nil.
func assigned(r *node) *node {
	if r.k != nRel {
		return nil
	}
	for _, op := range r.ops {
		if op != "=" && op != "in" && op != "~" {
			return nil
		}
	}
	// "x = 1/3 \approx 0.33": the value is the one before the first ≈
	members := r.args
	for i, op := range r.ops {
		if op == "~" {
			members = r.args[:max(i+1, 2)]
			break
		}
	}
	if !isAssignable(r.args[0]) && hasSymbols(r) && len(r.args) < 3 {
		return nil // "x+y = 5" is an equation, "2+3 = 5" is 5, "1 = a = 0" is 0
	}
	return members[len(members)-1]
}

// relPart is "lhs − rhs op 0" with op one of = < <= !=.
type relPart struct {
	diff *node
	op   string
}

// parts splits a relation chain into parts with > and >= flipped.
func parts(r *node) []relPart {
	out := make([]relPart, 0, len(r.ops))
	for i, op := range r.ops {
		l, rr := r.args[i], r.args[i+1]
		switch op {
		case ">":
			l, rr, op = rr, l, "<"
		case ">=":
			l, rr, op = rr, l, "<="
		case "in":
			return nil
		case "~":
			op = "="
		}
		out = append(out, relPart{add(&node{k: nAdd, args: []*node{l}}, neg(rr)), op})
	}
	return out
}

// relations compares two relations part by part: equations up to a nonzero
// factor, inequalities up to a positive one.
func (c *comparer) relations(g, p *node) bool {
	gp, pp := parts(g), parts(p)
	if gp == nil || pp == nil || len(gp) != len(pp) {
		return false
	}
	used := make([]bool, len(pp))
outer:
	for _, a := range gp {
		for j, b := range pp {
			if !used[j] && a.op == b.op && c.proportional(a.diff, b.diff, a.op != "=" && a.op != "!=") {
				used[j] = true
				continue outer
			}
		}
		return false
	}
	return true
}

// proportional reports whether g = k·p for a constant k ≠ 0 (k > 0 when
// positive is set), checked at the random points.
func (c *comparer) proportional(g, p *node, positive bool) bool {
	ev := evaluator{w: c.w}
	var k complex128
	found, zeros := false, 0
	for pt := range points {
		ev.point = pt
		a, ok1 := ev.eval(g)
		b, ok2 := ev.eval(p)
		if !ok1 || !ok2 || !finite(a.c) || !finite(b.c) {
			return false
		}
		if b.c == 0 || a.c == 0 {
			if !c.close(a.c, 0) || !c.close(b.c, 0) {
				return false
			}
			zeros++
			continue
		}
		if !found {
			k, found = a.c/b.c, true
			if positive && (real(k) <= 0 || math.Abs(imag(k)) > 1e-9*math.Abs(real(k))) {
				return false
			}
			continue
		}
		if !c.close(a.c, k*b.c) {
			return false
		}
	}
	return found || zeros == points
}

// inequalityIntervals turns a gold inequality in one variable into the
// interval it describes ("x > 2" → (2, ∞), "0 < x \le 1" → (0, 1]), or nil.
func inequalityIntervals(r *node) *node {
	if r.k != nRel || len(r.args) > 3 {
		return nil
	}
	vars := map[string]bool{}
	symbols(r, vars)
	if len(vars) != 1 {
		return nil
	}
	lo, hi := &node{k: nNeg, args: []*node{{k: nConst, name: "inf"}}}, &node{k: nConst, name: "inf"}
	lopen, ropen := true, true
	// orient each part as "variable side" vs "constant side"
	for i, op := range r.ops {
		l, rr := r.args[i], r.args[i+1]
		lv, rv := hasSymbols(l), hasSymbols(rr)
		if lv == rv || (lv && !isAssignable(l)) || (rv && !isAssignable(rr)) {
			return nil
		}
		bound := rr
		if rv { // "c op x": mirror to "x op' c"
			bound = l
			switch op {
			case "<":
				op = ">"
			case "<=":
				op = ">="
			case ">":
				op = "<"
			case ">=":
				op = "<="
			}
		}
		switch op {
		case "<":
			hi, ropen = bound, true
		case "<=":
			hi, ropen = bound, false
		case ">":
			lo, lopen = bound, true
		case ">=":
			lo, lopen = bound, false
		default:
			return nil
		}
	}
	return &node{k: nInterval, args: []*node{lo, hi}, lopen: lopen, ropen: ropen}
}

// inequalityUnion turns a gold list of inequalities in one variable
// ("x \le -1 \text{ or } x \ge 1") into the union of their intervals, or
// returns nil.
func inequalityUnion(g *node) *node {
	if g.k != nList {
		return nil
	}
	u := &node{k: nUnion}
	for _, a := range g.args {
		iv := inequalityIntervals(a)
		if iv == nil {
			return nil
		}
		u.args = append(u.args, iv)
	}
	return u
}

// scalar compares two expressions: numerically when neither has free
// symbols, else at random points.
func (c *comparer) scalar(g, p *node) Reason {
	syms := map[string]bool{}
	c.w.spend(symbols(g, syms) + symbols(p, syms))
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
			if !hasDecimal(g) && !hasDecimal(p) {
				return NotEqual
			}
		}
		if overflowed(a.c, g) || overflowed(b.c, p) {
			return NotEqual // too large to compare: 100000! is not 100000!+1
		}
		if c.close(a.c, b.c) {
			return EqualNumeric
		}
		return NotEqual
	}
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
		if overflowed(a.c, g) || overflowed(b.c, p) {
			continue
		}
		fa, fb := finite(a.c), finite(b.c)
		if !fa && !fb {
			continue // both blow up here (a pole): try the other points
		}
		if fa != fb || !c.close(a.c, b.c) {
			return NotEqual
		}
		valid++
	}
	if valid >= 2 {
		return EqualSymbolic
	}
	return NotEqual
}

// close reports whether a and b agree within the tolerance. Infinities agree
// when they are the same real infinity; an exact zero accepts rounding noise
// (below 1e-10).
func (c *comparer) close(a, b complex128) bool {
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
	if d <= c.opts.RelTol*m {
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

// maxPM caps the expansions of ± in one answer (2^4).
const maxPM = 16

// expandPM rewrites an answer containing ± as the set of its expansions:
// "1 \pm \sqrt{19}" → {1+√19, 1−√19}; "\pm 2021" → {2021, −2021}. Inside a
// set or list the expansions join the elements.
func expandPM(n *node) *node {
	if !containsPM(n) {
		return n
	}
	switch n.k {
	case nSet, nList:
		out := &node{k: nSet}
		if n.k == nList {
			out.k = nList
		}
		for _, a := range n.args {
			out.args = append(out.args, variants(a)...)
		}
		return out
	case nRel:
		// "x = \pm 3": each side becomes the set of its expansions
		out := *n
		out.args = make([]*node, len(n.args))
		for i, a := range n.args {
			out.args[i] = expandPM(a)
		}
		return &out
	}
	vs := variants(n)
	if len(vs) == 1 {
		return vs[0]
	}
	return &node{k: nSet, args: vs}
}

func containsPM(n *node) bool {
	if n == nil {
		return false
	}
	if n.k == nPM {
		return true
	}
	for _, a := range n.args {
		if containsPM(a) {
			return true
		}
	}
	return false
}

// variants returns the ± expansions of n (at most maxPM).
func variants(n *node) []*node {
	if n == nil || !containsPM(n) {
		return []*node{n}
	}
	if n.k == nPM {
		bs := variants(n.args[1])
		as := []*node{nil}
		if n.args[0] != nil {
			as = variants(n.args[0])
		}
		var out []*node
		for _, a := range as {
			for _, b := range bs {
				for _, t := range []*node{b, neg(b)} {
					if len(out) >= maxPM {
						return out
					}
					if a == nil {
						out = append(out, t)
					} else {
						out = append(out, &node{k: nAdd, args: []*node{a, t}})
					}
				}
			}
		}
		return out
	}
	prefixes := [][]*node{nil}
	for _, a := range n.args {
		vs := variants(a)
		var next [][]*node
		for _, prefix := range prefixes {
			for _, v := range vs {
				if len(next) < maxPM {
					next = append(next, append(append([]*node(nil), prefix...), v))
				}
			}
		}
		prefixes = next
	}
	out := make([]*node, len(prefixes))
	for i, args := range prefixes {
		cp := *n
		cp.args = args
		out[i] = &cp
	}
	return out
}
