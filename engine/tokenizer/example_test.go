package tokenizer_test

import (
	"fmt"

	"github.com/terse-dev/terse/engine/tokenizer"
)

func ExampleNewCharLevel() {
	tok, err := tokenizer.NewCharLevel(tokenizer.CharConfig{
		Specials: []string{tokenizer.EndOfText, tokenizer.ThinkStart, tokenizer.ThinkEnd},
		Alphabet: "0123456789+=",
		EOS:      tokenizer.EndOfText,
	})
	if err != nil {
		panic(err)
	}
	ids := tok.Encode("<think>1+2=3</think>3")
	fmt.Println(ids, tok.VocabSize(), tok.Special().ThinkEnd)
	fmt.Println(tok.Decode(ids))
	// Output:
	// [1 4 13 5 14 6 2 6] 15 2
	// <think>1+2=3</think>3
}
