package lab

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// addPrefix starts every Add question.
const addPrefix = "add "

// generateAdd draws two (level+1)-digit numbers.
func generateAdd(level int, rng *rand.Rand) string {
	digits := level + 1
	num := func() string {
		b := []byte{byte('1' + rng.IntN(9))}
		for len(b) < digits {
			b = append(b, byte('0'+rng.IntN(10)))
		}
		return string(b)
	}
	return addPrefix + num() + "+" + num()
}

// solveAdd adds column by column from the right, rewriting the remaining
// digits, the carry and the result so far at every step:
//
//	457+385 c0
//	7+5+0=12 r2
//	45+38 c1
//	5+8+1=14 r42
//	4+3 c1
//	4+3+1=8 r842
//
// Every fact a step needs is on the line above it.
func solveAdd(question string) (solution, error) {
	expr, ok := strings.CutPrefix(question, addPrefix)
	if !ok {
		return solution{}, fmt.Errorf("%w: want prefix %q", ErrQuestion, addPrefix)
	}
	a, b, ok := strings.Cut(expr, "+")
	if !ok || !allDigits(a) || !allDigits(b) {
		return solution{}, fmt.Errorf("%w: want two numbers joined by '+'", ErrQuestion)
	}
	if len(a) != len(b) {
		return solution{}, fmt.Errorf("%w: operands %q and %q differ in length", ErrQuestion, a, b)
	}
	sol := solution{goal: "add " + a + " and " + b}
	carry, r := 0, ""
	for len(a) > 0 {
		x, y := int(a[len(a)-1]-'0'), int(b[len(b)-1]-'0')
		s := x + y + carry
		st := step{
			state: a + "+" + b + " c" + strconv.Itoa(carry),
			lhs:   fmt.Sprintf("%d+%d+%d", x, y, carry),
			rhs:   strconv.Itoa(s),
			wrong: numericWrongs(s),
		}
		a, b = a[:len(a)-1], b[:len(b)-1]
		if len(a) == 0 {
			r = strconv.Itoa(s) + r // the last column writes its whole sum
		} else {
			r = strconv.Itoa(s%10) + r
		}
		carry = s / 10
		st.tail = " r" + r
		sol.steps = append(sol.steps, st)
	}
	sol.answer = r
	return sol, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
