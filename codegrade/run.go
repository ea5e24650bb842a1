package codegrade

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"

	"github.com/terse-dev/terse/bench"
)

// Running a suite:
//
//   - stdin style: one sandboxed interpreter runs the program once per case
//     (fresh globals, the case's Input as its standard input, its standard
//     output captured), or one process per case with Options.ProcessPerCase;
//     the output is compared in Go (compare.go).
//   - function style: one sandboxed process runs every case in turn
//     (sandbox.py run_function_cases): an assertion case passes when its
//     snippet raises nothing; a call case sends back its JSON return value,
//     compared in Go. Each case has its own alarm; a case that never
//     reports takes the process's fate (timeout, memory, …).
//
// Options.RunAll off stops at the first failing case; the rest are NotRun.

// recursionLimit is set before the program runs: LiveCodeBench's harness
// sets 50000 (testing_util.py), and contest solutions rely on deep recursion.
const recursionLimit = 50000

// runSuite runs program against every case of t and returns one result per
// case.
func (g *Grader) runSuite(ctx context.Context, program string, t *bench.CodeTests) []TestResult {
	src := assemble(program, t)
	if t.Style == bench.StyleStdin && g.opts.ProcessPerCase {
		return g.runStdin(ctx, src, t)
	}
	return g.runCases(ctx, src, t)
}

// assemble prepends the suite's Setup, and its Stub when the program does
// not define the entry point itself (a completion that continues the stub).
func assemble(program string, t *bench.CodeTests) string {
	var b strings.Builder
	if t.Setup != "" {
		b.WriteString(t.Setup)
		b.WriteString("\n")
	}
	if t.Stub != "" && t.EntryPoint != "" && !definesName(program, t.EntryPoint) {
		b.WriteString(t.Stub)
	}
	b.WriteString(program)
	if !strings.HasSuffix(program, "\n") {
		b.WriteString("\n")
	}
	return b.String()
}

// definesName reports a top-level def or class of name in src.
func definesName(src, name string) bool {
	re := regexp.MustCompile(`(?m)^(?:async\s+)?(?:def|class)\s+` + regexp.QuoteMeta(name) + `\b`)
	return re.MatchString(src)
}

