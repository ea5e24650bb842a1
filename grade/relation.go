package grade

import "math"

// Relations: equations compare as lhs − rhs up to a nonzero factor,
// inequalities up to a positive factor with > flipped to <, chains part by
// part. Assignments ("x = 5", "f(x) = x+1", "x \in [0, 1]") are unwrapped to
// their value. A gold inequality in one variable also accepts the interval
// (or union) it describes; the reverse is not allowed, since gold is clean.

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
	tol := c.tolerance(g, p)
	var k complex128
	found, zeros := false, 0
	for pt := range points {
		ev.point = pt
		a, ok1 := ev.eval(g)
		b, ok2 := ev.eval(p)
		if !ok1 || !ok2 || !finite(a.z()) || !finite(b.z()) {
			return false
		}
		if b.z() == 0 || a.z() == 0 {
			if !c.close(a.z(), 0, tol) || !c.close(b.z(), 0, tol) {
				return false
			}
			zeros++
			continue
		}
		if !found {
			k, found = a.z()/b.z(), true
			if positive && (real(k) <= 0 || math.Abs(imag(k)) > 1e-9*math.Abs(real(k))) {
				return false
			}
			continue
		}
		if !c.close(a.z(), k*b.z(), tol) {
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
