package lab

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// arithMax bounds every intermediate result of an Arith problem. With 19,
// every step is a one-digit operation on a number below 20: a few hundred
// facts a tiny model can learn, while the answer is still not a single digit.
const arithMax = 19

// arithPrefix starts every Arith question.
const arithPrefix = "compute "

// arithNode is a node of an expression tree: a leaf (op == 0) holding its
// value, or a binary operation holding the value it evaluates to.
type arithNode struct {
	op          byte
	val         int
	left, right *arithNode
}

// randArithChain draws a left-deep expression of ops operations on digits
// 1–9: ((d op d) op d) op …, so the next operation is always the leftmost
// one and each rewrite of the expression is local. The running value stays
// in [0, arithMax]; '*' only multiplies two single digits.
func randArithChain(ops int, rng *rand.Rand) *arithNode {
	acc := &arithNode{val: 1 + rng.IntN(9)}
	for range ops {
		d := 1 + rng.IntN(9)
		var op byte
		switch r := rng.Float64(); {
		case r < 0.25 && acc.val <= 9 && acc.val*d <= arithMax:
			op = '*'
		case r < 0.6 && acc.val >= d:
			op = '-'
		case acc.val+d <= arithMax:
			op = '+'
		default:
			op = '-'
			d = min(d, acc.val)
		}
		v := acc.val + d
		switch op {
		case '-':
			v = acc.val - d
		case '*':
			v = acc.val * d
		}
		acc = &arithNode{op: op, val: v, left: acc, right: &arithNode{val: d}}
	}
	return acc
}

func additive(n *arithNode) bool { return n.op == '+' || n.op == '-' }

// render writes the expression with only the parentheses it needs.
func (n *arithNode) render(b *strings.Builder) {
	if n.op == 0 {
		b.WriteString(strconv.Itoa(n.val))
		return
	}
	paren := func(c *arithNode, need bool) {
		if need {
			b.WriteByte('(')
		}
		c.render(b)
		if need {
			b.WriteByte(')')
		}
	}
	paren(n.left, n.op == '*' && additive(n.left))
	b.WriteByte(n.op)
	paren(n.right, (n.op == '*' || n.op == '-') && additive(n.right))
}

// generateArith draws a chain of level+1 operations (see randArithChain);
// solving it is a guard that every intermediate stays within [0, arithMax].
func generateArith(level int, rng *rand.Rand) string {
	for {
		var b strings.Builder
		b.WriteString(arithPrefix)
		randArithChain(level+1, rng).render(&b)
		q := b.String()
		if _, err := solveArith(q); err == nil {
			return q
		}
	}
}

// tokenizeArith splits an expression into numbers, operators and parentheses.
func tokenizeArith(expr string) ([]string, error) {
	var toks []string
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c >= '0' && c <= '9':
			j := i
			for j < len(expr) && expr[j] >= '0' && expr[j] <= '9' {
				j++
			}
			toks = append(toks, expr[i:j])
			i = j
		case strings.IndexByte("+-*()", c) >= 0:
			toks = append(toks, string(c))
			i++
		default:
			return nil, fmt.Errorf("%w: unexpected %q at offset %d", ErrQuestion, c, i)
		}
	}
	return toks, nil
}

func isNum(t string) bool { return t != "" && t[0] >= '0' && t[0] <= '9' }

// nextArithOp picks the operation to evaluate next: inside the first
// innermost parenthesised group (else the whole expression), the leftmost
// '*' if any, else the leftmost operator. It returns the operator's index.
func nextArithOp(toks []string) (int, error) {
	lo, hi := 0, len(toks)
	for i, t := range toks {
		if t == ")" {
			hi = i
			for j := i - 1; j >= 0; j-- {
				if toks[j] == "(" {
					lo = j + 1
					break
				}
			}
			break
		}
	}
	first := -1
	for i := lo; i < hi; i++ {
		switch toks[i] {
		case "*":
			return checkOperands(toks, i)
		case "+", "-":
			if first < 0 {
				first = i
			}
		}
	}
	if first < 0 {
		return 0, fmt.Errorf("%w: no operator in %q", ErrQuestion, strings.Join(toks, ""))
	}
	return checkOperands(toks, first)
}

func checkOperands(toks []string, i int) (int, error) {
	if i == 0 || i+1 >= len(toks) || !isNum(toks[i-1]) || !isNum(toks[i+1]) {
		return 0, fmt.Errorf("%w: operator %q lacks numeric operands in %q", ErrQuestion, toks[i], strings.Join(toks, ""))
	}
	return i, nil
}

// solveArith evaluates the expression one operation at a time, rewriting it
// after each: "3+4*(7-5)" → "7-5=2" → "3+4*2" → "4*2=8" → "3+8" → "3+8=11".
func solveArith(question string) (solution, error) {
	expr, ok := strings.CutPrefix(question, arithPrefix)
	if !ok {
		return solution{}, fmt.Errorf("%w: want prefix %q", ErrQuestion, arithPrefix)
	}
	toks, err := tokenizeArith(expr)
	if err != nil {
		return solution{}, err
	}
	if len(toks) == 0 {
		return solution{}, fmt.Errorf("%w: empty expression", ErrQuestion)
	}
	sol := solution{goal: question}
	for guard := 0; len(toks) > 1; guard++ {
		if guard > len(expr) {
			return solution{}, fmt.Errorf("%w: cannot reduce %q", ErrQuestion, expr)
		}
		i, err := nextArithOp(toks)
		if err != nil {
			return solution{}, err
		}
		a, _ := strconv.Atoi(toks[i-1])
		b, _ := strconv.Atoi(toks[i+1])
		var v int
		switch toks[i] {
		case "+":
			v = a + b
		case "-":
			v = a - b
		case "*":
			v = a * b
		}
		if v < 0 || v > arithMax {
			return solution{}, fmt.Errorf("%w: intermediate %s%s%s=%d outside [0,%d]", ErrQuestion, toks[i-1], toks[i], toks[i+1], v, arithMax)
		}
		st := step{
			state: strings.Join(toks, ""),
			lhs:   toks[i-1] + toks[i] + toks[i+1],
			rhs:   strconv.Itoa(v),
			wrong: numericWrongs(v),
		}
		sol.steps = append(sol.steps, st)
		rest := append(append(append([]string{}, toks[:i-1]...), st.rhs), toks[i+2:]...)
		// A group reduced to one number loses its parentheses.
		j := i - 1
		if j > 0 && j+1 < len(rest) && rest[j-1] == "(" && rest[j+1] == ")" {
			rest = append(append(append([]string{}, rest[:j-1]...), rest[j]), rest[j+2:]...)
		}
		toks = rest
	}
	if !isNum(toks[0]) {
		return solution{}, fmt.Errorf("%w: expression %q does not reduce to a number", ErrQuestion, expr)
	}
	sol.final = toks[0]
	sol.answer = toks[0]
	return sol, nil
}

// numericWrongs lists plausible slips for a non-negative result v: off by one
// or by ten.
func numericWrongs(v int) []string {
	var w []string
	for _, d := range []int{1, -1, 10, -10} {
		if u := v + d; u >= 0 {
			w = append(w, strconv.Itoa(u))
		}
	}
	return w
}
