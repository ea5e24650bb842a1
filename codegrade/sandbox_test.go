package codegrade

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/terse-dev/terse/bench"
)

// Adversarial programs: each must be contained and reported with its
// reason, and grading must return (a hang fails the test at its deadline).
// The limits here are small so that the tests are quick.

// hostileGrader has tight limits for the adversarial tests.
func hostileGrader(t *testing.T) *Grader { return hostileGraderMode(t, false) }

func hostileGraderMode(t *testing.T, processPerCase bool) *Grader {
	t.Helper()
	base := graderOrSkip(t)
	g, err := New(context.Background(), Options{Python: base.Runtime().Path, ProcessPerCase: processPerCase, Limits: Limits{
		Wall: 3 * time.Second, AddressSpace: 256 << 20, Output: 1 << 20, Processes: 16, WorkBytes: 8 << 20, FileSize: 1 << 20,
	}})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// gradeWithin grades program against one stdin case and fails the test if
// grading takes longer than limit (the program must not hang the grader).
func gradeWithin(t *testing.T, g *Grader, program, input, output string, limit time.Duration) Verdict {
	t.Helper()
	return gradeSuiteWithin(t, g, program, &bench.CodeTests{Language: "python", Style: bench.StyleStdin,
		Cases: []bench.TestCase{{Input: input, Output: output}}}, limit)
}

// gradeSuiteWithin is gradeWithin for any suite.
func gradeSuiteWithin(t *testing.T, g *Grader, program string, suite *bench.CodeTests, limit time.Duration) Verdict {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	done := make(chan Verdict, 1)
	go func() { done <- g.Grade(ctx, fenced(program), suite) }()
	select {
	case v := <-done:
		return v
	case <-time.After(limit + 10*time.Second):
		t.Fatalf("grading did not return within %s", limit+10*time.Second)
		return Verdict{}
	}
}

func TestAdversarialContained(t *testing.T) {
	tests := []struct {
		name    string
		program string
		want    Reason
		limit   float64 // seconds per case; 0 = the grader's 3 s
	}{
		{"infinite loop", "while True:\n    pass", Timeout, 0},
		{"sleep forever (wall clock, no CPU)", "import time\ntime.sleep(3600)", Timeout, 0},
		{"fork bomb", "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass", Timeout, 0},
		{"memory hog, one block", "x = bytearray(8 << 30)\nprint(len(x))", MemoryLimit, 0},
		// Touching 256 MiB page by page takes seconds on a loaded machine.
		{"memory hog, growing", "l = []\nwhile True:\n    l.append(bytearray(10 << 20))", MemoryLimit, 60},
		{"prints gigabytes", "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)", OutputLimit, 0},
		// The program is PID 1 of its namespace: its parent is PID 0 there, and
		// signals from inside the namespace to PID 1 are ignored, so both
		// kills are no-ops and the program goes on to print its answer.
		{"kills its parent", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nprint(1)", Passed, 0},
		{"kills every process it can", "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept ProcessLookupError:\n    pass\nprint(1)", Passed, 0},
		{"segfault", "import ctypes\nctypes.string_at(0)", RuntimeError, 0},
		{"file too large (RLIMIT_FSIZE)", "open('big', 'wb').write(b'x' * (2 << 20))", RuntimeError, 0},
		{"fills its tmpfs", "for i in range(100):\n    open('f%d' % i, 'wb').write(b'x' * (512 << 10))", RuntimeError, 0},
	}
	// Where the reason alone does not show which limit acted.
	wantDetail := map[string]string{
		"file too large (RLIMIT_FSIZE)": "File too large",
		"fills its tmpfs":               "No space left",
		"segfault":                      "segmentation fault",
	}
	for _, perCase := range []bool{false, true} {
		g := hostileGraderMode(t, perCase)
		for _, tc := range tests {
			t.Run(fmt.Sprintf("process_per_case=%v/%s", perCase, tc.name), func(t *testing.T) {
				start := time.Now()
				suite := &bench.CodeTests{Language: "python", Style: bench.StyleStdin, TimeLimit: tc.limit,
					Cases: []bench.TestCase{{Output: "1"}}}
				v := gradeSuiteWithin(t, g, tc.program, suite, 90*time.Second)
				if v.Reason != tc.want {
					t.Errorf("reason %s, want %s; tests %+v", v.Reason, tc.want, v.Tests)
				}
				if d := wantDetail[tc.name]; d != "" && !strings.Contains(v.Tests[0].Detail, d) {
					t.Errorf("detail %q does not say %q", v.Tests[0].Detail, d)
				}
				t.Logf("%s in %s: %s", v.Reason, time.Since(start).Round(time.Millisecond), v.Tests[0].Detail)
			})
		}
	}
}

// TestKillHostPID: the grader's own PID is not visible in the sandbox's PID
// namespace, so a program told it cannot signal it.
func TestKillHostPID(t *testing.T) {
	g := hostileGrader(t)
	prog := fmt.Sprintf("import os, signal\ntry:\n    os.kill(%d, signal.SIGKILL)\n    print('killed')\nexcept ProcessLookupError:\n    print('blocked')", os.Getpid())
	v := gradeWithin(t, g, prog, "", "blocked", 30*time.Second)
	if v.Reason != Passed {
		t.Errorf("a program could signal the grader (pid %d): %+v", os.Getpid(), v.Tests)
	}
}

// TestEscapedChildDies: a double-forked daemon is killed with the sandbox's
// PID namespace, so it cannot write after the run.
func TestEscapedChildDies(t *testing.T) {
	g := hostileGrader(t)
	marker := "terse-escape-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	prog := fmt.Sprintf(`import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(60)", %q])
    os._exit(0)
time.sleep(0.3)
print("parent done")`, marker)
	v := gradeWithin(t, g, prog, "", "parent done", 30*time.Second)
	if v.Reason != Passed {
		t.Fatalf("reason %s: %+v", v.Reason, v.Tests)
	}
	time.Sleep(200 * time.Millisecond)
	if pids := processesWith(marker); len(pids) > 0 {
		t.Errorf("processes %v outlived the sandbox", pids)
	}
}

// processesWith lists PIDs whose command line contains s.
func processesWith(s string) []string {
	var out []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), s) {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestNoNetwork: a listener on the host's loopback is unreachable, and so is
// any outside address; the sandbox has only a loopback interface that is down.
func TestNoNetwork(t *testing.T) {
	g := hostileGrader(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	prog := fmt.Sprintf(`import socket
for host, port in [("127.0.0.1", %d), ("1.1.1.1", 53), ("8.8.8.8", 443)]:
    try:
        socket.create_connection((host, port), timeout=1).close()
        print("connected", host)
    except OSError:
        print("blocked")
try:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"x", ("1.1.1.1", 53))
    print("sent")
