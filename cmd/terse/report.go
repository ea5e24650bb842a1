package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/terse-dev/terse/eval/report"
)

// reportOptions holds the flags of `terse report`.
type reportOptions struct {
	Names  []string // --name
	Budget int      // --budget
	HTML   string   // --html
	MD     string   // --md
	JSON   bool     // --json
}

func newReportCmd() *cobra.Command {
	var o reportOptions
	cmd := &cobra.Command{
		Use:   "report RUN... [flags]",
		Short: "Put several evaluation runs side by side in the paper's table format",
		Long: `report reads the results.json of each RUN (a run directory written by
terse eval or terse metrics --out, or a results.json file) and puts the runs
side by side: per benchmark Mean@k, Pass@k, mean length and the relative
length change against the first run at the main budget (the largest budget
all runs share, or --budget), then Mean@k, truncation rate and length at every
budget. It prints Markdown; --html writes a self-contained page with the
budget curves of all runs.`,
		Example: `  terse report runs/base runs/trained
  terse report runs/base runs/trained --name vanilla --name truncation --html compare.html
  terse report runs/base/results.json runs/trained/results.json --budget 8192`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReport(cmd, args, o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.Names, "name", nil, "name of each run in order (repeatable; default: the directory name)")
	f.IntVar(&o.Budget, "budget", 0, "budget of the main table (0 = the largest budget all runs share)")
	f.StringVar(&o.HTML, "html", "", "also write a self-contained HTML comparison to this file")
	f.StringVar(&o.MD, "md", "", "write the Markdown to this file instead of stdout")
	f.BoolVar(&o.JSON, "json", false, "print the runs' results as one JSON array of {name, results} instead of Markdown")
	return cmd
}

func runReport(cmd *cobra.Command, args []string, o reportOptions) error {
	if len(o.Names) > 0 && len(o.Names) != len(args) {
		return usagef("report: %d --name for %d runs; give one per run or none", len(o.Names), len(args))
	}
	if o.Budget < 0 {
		return usagef("report: --budget must not be negative")
	}
	var runs []report.Run
	for i, a := range args {
		res, err := report.Load(a)
		if err != nil {
			return err
		}
		name := filepath.Base(filepath.Clean(a))
		if name == report.ResultsFile {
			name = filepath.Base(filepath.Dir(filepath.Clean(a)))
		}
		if len(o.Names) > 0 {
			name = o.Names[i]
		}
		runs = append(runs, report.Run{Name: name, Results: res})
	}
	copts := report.CompareOptions{Budget: o.Budget}
	if o.HTML != "" {
		if err := os.WriteFile(o.HTML, []byte(report.CompareHTML(runs, copts)), 0o644); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	if o.JSON {
		type named struct {
			Name    string `json:"name"`
			Results any    `json:"results"`
		}
		var out []named
		for _, r := range runs {
			out = append(out, named{r.Name, r.Results})
		}
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	md := report.CompareMarkdown(runs, copts)
	if o.MD != "" {
		if err := os.WriteFile(o.MD, []byte(md), 0o644); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		return nil
	}
	_, err := fmt.Fprint(cmd.OutOrStdout(), md)
	return err
}
