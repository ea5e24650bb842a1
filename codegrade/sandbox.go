package codegrade

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The sandbox runs one program in a separate process:
//
//	grader (Go) ──clone(NEWUSER|NEWNET|NEWNS|NEWPID|NEWIPC|NEWUTS)──▶ python3 -I -c sandbox.py
//	  fd 0  ◀─ test input              sandbox.py, as root of its own user namespace only:
//	  fd 1,2 ─▶ capped buffers           1. mount namespace: every mount read-only, /home /root
//	  fd 3  ◀─ job (JSON line, inputs)       /run /var/tmp /dev/shm … hidden, a fresh tmpfs at /tmp
//	  fd 4  ─▶ "R" ready, case results      (the only writable place), a private /proc
//	  fd 5  ◀─ sandbox.py source
//	                                    2. rlimits: CPU, address space, file size, files, processes
//	                                    3. every capability dropped (bounding set too), no_new_privs
//	                                    4. "R" on fd 4, then the program runs as __main__
//
// The network namespace holds only a loopback interface that is down, so
// no socket reaches anything. The process is PID 1 of its PID namespace:
// when it exits or is killed, the kernel kills every process it started,
// so nothing outlives a run. The wall-clock timeout and the output cap
// kill it with SIGKILL.

//go:embed sandbox.py
var preludeSource string

// bootstrap is the interpreter's -c argument: it reads sandbox.py from fd 5
// (so that ps shows one short line) and runs it.
const bootstrap = "import os; f = os.fdopen(5, 'rb'); s = f.read(); f.close(); exec(compile(s, 'sandbox.py', 'exec'))"

// Exit codes of sandbox.py.
const (
	exitMemory = 86 // the program raised MemoryError
	exitSetup  = 87 // the sandbox could not be set up: refuse
)

// Limits bounds one sandboxed run. Zero fields take the defaults in
// brackets (see withDefaults).
type Limits struct {
	// Wall is the wall-clock limit of one test case [10 s]; the whole
	// process tree is killed when it passes.
	Wall time.Duration
	// CPU is RLIMIT_CPU for the whole run: SIGXCPU at this soft limit, the
	// kernel's SIGKILL one second later [Wall per case, rounded up].
	CPU time.Duration
	// AddressSpace is RLIMIT_AS in bytes, per process [1 GiB].
	AddressSpace int64
	// FileSize is RLIMIT_FSIZE in bytes: the largest file the program may
	// write [16 MiB].
	FileSize int64
	// OpenFiles is RLIMIT_NOFILE [64].
	OpenFiles int
	// Processes is RLIMIT_NPROC: processes (threads included) of the
	// sandbox's user [16].
	Processes int
	// Output caps captured standard output in bytes [16 MiB]; more is an
	// output_limit. Standard error keeps only its first 64 KiB.
	Output int64
	// WorkBytes is the size of the writable tmpfs at /tmp [64 MiB].
	WorkBytes int64
}

func (l Limits) withDefaults() Limits {
	if l.Wall <= 0 {
		l.Wall = 10 * time.Second
	}
	if l.AddressSpace <= 0 {
		l.AddressSpace = 1 << 30
	}
	if l.FileSize <= 0 {
		l.FileSize = 16 << 20
	}
	if l.OpenFiles <= 0 {
		l.OpenFiles = 64
	}
	if l.Processes <= 0 {
		l.Processes = 16
	}
	if l.Output <= 0 {
		l.Output = 16 << 20
	}
	if l.WorkBytes <= 0 {
		l.WorkBytes = 64 << 20
	}
	return l
}

// stderrCap is how much standard error a run keeps.
const stderrCap = 64 << 10

// job is what sandbox.py reads from fd 3.
type job struct {
	Mode           string            `json:"mode"` // "stdin" (one run), "stdin_cases" or "function"
	Program        string            `json:"program"`
	Isolate        bool              `json:"isolate"`
	Workdir        string            `json:"workdir,omitempty"`
	ResultFD       int               `json:"result_fd"`
	PrivateFD      int               `json:"private_fd"`
	Nonce          string            `json:"nonce"`
	Env            map[string]string `json:"env"`
	RecursionLimit int               `json:"recursion_limit"`
	Limits         jobLimits         `json:"limits"`
	EntryPoint     string            `json:"entry_point,omitempty"`
	Cases          []jobCase         `json:"cases,omitempty"`
	CaseSeconds    float64           `json:"case_seconds,omitempty"`
	OutputCap      int64             `json:"output_cap,omitempty"`
	StopOnFailure  bool              `json:"stop_on_failure"`

	// inputs are the stdin cases' inputs (mode stdin_cases), streamed after
	// the JSON line as 8-byte big-endian length + bytes, one at a time as
	// sandbox.py reads them.
	inputs [][]byte
}

type jobLimits struct {
	CPUSeconds   int64 `json:"cpu_seconds"`
	AddressSpace int64 `json:"address_space"`
	FileSize     int64 `json:"file_size"`
	OpenFiles    int   `json:"open_files"`
	Processes    int   `json:"processes"`
	WorkBytes    int64 `json:"work_bytes"`
}