// acquire takes a sandbox slot; false when ctx ended first.
func (g *Grader) acquire(ctx context.Context) bool {
	select {
	case g.sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (g *Grader) release() { <-g.sem }

// runStdin runs one process per case (Options.ProcessPerCase).
func (g *Grader) runStdin(ctx context.Context, src string, t *bench.CodeTests) []TestResult {
	out := make([]TestResult, len(t.Cases))
	wall := g.caseWall(t)
	failed := false
	for i, c := range t.Cases {
		out[i] = TestResult{Case: i, Private: c.Private}
		if failed && !g.opts.RunAll {
			out[i].Reason = NotRun
			continue
		}
		if !g.acquire(ctx) {
			out[i].Reason, out[i].Detail = SandboxRefused, "cancelled: "+context.Cause(ctx).Error()
			failed = true
			continue
		}
		p := g.sb.run(ctx, job{Mode: "stdin", Program: src, RecursionLimit: recursionLimit}, []byte(c.Input), wall)
		g.release()
		out[i].Millis = millis(p.wall)
		out[i].Reason, out[i].Detail = processReason(p)
		if out[i].Reason == Passed {
			if ok, d := compareStdout(t, string(p.stdout), c.Output); !ok {
				out[i].Reason, out[i].Detail = WrongAnswer, d
			}
		}
		failed = failed || out[i].Reason != Passed
	}
	return out
}

// processReason maps how a process ended to a case reason; Passed means
// "exited 0, compare the output".
func processReason(p process) (Reason, string) {
	switch p.outcome {
	case timedOut:
		return Timeout, fmt.Sprintf("killed after %s wall, %s CPU", p.wall.Round(time.Millisecond), p.cpu.Round(time.Millisecond))
	case memoryOut:
		return MemoryLimit, lastLine(p.stderr)
	case outputOut:
		return OutputLimit, fmt.Sprintf("more than %d bytes on standard output", len(p.stdout))
	case refused:
		return SandboxRefused, p.detail
	case cancelled:
		return SandboxRefused, "cancelled"
	case signalled:
		return RuntimeError, fmt.Sprintf("killed by signal %v %s", p.signal, lastLine(p.stderr))
	}
	if p.exitCode != 0 {
		if p.exitCode == exitSetup && !p.ready {
			return SandboxRefused, lastLine(p.stderr)
		}
		return RuntimeError, fmt.Sprintf("exit status %d: %s", p.exitCode, lastLine(p.stderr))
	}
	return Passed, ""
}

// caseResult is one line a process running several cases reports.
type caseResult struct {
	I      int     `json:"i"`
	Status string  `json:"status"` // ok, wrong, error, timeout, memory, output, load_error
	Value  *string `json:"value"`  // call cases: the JSON return value
	Out    *[]byte `json:"out"`    // stdin cases: standard output (base64 in JSON)
	Error  string  `json:"error"`
	Ms     float64 `json:"ms"`
}

// runCases runs every case in one process: function-style cases, or stdin
// cases one after another in one interpreter.
func (g *Grader) runCases(ctx context.Context, src string, t *bench.CodeTests) []TestResult {
	out := make([]TestResult, len(t.Cases))
	for i, c := range t.Cases {
		out[i] = TestResult{Case: i, Private: c.Private, Reason: NotRun}
	}
	wall := g.caseWall(t)
	j := job{
		Mode: "function", Program: src, RecursionLimit: recursionLimit, EntryPoint: t.EntryPoint,
		CaseSeconds: wall.Seconds(), StopOnFailure: !g.opts.RunAll, Nonce: nonce(), PrivateFD: privateFD(),
	}
	if t.Style == bench.StyleStdin {
		j.Mode, j.OutputCap = "stdin_cases", min(g.opts.Limits.Output, g.opts.Limits.FileSize)
	}
	for _, c := range t.Cases {
		if j.Mode == "stdin_cases" {
			j.Cases = append(j.Cases, jobCase{}) // the input is streamed
			j.inputs = append(j.inputs, []byte(c.Input))
			continue
		}
		j.Cases = append(j.Cases, jobCase{Assert: c.Assert, Input: c.Input})
	}
	if !g.acquire(ctx) {
		out[0].Reason, out[0].Detail = SandboxRefused, "cancelled"
		return out
	}
	total := time.Duration(len(t.Cases))*wall + 2*time.Second // load and report time
	p := g.sb.run(ctx, j, nil, total)
	g.release()

	got := map[int]caseResult{}
	for _, line := range resultLines(p.results, j.Nonce) {
		var r caseResult
		if json.Unmarshal(line, &r) == nil && r.I >= 0 && r.I < len(t.Cases) {
			if _, dup := got[r.I]; !dup {
				got[r.I] = r
			}
		}
	}
	failed := false
	for i, c := range t.Cases {
		r, ok := got[i]
		switch {
		case failed && !g.opts.RunAll:
			continue // NotRun
		case !ok:
			// The case never reported: the process ended (or was killed)
			// during it.
			reason, detail := processReason(p)
			if reason == Passed {
				reason, detail = RuntimeError, "the program exited before the case finished "+lastLine(p.stderr)
			}
			out[i].Reason, out[i].Detail = reason, detail
			failed = true
			continue
		}
		out[i].Millis = r.Ms
		switch r.Status {
		case "ok":
			out[i].Reason = Passed
			if t.Style == bench.StyleStdin {
				var got []byte
				if r.Out != nil {
					got = *r.Out
				}
				if ok, d := compareStdout(t, string(got), c.Output); !ok {
					out[i].Reason, out[i].Detail = WrongAnswer, d
				}
			} else if c.Assert == "" {
				if r.Value == nil {
					out[i].Reason, out[i].Detail = WrongAnswer, "no return value"
				} else if ok, d := compareJSON(*r.Value, c.Output); !ok {
					out[i].Reason, out[i].Detail = WrongAnswer, d
				}
			}
		case "wrong":
			out[i].Reason, out[i].Detail = WrongAnswer, clipText(r.Error)
		case "timeout":
			out[i].Reason, out[i].Detail = Timeout, fmt.Sprintf("case alarm after %s", wall)
		case "memory":
			out[i].Reason, out[i].Detail = MemoryLimit, "MemoryError"
		case "output":
			out[i].Reason, out[i].Detail = OutputLimit, fmt.Sprintf("more than %d bytes on standard output", j.OutputCap)
		default: // error, load_error
			out[i].Reason, out[i].Detail = RuntimeError, clipText(r.Error)
		}
		failed = failed || out[i].Reason != Passed
	}
	return out
}

// nonce returns 32 random hex digits that tag the harness's result lines.
func nonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// privateFD picks the descriptor number the harness moves its result pipe
// to, so that a program writing to fd 4 reaches nothing.
func privateFD() int {
	n, err := rand.Int(rand.Reader, big.NewInt(800))
	if err != nil {
		return 517
	}
	return 100 + int(n.Int64())
}

// lastLine returns the last non-empty line of b, clipped.
func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return clipText(strings.TrimSpace(lines[len(lines)-1]))
}

func clipText(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

func millis(d time.Duration) float64 {
	return float64(d.Round(10*time.Microsecond)) / float64(time.Millisecond)
}
