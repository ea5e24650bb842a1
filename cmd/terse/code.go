package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/terse-dev/terse/bench"
	"github.com/terse-dev/terse/codegrade"
	"github.com/terse-dev/terse/data"
	"github.com/terse-dev/terse/eval"
	"github.com/terse-dev/terse/grade"
)

// codeOptions holds the code sandbox's flags, shared by the commands that
// grade code problems (eval, metrics --regrade, profile, reward serve).
type codeOptions struct {
	Python         string        // --python
	Unsafe         bool          // --unsafe-no-sandbox
	Parallel       int           // --code-parallel
	ProcessPerCase bool          // --process-per-case
	Timeout        time.Duration // --code-timeout
}

// addCodeFlags registers the code sandbox's flags.
func addCodeFlags(f *pflag.FlagSet, o *codeOptions) {
	f.StringVar(&o.Python, "python", "", "code problems: the Python 3 interpreter (default: python3 on PATH, else /usr/bin/python3, /usr/local/bin/python3; the first that runs in the sandbox)")
	f.BoolVar(&o.Unsafe, "unsafe-no-sandbox", false, "code problems: where the kernel refuses the sandbox's namespaces, run programs anyway with rlimits and a temp directory only (network and file system open; never for untrusted models)")
	f.IntVar(&o.Parallel, "code-parallel", 0, "code problems: sandboxes running at once (0 = one per core)")
	f.BoolVar(&o.ProcessPerCase, "process-per-case", false, "code problems: run each stdin test case in a process of its own (slower; by default one sandboxed interpreter runs a program's cases one after another)")
	f.DurationVar(&o.Timeout, "code-timeout", 10*time.Second, "code problems: wall-clock limit of one test case where the benchmark sets none (LiveCodeBench sets 6s)")
}

// newGrader builds the code grader; it fails (codegrade.ErrIsolation) where
// the kernel refuses the sandbox and --unsafe-no-sandbox is not given.
func (o codeOptions) newGrader(ctx context.Context) (*codegrade.Grader, error) {
	return codegrade.New(ctx, codegrade.Options{Python: o.Python, Unsafe: o.Unsafe, Parallel: o.Parallel,
		ProcessPerCase: o.ProcessPerCase, Limits: codegrade.Limits{Wall: o.Timeout}})
}

// lazyGrader grades math problems at once and sets the sandbox up at the
// first code problem, so that a math-only run never needs it. If the
// sandbox cannot be set up, warnf says why once and code problems are
// graded sandbox_refused. suites supplies tests the rollouts did not keep.
func lazyGrader(math grade.Options, o codeOptions, suites map[[2]string]*bench.CodeTests, warnf func(string, ...any)) eval.Grader {
	var once sync.Once
	var code *codegrade.Grader // written once inside once.Do, read after it
	return func(response string, p bench.Problem) eval.Verdict {
		if p.Tests == nil {
			return data.Graders{Math: math}.Grade(response, p)
		}
		once.Do(func() {
			cg, err := o.newGrader(context.Background())
			if err != nil {
				warnf("code problems are graded sandbox_refused: %v", err)
				return
			}
			code = cg
		})
		return data.Graders{Math: math, Code: code, Suites: suites}.Grade(response, p)
	}
}

// codeTemplate sets the prompt template of a run over code problems. A code
// set's question already says how to answer (HumanEval's and LiveCodeBench's
// prompts ask for a fenced Python block), so without --template the
// template is "{question}"; math and code problems in one run need an
// explicit --template, since their default prompts differ.
func codeTemplate(ps []bench.Problem, templateSet bool, s *eval.Sampling) error {
	code := 0
	for _, p := range ps {
		if p.Tests != nil {
			code++
		}
	}
	switch {
	case code == 0 || templateSet:
		return nil
	case code < len(ps):
		return fmt.Errorf("%d code and %d math problems need different prompts: run them separately or give --template", code, len(ps)-code)
	}
	s.PromptTemplate = "{question}"
	return nil
}
