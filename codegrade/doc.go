// Package codegrade decides whether a model's program passes a code
// problem's tests, by running it in a sandbox, and says why per test case.
//
// It is a pipeline of stages, one file each, read top to bottom:
//
//	extract.go   raw completion → program: thinking stripped, the last fenced
//	             block tagged python, else the last untagged block
//	run.go       program + bench.CodeTests → one sandboxed run per stdin case,
//	             or one run of every function-style case
//	sandbox.go   one run: a separate process in new user, network, mount,
//	             PID, IPC and UTS namespaces, rlimits, a wall-clock timeout
//	             that kills the whole process tree, capped output;
//	sandbox.py   the first Python code inside it: read-only file system, a
//	             fresh tmpfs as the only writable place, capabilities dropped
//	compare.go   output → right or wrong, in Go: LiveCodeBench's line rule,
//	             tokens, exact bytes, float tolerance; JSON return values
//	verdict.go   the public API: New, Grader.Grade, Verdict, TestResult,
//	             Reason
//
// Each test case gets a Reason (passed, wrong_answer, runtime_error,
// timeout, memory_limit, output_limit, sandbox_refused, not_run) and the
// problem gets the first failing case's reason, or passed. Nothing a program
// does hangs the grader: every run has a wall-clock limit after which its
// process group and PID namespace are killed with SIGKILL.
//
// New refuses (ErrIsolation) when the kernel does not allow the namespaces,
// unless Options.Unsafe is set. The README's "Grading code" section lists
// what the sandbox guarantees and what it does not.
//
// The package imports bench (for CodeTests) and the standard library only.
package codegrade
