package grade

// Structural comparison: tuples and ratios are ordered, bare lists and sets
// unordered (a multiset matching), intervals compare endpoints and
// brackets, unions compare their parts unordered, and matrices compare
// shape and cells. A 2-tuple "(a, b)" equals the open interval (a, b). A ±
// in an answer expands to the set of its variants first.

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
	// a set of one element is that element: \{5\} = 5
	if g.k == nSet && len(g.args) == 1 && !isStructure(p) {
		return c.same(g.args[0], p)
	}
	if p.k == nSet && len(p.args) == 1 && !isStructure(g) {
		return c.same(g, p.args[0])
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

// variants returns the ± expansions of n (at most maxPM), computed bottom
// up in one pass; a subtree without ± is its own single variant.
func variants(n *node) []*node {
	if n == nil {
		return []*node{nil}
	}
	if n.k == nPM {
		bs := variants(n.args[1])
		as := variants(n.args[0])
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
	var kids [][]*node // nil while no child has ± in it
	for i, a := range n.args {
		vs := variants(a)
		if kids == nil && (len(vs) != 1 || vs[0] != a) {
			kids = make([][]*node, len(n.args))
			for j := range i {
				kids[j] = []*node{n.args[j]}
			}
		}
		if kids != nil {
			kids[i] = vs
		}
	}
	if kids == nil {
		return []*node{n}
	}
	prefixes := [][]*node{nil}
	for _, vs := range kids {
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
