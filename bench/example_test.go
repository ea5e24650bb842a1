package bench_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/terse-dev/terse/bench"
)

func ExampleLoad() {
	ps, err := bench.Load("aime25")
	if err != nil {
		panic(err)
	}
	fmt.Println(len(ps), ps[0].ID, ps[0].Gold)
	// Output: 30 aime25-000 [70]
}

func ExampleLoadFile() {
	dir, err := os.MkdirTemp("", "bench")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "mine.jsonl")
	body := `{"question": "What is 6*7?", "final": [42, "42.0"], "difficulty": "Level 1"}` + "\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		panic(err)
	}
	ps, err := bench.LoadFile(path, bench.FieldMap{Problem: "question", Answer: "final", Level: "difficulty"})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s %q level %d\n", ps[0].ID, ps[0].Gold, ps[0].Level)
	// Output: mine-000 ["42" "42.0"] level 1
}
