package codegrade

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/terse-dev/terse/bench"
)

// Reason says why a test case or a problem got its verdict. Reasons are
// snake_case strings, stable across releases, like grade's.
type Reason string

// Reasons. Passed goes with Correct = true; all others with false.
const (
	// Passed: the case's output was right (every case, for a problem).
	Passed Reason = "passed"
	// WrongAnswer: the program ran to the end and its output or return
	// value was wrong, or an assertion failed.
	WrongAnswer Reason = "wrong_answer"
	// RuntimeError: the program raised, exited non-zero, or was killed by
	// a signal it caused (segfault, its own kill).
	RuntimeError Reason = "runtime_error"
	// Timeout: the wall-clock or CPU limit passed.
	Timeout Reason = "timeout"
	// MemoryLimit: the program ran out of its address-space limit.
	MemoryLimit Reason = "memory_limit"
	// OutputLimit: the program printed more than Limits.Output.
	OutputLimit Reason = "output_limit"
	// SandboxRefused: the sandbox could not be set up, so nothing ran.
	SandboxRefused Reason = "sandbox_refused"
	// NotRun: the case was not run because an earlier case failed
	// (Options.RunAll off, as LiveCodeBench does).
	NotRun Reason = "not_run"
	// NoCode: the completion holds no fenced Python block.
	NoCode Reason = "no_code"
	// UnterminatedThink: a <think> was opened and never closed.
	UnterminatedThink Reason = "unterminated_think"
	// NoTests: the problem has no test cases to run.
	NoTests Reason = "no_tests"
)

// Errors returned by New.
var (
	// ErrNoPython: no usable Python 3 interpreter was found.
	ErrNoPython = errors.New("codegrade: no usable python3")
	// ErrIsolation: the kernel refused the namespaces (or mounts) that
	// isolate a run; untrusted code is not run without them unless
	// Options.Unsafe is set.
	ErrIsolation = errors.New("codegrade: sandbox isolation unavailable")
)

// Options configures a Grader. Zero fields take their defaults.
type Options struct {
	// Python is the interpreter; "" tries python3 on PATH, then
	// /usr/bin/python3 and /usr/local/bin/python3, keeping the first that
	// runs inside the sandbox.
	Python string
	// Limits bound each run.
	Limits Limits
	// Parallel is the number of sandboxes running at once [GOMAXPROCS].
	Parallel int
	// RunAll runs every case even after one fails. Off, grading stops at
	// the first failing case (LiveCodeBench's rule) and later cases are
	// NotRun; the problem's verdict is the same either way.
	RunAll bool
	// ProcessPerCase runs each stdin case in a process of its own. Off
	// (the default), one sandboxed interpreter runs the program once per
	// case with fresh globals and the case's own standard input and output
	// (as LiveCodeBench's harness does), which saves a process start per
	// case; state the program leaves outside its globals (sys settings,
	// modules it patched, files in /tmp) carries over between cases.
	ProcessPerCase bool
	// AcceptUnfenced grades a completion without a fenced block as a whole
	// program (base models continuing a HumanEval prompt).
	AcceptUnfenced bool
	// Unsafe runs programs without namespaces when the kernel refuses them:
	// rlimits, a temp working directory and (as root) the nobody user only,
	// with the network and the file system open. Never the default.
	Unsafe bool
}

// Runtime names the interpreter that ran the programs.
type Runtime struct {
	// Implementation and Version as Python reports them ("CPython", "3.11.2").
	Implementation string `json:"implementation"`
	Version        string `json:"version"`
	// Path is the interpreter's executable.
	Path string `json:"path"`
	// Isolated reports namespaces and mounts in force (false only with Unsafe).
	Isolated bool `json:"isolated"`
	// Proc is "private" when the sandbox sees its own /proc only, "host"
	// when the kernel kept the host's (read-only) /proc visible.
	Proc string `json:"proc,omitempty"`
}

// String is the form recorded in rollouts: "CPython 3.11.2 /usr/bin/python3.11".
func (r Runtime) String() string {
	s := fmt.Sprintf("%s %s %s", r.Implementation, r.Version, r.Path)
	if !r.Isolated {
		s += " (unsafe: not isolated)"
	}
	return s
}

// TestResult is the verdict on one test case.
type TestResult struct {
	// Case is the index into CodeTests.Cases.
	Case int `json:"case"`
	// Reason is the case's verdict.
	Reason Reason `json:"reason"`
	// Private marks a hidden test case.
	Private bool `json:"private,omitempty"`
	// Millis is the case's wall-clock time (0 when not run).
	Millis float64 `json:"ms,omitempty"`
	// Detail says what went wrong (first differing line, last error line).
	Detail string `json:"detail,omitempty"`
}

// Verdict is the outcome of grading one completion on one problem.
type Verdict struct {
	// Correct is true when every test case passed.
	Correct bool `json:"correct"`
	// Reason is Passed, the first failing case's reason, or why nothing ran.
	Reason Reason `json:"reason"`
	// Extracted is the program that was run ("" if none).
	Extracted string `json:"extracted"`
	// Tests holds one result per case, in order.
	Tests []TestResult `json:"tests,omitempty"`
	// Runtime names the interpreter (Runtime.String).
	Runtime string `json:"runtime,omitempty"`
}

// Grader grades programs in the sandbox. It is safe for concurrent use;
// at most Options.Parallel sandboxes run at once.
type Grader struct {
	opts    Options
	sb      sandbox
	runtime Runtime
	sem     chan struct{}
}