type jobCase struct {
	Assert string `json:"assert,omitempty"`
	Input  string `json:"input,omitempty"`
}

// outcome is how a sandboxed process ended.
type outcome int

const (
	exited    outcome = iota // exited by itself (any exit code)
	timedOut                 // wall clock or CPU limit
	memoryOut                // MemoryError under RLIMIT_AS
	outputOut                // standard output passed Limits.Output
	refused                  // the sandbox could not be set up
	signalled                // killed by a signal it raised itself (segfault, abort, …)
	cancelled                // the caller's context ended
)

// process is what one sandboxed run left behind.
type process struct {
	outcome  outcome
	exitCode int
	signal   syscall.Signal
	stdout   []byte
	stderr   []byte
	results  []byte // fd 4 after the ready line
	ready    bool
	proc     string // "private" when /proc is the sandbox's own
	detail   string // why it was refused
	wall     time.Duration
	maxRSSKB int64
	cpu      time.Duration // user + system time
}

// sandbox holds what every run shares.
type sandbox struct {
	python  string // interpreter path
	isolate bool   // namespaces and mounts; false only with Options.Unsafe
	limits  Limits
}

// run executes one job with stdin as standard input, within wall. It never
// leaves a process behind: the wall-clock timer, the output cap and ctx all
// kill the process with SIGKILL, and in isolated mode the kernel then kills
// everything in its PID namespace.
func (s *sandbox) run(ctx context.Context, j job, stdin []byte, wall time.Duration) process {
	j.Isolate = s.isolate
	j.ResultFD = 4
	lim := s.limits
	cpu := lim.CPU
	if cpu <= 0 {
		cpu = wall
	}
	j.Limits = jobLimits{
		CPUSeconds: int64((cpu + time.Second - 1) / time.Second), AddressSpace: lim.AddressSpace,
		FileSize: lim.FileSize, OpenFiles: lim.OpenFiles, Processes: lim.Processes, WorkBytes: lim.WorkBytes,
	}
	j.Env = map[string]string{"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp", "TMPDIR": "/tmp"}
	if j.RecursionLimit == 0 {
		j.RecursionLimit = 1000
	}
	if !s.isolate {
		dir, err := os.MkdirTemp("", "terse-sandbox-")
		if err != nil {
			return process{outcome: refused, detail: fmt.Sprintf("temp dir: %v", err)}
		}
		defer os.RemoveAll(dir)
		if os.Geteuid() == 0 {
			_ = os.Chown(dir, 65534, 65534) // sandbox.py drops to nobody
		}
		j.Workdir = dir
		j.Env["HOME"], j.Env["TMPDIR"] = dir, dir
	}
	payload, err := json.Marshal(j)
	if err != nil {
		return process{outcome: refused, detail: fmt.Sprintf("encode job: %v", err)}
	}

	jobR, jobW, err := os.Pipe()
	if err != nil {
		return process{outcome: refused, detail: fmt.Sprintf("pipe: %v", err)}
	}
	resR, resW, err := os.Pipe()
	if err != nil {
		jobR.Close()
		jobW.Close()
		return process{outcome: refused, detail: fmt.Sprintf("pipe: %v", err)}
	}
	srcR, srcW, err := os.Pipe()
	if err != nil {
		jobR.Close()
		jobW.Close()
		resR.Close()
		resW.Close()
		return process{outcome: refused, detail: fmt.Sprintf("pipe: %v", err)}
	}
	cmd := exec.Command(s.python, "-I", "-X", "utf8", "-c", bootstrap)
	cmd.Args[0] = "python3"
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"}
	cmd.Dir = "/"
	cmd.Stdin = bytes.NewReader(stdin)
	var p process
	out := &cappedBuffer{limit: lim.Output}
	errBuf := &cappedBuffer{limit: stderrCap, truncate: true}
	cmd.Stdout, cmd.Stderr = out, errBuf
	cmd.ExtraFiles = []*os.File{jobR, resW, srcR}
	cmd.SysProcAttr = s.procAttr()
	cmd.WaitDelay = time.Second // a pipe held open by an escaped child cannot stall Wait

	start := time.Now()
	if err := cmd.Start(); err != nil {
		for _, f := range []*os.File{jobR, jobW, resR, resW, srcR, srcW} {
			f.Close()
		}
		return process{outcome: refused, detail: fmt.Sprintf("start %s: %v", s.python, err)}
	}
	jobR.Close()
	resW.Close()
	srcR.Close()
	kill := func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the process group
		_ = cmd.Process.Kill()                              // PID 1 of the namespace: the kernel kills the rest
	}
	out.onFull = kill

	go func() { // the job can exceed a pipe buffer: write it concurrently
		_, _ = srcW.Write([]byte(preludeSource))
		srcW.Close()
		_, _ = jobW.Write(append(payload, '\n'))
		for _, in := range j.inputs {
			var n [8]byte
			binary.BigEndian.PutUint64(n[:], uint64(len(in)))
			if _, err := jobW.Write(n[:]); err != nil {
				break
			}
			if _, err := jobW.Write(in); err != nil {
				break // the sandbox ended
			}
		}
		jobW.Close()
	}()
	var res bytes.Buffer
	resDone := make(chan struct{})
	go func() {
		defer close(resDone)
		_, _ = io.Copy(&limitedWriter{w: &res, n: 64 << 20}, resR)
		resR.Close()
	}()

	timer := time.NewTimer(wall + 200*time.Millisecond) // startup allowance
	defer timer.Stop()
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	var timedOutWall, ctxDone bool
	select {
	case err = <-waitErr:
	case <-timer.C:
		timedOutWall = true
		kill()
		err = <-waitErr
	case <-ctx.Done():
		ctxDone = true
		kill()
		err = <-waitErr
	}
	p.wall = time.Since(start)
	select {
	case <-resDone:
	case <-time.After(time.Second):
	}
	p.stdout, p.stderr = out.Bytes(), errBuf.Bytes()
	if line, rest, ok := bytes.Cut(res.Bytes(), []byte("\n")); ok && bytes.HasPrefix(line, []byte("R ")) {
		p.ready = true
		p.proc = strings.TrimPrefix(string(line[2:]), "proc=")
		p.results = rest
	}
	st := cmd.ProcessState
	if st != nil {
		if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
			p.maxRSSKB = ru.Maxrss
			p.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
		if ws, ok := st.Sys().(syscall.WaitStatus); ok {
			p.exitCode = ws.ExitStatus()
			if ws.Signaled() {
				p.signal = ws.Signal()
			}
		}
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) && !errors.Is(err, exec.ErrWaitDelay) {
		p.detail = err.Error()
	}
	switch {
	case ctxDone:
		p.outcome = cancelled
	case !p.ready && !timedOutWall:
		p.outcome = refused
		p.detail = strings.TrimSpace(string(p.stderr))
		if p.detail == "" {
			p.detail = fmt.Sprintf("sandbox setup ended with status %d (signal %v)", p.exitCode, p.signal)
		}
	case out.full:
		p.outcome = outputOut
	case timedOutWall || p.signal == syscall.SIGXCPU ||
		(p.signal == syscall.SIGKILL && p.cpu >= time.Duration(j.Limits.CPUSeconds)*time.Second-50*time.Millisecond):
		p.outcome = timedOut
	case p.exitCode == exitMemory:
		p.outcome = memoryOut
	case p.signal != 0:
		p.outcome = signalled
	default:
		p.outcome = exited
	}
	return p
}

