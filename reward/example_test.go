package reward_test

import (
	"fmt"

	"github.com/terse-dev/terse/reward"
)

func ExampleTruncation() {
	s, err := reward.Parse("truncation:target=4096")
	if err != nil {
		panic(err)
	}
	g := reward.Group{
		{Correct: true, Tokens: 1200},                  // short and correct
		{Correct: true, Tokens: 4096},                  // exactly L_T: still rewarded
		{Correct: true, Tokens: 5000},                  // correct but too long
		{Correct: false, Tokens: 800},                  // wrong
		{Correct: true, Tokens: 4096, Truncated: true}, // cut off at L_R: never correct
	}
	for i, o := range s.Rewards(g) {
		fmt.Println(i, o.Reward, o.Masked)
	}
	// Output:
	// 0 1 false
	// 1 1 false
	// 2 0 false
	// 3 0 false
	// 4 0 false
}

func ExampleMaskLongCorrect() {
	s := reward.MaskLongCorrect{TargetLen: 4096}
	g := reward.Group{{Correct: true, Tokens: 5000}, {Correct: false, Tokens: 5000}}
	fmt.Println(s.Rewards(g))
	// Output: [{0 true} {0 false}]
}

func ExampleParse() {
	s, _ := reward.Parse("laser-d:alpha=0.2")
	fmt.Println(s)
	g := reward.Group{{Correct: true, Tokens: 1000}, {Correct: false, Tokens: 5000}}
	fmt.Println(s.Rewards(g))
	_, err := reward.Parse("laser-d:beta=1")
	fmt.Println(err)
	// Output:
	// laser-d:target=4096,alpha=0.2
	// [{1.2 false} {0.2 false}]
	// reward: shape laser-d: unknown parameter "beta" (valid: target, alpha)
}

func ExampleKimi() {
	// Lengths 100, 200, 300 within the group: L̃ = 0, 0.5, 1.
	g := reward.Group{{Correct: true, Tokens: 100}, {Correct: false, Tokens: 200}, {Correct: true, Tokens: 300}}
	for _, o := range (reward.Kimi{Alpha: 0.4}).Rewards(g) {
		fmt.Printf("%.1f ", o.Reward)
	}
	fmt.Println()
	// Output: 1.2 0.0 0.8
}