// New finds the interpreter and checks, by running a probe program, that
// the sandbox works on this machine. It returns ErrIsolation (with the
// kernel's reason) when namespaces are refused and opts.Unsafe is off.
func New(ctx context.Context, opts Options) (*Grader, error) {
	if opts.Parallel <= 0 {
		opts.Parallel = runtime.GOMAXPROCS(0)
	}
	opts.Limits = opts.Limits.withDefaults()
	g := &Grader{opts: opts, sem: make(chan struct{}, opts.Parallel)}
	var tried []string
	for _, py := range pythonCandidates(opts.Python) {
		rt, err := probe(ctx, py, true, opts.Limits)
		if err == nil {
			g.sb, g.runtime = sandbox{python: py, isolate: true, limits: opts.Limits}, rt
			return g, nil
		}
		if errors.Is(err, ErrIsolation) {
			if !opts.Unsafe {
				return nil, err
			}
			if rt, uerr := probe(ctx, py, false, opts.Limits); uerr == nil {
				g.sb, g.runtime = sandbox{python: py, isolate: false, limits: opts.Limits}, rt
				return g, nil
			}
		}
		tried = append(tried, fmt.Sprintf("%s: %v", py, err))
	}
	if len(tried) == 0 {
		return nil, fmt.Errorf("%w: python3 is not on PATH (install it, e.g. apt-get install python3)", ErrNoPython)
	}
	return nil, fmt.Errorf("%w: %s", ErrNoPython, strings.Join(tried, "; "))
}

// Runtime returns the interpreter and isolation in use.
func (g *Grader) Runtime() Runtime { return g.runtime }

// Grade extracts the program from a raw completion (see Extract) and runs
// it against the tests.
func (g *Grader) Grade(ctx context.Context, response string, t *bench.CodeTests) Verdict {
	prog, why := Extract(response)
	if why == NoCode && g.opts.AcceptUnfenced {
		if text, ok := stripThinking(response); ok && strings.TrimSpace(text) != "" {
			prog, why = text, ""
		}
	}
	if why != "" {
		return Verdict{Reason: why, Runtime: g.runtime.String()}
	}
	return g.Run(ctx, prog, t)
}

// Run runs an already-extracted program against the tests.
func (g *Grader) Run(ctx context.Context, program string, t *bench.CodeTests) Verdict {
	v := Verdict{Extracted: program, Runtime: g.runtime.String()}
	if t == nil || len(t.Cases) == 0 {
		v.Reason = NoTests
		return v
	}
	if err := t.Validate(); err != nil {
		v.Reason, v.Tests = SandboxRefused, []TestResult{{Case: 0, Reason: SandboxRefused, Detail: err.Error()}}
		return v
	}
	v.Tests = g.runSuite(ctx, program, t)
	v.Correct, v.Reason = true, Passed
	for _, r := range v.Tests {
		if r.Reason != Passed {
			v.Correct, v.Reason = false, r.Reason
			break
		}
	}
	return v
}

// caseWall is the wall-clock limit of one case of t.
func (g *Grader) caseWall(t *bench.CodeTests) time.Duration {
	if t.TimeLimit > 0 {
		return time.Duration(t.TimeLimit * float64(time.Second))
	}
	return g.opts.Limits.Wall
}

// pythonCandidates lists interpreters to try, resolving a pyenv-style shim
// on PATH to the executable behind it.
func pythonCandidates(explicit string) []string {
	if explicit != "" {
		return []string{explicit}
	}
	var out []string
	add := func(p string) {
		if p == "" {
			return
		}
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		for _, q := range out {
			if q == p {
				return
			}
		}
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			out = append(out, p)
		}
	}
	if p, err := exec.LookPath("python3"); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		b, err := exec.CommandContext(ctx, p, "-I", "-c", "import sys; print(sys.executable)").Output()
		cancel()
		if err == nil {
			add(strings.TrimSpace(string(b)))
		}
		add(p)
	}
	add("/usr/bin/python3")
	add("/usr/local/bin/python3")
	return out
}

// probe runs a tiny program in the sandbox and reads the interpreter's
// name and version from it.
func probe(ctx context.Context, python string, isolate bool, lim Limits) (Runtime, error) {
	sb := sandbox{python: python, isolate: isolate, limits: lim}
	src := "import platform, sys\nprint(platform.python_implementation(), platform.python_version(), sys.version_info[0])\n"
	p := sb.run(ctx, job{Mode: "stdin", Program: src}, nil, 30*time.Second)
	if p.outcome == refused {
		if isolate && isolationError(p.detail) {
			return Runtime{}, fmt.Errorf("%w: %s (the kernel must allow user, network, mount and PID namespaces, "+
				"e.g. sysctl kernel.unprivileged_userns_clone=1 or run as root; or pass the explicit unsafe flag "+
				"to run untrusted code with rlimits only, with network and file system open)", ErrIsolation, p.detail)
		}
		return Runtime{}, fmt.Errorf("sandbox refused: %s", p.detail)
	}
	f := strings.Fields(string(p.stdout))
	if p.outcome != exited || p.exitCode != 0 || len(f) != 3 {
		return Runtime{}, fmt.Errorf("probe failed (outcome %d, exit %d): %s", p.outcome, p.exitCode, strings.TrimSpace(string(p.stderr)))
	}
	if f[2] != "3" {
		return Runtime{}, fmt.Errorf("%s is Python %s, not Python 3", python, f[1])
	}
	return Runtime{Implementation: f[0], Version: f[1], Path: python, Isolated: isolate, Proc: p.proc}, nil
}

// isolationError reports a refusal that comes from the kernel's namespace
// or mount policy rather than from the interpreter.
func isolationError(detail string) bool {
	for _, s := range []string{"operation not permitted", "invalid argument", "no space left", "mount", "capset", "Operation not permitted"} {
		if strings.Contains(detail, s) {
			return true
		}
	}
	return false
}