// procAttr is the clone configuration: a new process group always, and in
// isolated mode new user, network, mount, PID, IPC and UTS namespaces with
// the sandbox's root mapped to an unprivileged host user (nobody when the
// grader is root, else the grader's own uid, the only one an unprivileged
// user may map).
func (s *sandbox) procAttr() *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if !s.isolate {
		return a
	}
	uid, gid := os.Geteuid(), os.Getegid()
	if uid == 0 {
		uid, gid = 65534, 65534
	}
	a.Cloneflags = syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET | syscall.CLONE_NEWNS |
		syscall.CLONE_NEWPID | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS
	a.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: uid, Size: 1}}
	a.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: gid, Size: 1}}
	a.GidMappingsEnableSetgroups = false
	// A uid map does not change the child's own host uid: it becomes the
	// mapped user by switching to uid 0 of the new namespace.
	a.Credential = &syscall.Credential{Uid: 0, Gid: 0, NoSetGroups: true}
	return a
}

// cappedBuffer keeps at most limit bytes. Past the limit it either drops the
// rest quietly (truncate) or marks itself full, calls onFull once and fails
// the write, which closes the pipe.
type cappedBuffer struct {
	mu       sync.Mutex
	buf      bytes.Buffer
	limit    int64
	truncate bool
	full     bool
	onFull   func()
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	room := b.limit - int64(b.buf.Len())
	if int64(len(p)) <= room {
		return b.buf.Write(p)
	}
	if room > 0 {
		b.buf.Write(p[:room])
	}
	if b.truncate {
		return len(p), nil
	}
	if !b.full {
		b.full = true
		if b.onFull != nil {
			b.onFull()
		}
	}
	return 0, errOutputLimit
}

func (b *cappedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

var errOutputLimit = errors.New("codegrade: output limit")

// limitedWriter drops everything past n bytes.
type limitedWriter struct {
	w io.Writer
	n int64
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n <= 0 {
		return len(p), nil
	}
	q := p
	if int64(len(q)) > l.n {
		q = q[:l.n]
	}
	n, err := l.w.Write(q)
	l.n -= int64(n)
	if err != nil {
		return n, err
	}
	return len(p), nil
}

// resultLines splits fd-4 output into the lines that carry nonce, without it.
func resultLines(b []byte, nonce string) [][]byte {
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<16), 64<<20)
	prefix := []byte(nonce + " ")
	for sc.Scan() {
		if line := sc.Bytes(); bytes.HasPrefix(line, prefix) {
			out = append(out, bytes.Clone(line[len(prefix):]))
		}
	}
	return out
}
