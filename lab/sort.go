package lab

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// sortPrefix starts every Sort question.
const sortPrefix = "sort "

// generateSort draws level+4 digits from 1–9 (repeats allowed). Zero is
// left out so that the answer, the digits concatenated, is a plain integer.
func generateSort(level int, rng *rand.Rand) string {
	d := make([]string, level+4)
	for i := range d {
		d[i] = string(rune('1' + rng.IntN(9)))
	}
	return sortPrefix + strings.Join(d, " ")
}

// solveSort sorts by repeated selection of the minimum, rewriting the list
// without it and the sorted prefix at every step:
//
//	5 3 8 3
//	min=3 r3
//	5 8 3
//	min=3 r33
//	5 8
//	min=5 r335
//	8
//	min=8 r3358
//
// The answer is the sorted digits concatenated (3358).
func solveSort(question string) (solution, error) {
	body, ok := strings.CutPrefix(question, sortPrefix)
	if !ok {
		return solution{}, fmt.Errorf("%w: want prefix %q", ErrQuestion, sortPrefix)
	}
	list := strings.Split(body, " ")
	for i, d := range list {
		if len(d) != 1 || d[0] < '1' || d[0] > '9' {
			return solution{}, fmt.Errorf("%w: item %d is %q, want a digit 1-9", ErrQuestion, i+1, d)
		}
	}
	sol := solution{goal: "sort " + body}
	r := ""
	for len(list) > 0 {
		m := 0
		for i, d := range list {
			if d < list[m] {
				m = i
			}
		}
		st := step{state: strings.Join(list, " "), lhs: "min", rhs: list[m]}
		// A plausible slip: the next larger digit in the list.
		next := ""
		for _, d := range list {
			if d > list[m] && (next == "" || d < next) {
				next = d
			}
		}
		if next != "" {
			st.wrong = []string{next}
		}
		r += list[m]
		st.tail = " r" + r
		sol.steps = append(sol.steps, st)
		list = append(append([]string{}, list[:m]...), list[m+1:]...)
	}
	sol.answer = r
	return sol, nil
}