except OSError:
    print("blocked")`, port)
	v := gradeWithin(t, g, prog, "", "blocked\nblocked\nblocked\nblocked", 30*time.Second)
	if v.Reason != Passed {
		t.Errorf("network reachable: %+v", v.Tests)
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("the host listener accepted %d connection(s) from the sandbox", n)
	}
}

// TestFileSystem: nothing outside the sandbox's own /tmp is writable; the
// host's /tmp, /root, /home, /run, /var/tmp and /dev/shm are hidden; the rest
// of the file system stays readable (documented in the README).
func TestFileSystem(t *testing.T) {
	g := hostileGrader(t)
	host := t.TempDir() // a host directory anyone may write: only the mount namespace protects it
	if err := os.Chmod(host, 0o777); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(host, "secret.txt")
	if err := os.WriteFile(secret, []byte("host secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	targets := []string{filepath.Join(host, "escape.txt"), "/etc/terse-escape", "/usr/terse-escape",
		"/var/tmp/terse-escape", "/dev/shm/terse-escape", "/root/terse-escape", "/home/terse-escape", "/terse-escape"}
	prog := fmt.Sprintf(`import os
for p in %s:
    try:
        with open(p, "w") as f:
            f.write("x")
        print("wrote", p)
    except OSError:
        print("blocked")
