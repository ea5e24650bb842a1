// Command terse makes reasoning models think shorter while staying correct,
// and measures that honestly. It implements "The Art of Efficient Reasoning:
// Data, Reward, and Optimization" (arXiv 2602.20945).
//
// Every subcommand lives in its own file as a newXxxCmd constructor; main
// lists them all in one slice. Usage errors exit 2, failures exit 1.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// usageError marks an error caused by bad flags or arguments (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usage error (exit code 2) with a formatted message.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "terse",
		Short: "Efficient reasoning: train reasoning models to think shorter while staying correct",
		Long: `terse implements "The Art of Efficient Reasoning: Data, Reward, and Optimization"
(arXiv 2602.20945): answer grading, fine-grained evaluation across token budgets,
length-aware reward shapes, prompt-difficulty selection, a small Qwen3 engine and a
GRPO trainer that reproduce the paper's findings on a CPU.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{err}
	})
	cmds := []*cobra.Command{
		newGradeCmd(),
		newExportCmd(),
		newTrainCmd(), newDemoCmd(),
		newDynamicsCmd(),
		newEvalCmd(), newMetricsCmd(), newReportCmd(),
		newRewardCmd(),
		newProfileCmd(), newSelectCmd(),
		newServeCmd(),
		newLabCmd(),
	}
	root.AddCommand(cmds...)
	return root
}

func main() {
	root := newRootCmd()
	if err := root.Execute(); err != nil {
		fmt.Fprintf(os.Stderr, "terse: %v\n", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
