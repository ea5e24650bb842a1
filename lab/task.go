package lab

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
)

// Task families. Each is a different kind of reasoning, so that a length
// habit learned on one can be tested on another (PAPER.md §5, finding 7).
const (
	// Arith is a multi-step arithmetic expression over digits 1–9 with
	// + - * and parentheses, evaluated one operation at a time, rewriting
	// the expression after each. Level L has L+1 operations.
	Arith = "arith"
	// Add is multi-digit addition of two numbers, done column by column with
	// explicit carries. Level L adds two (L+1)-digit numbers.
	Add = "add"
	// Sort sorts a list of digits 1–9 by repeated selection of the minimum.
	// Level L sorts L+4 digits.
	Sort = "sort"
)

// MinLevel and MaxLevel bound the difficulty knob. Level plays the role of
// MATH's level 1–5: each level adds one necessary step to every problem.
const (
	MinLevel = 1
	MaxLevel = 5
)

var (
	// ErrUnknownFamily is returned for a family name lab does not define.
	ErrUnknownFamily = errors.New("lab: unknown task family")
	// ErrLevel is returned for a level outside [MinLevel, MaxLevel].
	ErrLevel = errors.New("lab: level out of range")
	// ErrQuestion is returned when a question cannot be parsed back into steps.
	ErrQuestion = errors.New("lab: malformed question")
)

// Families returns the task family names in a fixed order.
func Families() []string { return []string{Arith, Add, Sort} }

// Task is one generated problem before it becomes a bench.Problem.
type Task struct {
	// Family is one of Families().
	Family string
	// Level is the difficulty, MinLevel..MaxLevel.
	Level int
	// Question is the canonical question text given to the model.
	Question string
	// Answer is the gold answer (a non-negative integer written in digits).
	Answer string
}

// step is one necessary step of a solution: the state before it, and the
// operation that transforms it. The op line is lhs + "=" + rhs + tail.
type step struct {
	state string   // current state, e.g. "3+4*2", "457+385 c0", "5 3 8 9"
	lhs   string   // what is computed, e.g. "4*2", "7+5+0", "min"
	rhs   string   // its result, e.g. "8", "12", "3"
	wrong []string // plausible wrong results (for teacher mistakes); may be empty
	tail  string   // what follows the result, e.g. " r24", " r13"
}

func (s step) op() string { return s.lhs + "=" + s.rhs + s.tail }

// solution is the necessary reasoning for a question: its steps, an optional
// final state line, the gold answer and a short phrase naming the goal (used
// when the teacher restates the problem).
type solution struct {
	steps  []step
	final  string
	answer string
	goal   string
}

// family generates questions of a level and solves them step by step.
type family struct {
	generate func(level int, rng *rand.Rand) string
	solve    func(question string) (solution, error)
}

func lookup(name string) (family, error) {
	switch name {
	case Arith:
		return family{generateArith, solveArith}, nil
	case Add:
		return family{generateAdd, solveAdd}, nil
	case Sort:
		return family{generateSort, solveSort}, nil
	}
	return family{}, fmt.Errorf("%w %q (want one of %s)", ErrUnknownFamily, name, strings.Join(Families(), ", "))
}

// Generate draws one task of the given family and level from rng.
func Generate(familyName string, level int, rng *rand.Rand) (Task, error) {
	f, err := lookup(familyName)
	if err != nil {
		return Task{}, err
	}
	if level < MinLevel || level > MaxLevel {
		return Task{}, fmt.Errorf("%w: %d (want %d..%d)", ErrLevel, level, MinLevel, MaxLevel)
	}
	q := f.generate(level, rng)
	sol, err := f.solve(q)
	if err != nil {
		return Task{}, fmt.Errorf("lab: generated %s question %q does not solve: %w", familyName, q, err)
	}
	return Task{Family: familyName, Level: level, Question: q, Answer: sol.answer}, nil
}

// Solve returns the gold answer of a lab question of the given family.
func Solve(familyName, question string) (string, error) {
	sol, err := solveQuestion(familyName, question)
	if err != nil {
		return "", err
	}
	return sol.answer, nil
}

func solveQuestion(familyName, question string) (solution, error) {
	f, err := lookup(familyName)
	if err != nil {
		return solution{}, err
	}
	sol, err := f.solve(question)
	if err != nil {
		return solution{}, fmt.Errorf("lab: %s question %q: %w", familyName, question, err)
	}
	return sol, nil
}

// newRNG returns a PCG generator whose stream depends on the seed and on the
// given labels, so that every (family, level, purpose) has its own stream.
func newRNG(seed uint64, labels ...string) *rand.Rand {
	h := fnv.New64a()
	for _, l := range labels {
		h.Write([]byte(l))
		h.Write([]byte{0})
	}
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}