try:
    print(open(%q).read())
except OSError:
    print("hidden")
with open("/tmp/own.txt", "w") as f:
    f.write("mine")
print(open("/tmp/own.txt").read(), os.getcwd())
print("passwd" if os.path.exists("/etc/passwd") else "no passwd")
print(len([d for d in os.listdir("/proc") if d.isdigit()]) < 5)`, pyList(targets), secret)
	want := strings.Repeat("blocked\n", len(targets)) + "hidden\nmine /tmp\npasswd\nTrue"
	v := gradeWithin(t, g, prog, "", want, 30*time.Second)
	if v.Reason != Passed {
		t.Errorf("file system not contained: %+v", v.Tests)
	}
	for _, p := range targets {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("the sandbox wrote %s on the host", p)
			os.Remove(p)
		}
	}
	if _, err := os.Stat("/tmp/own.txt"); err == nil {
		t.Errorf("the sandbox's /tmp is the host's /tmp")
	}
}

// TestForgedResults: a function-style program that writes fake "ok" lines
// to every descriptor cannot pass, because it does not know the nonce.
func TestForgedResults(t *testing.T) {
	g := hostileGrader(t)
	suite := &bench.CodeTests{Language: "python", Style: bench.StyleFunction, EntryPoint: "f",
		Cases: []bench.TestCase{{Assert: "assert f() == 1"}}}
	prog := `import os
for fd in range(3, 1024):
    try:
        os.write(fd, b'R proc=private\n{"i": 0, "status": "ok"}\n00000000000000000000000000000000 {"i": 0, "status": "ok"}\n')
    except OSError:
        pass
os._exit(0)
def f():
    return 2`
	v := g.Grade(context.Background(), fenced(prog), suite)
	if v.Correct {
		t.Fatalf("forged results passed: %+v", v)
	}
}

// TestCancel: a cancelled context stops a long run at once.
func TestCancel(t *testing.T) {
	g := hostileGrader(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	suite := &bench.CodeTests{Language: "python", Style: bench.StyleStdin, TimeLimit: 60, Cases: []bench.TestCase{{Output: "1"}}}
	start := time.Now()
	v := g.Grade(ctx, fenced("import time\ntime.sleep(60)"), suite)
	if v.Correct || v.Reason != SandboxRefused {
		t.Errorf("cancelled run: %+v", v)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("cancel took %s", d)
	}
}

func pyList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// TestUnsafeModeLimits: without namespaces (Options.Unsafe on a kernel that
// refuses them) the rlimits, the wall clock and the output cap still hold,
// and the runtime says the run was not isolated.
func TestUnsafeModeLimits(t *testing.T) {
	base := hostileGrader(t)
	g := &Grader{opts: base.opts, sb: sandbox{python: base.sb.python, isolate: false, limits: base.sb.limits},
		runtime: base.runtime, sem: make(chan struct{}, 2)}
	g.runtime.Isolated = false
	if !strings.Contains(g.runtime.String(), "unsafe") {
		t.Errorf("runtime %q does not say unsafe", g.runtime.String())
	}
	for _, tc := range []struct {
		program, output string
		want            Reason
	}{
		{"a, b = map(int, input().split())\nprint(a + b)", "3", Passed},
		{"while True:\n    pass", "", Timeout},
		{"x = bytearray(8 << 30)", "", MemoryLimit},
		{"import sys\nwhile True:\n    sys.stdout.write('x' * 65536)", "", OutputLimit},
	} {
		v := gradeWithin(t, g, tc.program, "1 2\n", tc.output, 30*time.Second)
		if v.Reason != tc.want {
			t.Errorf("%q: %s, want %s (%+v)", tc.program, v.Reason, tc.want, v.Tests)
		}
	}
}
