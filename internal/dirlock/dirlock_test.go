package dirlock

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestAcquireRelease(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no flock")
	}
	dir := t.TempDir()
	l, err := Acquire(dir, "terse eval --out x")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(dir, "")
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
		t.Fatalf("second Acquire: %v, want a LockedError", err)
	}
	host, _ := os.Hostname()
	if le.Holder.PID != os.Getpid() || le.Holder.Host != host || le.Holder.Command != "terse eval --out x" ||
		time.Since(le.Holder.Started) > time.Hour {
		t.Errorf("holder %+v", le.Holder)
	}
	for _, want := range []string{dir, fmt.Sprintf("pid %d", os.Getpid()), host, "terse eval --out x"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l, err = Acquire(dir, "")
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	l.Release()
	l.Release() // twice is harmless
}

// TestKilledHolder: a holder killed with SIGKILL releases the lock (the
// kernel drops flock locks with the process), and the error while it
// lived named it.
func TestKilledHolder(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no flock")
	}
	if dir := os.Getenv("DIRLOCK_HOLD"); dir != "" {
		if _, err := Acquire(dir, "holder"); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("locked")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledHolder$")
	cmd.Env = append(os.Environ(), "DIRLOCK_HOLD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		t.Fatalf("holder said %q", line)
	}
	_, err = Acquire(dir, "")
	var le *LockedError
	if !errors.As(err, &le) || le.Holder.PID != cmd.Process.Pid || le.Holder.Command != "holder" {
		t.Fatalf("while held: %v, want the holder pid %d", err, cmd.Process.Pid)
	}
	cmd.Process.Signal(os.Kill)
	cmd.Wait()
	l, err := Acquire(dir, "")
	if err != nil {
		t.Fatalf("after kill -9 of the holder: %v", err)
	}
	l.Release()
}
