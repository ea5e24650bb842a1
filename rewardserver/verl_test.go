package rewardserver

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/terse-dev/terse/reward"
)

// TestRewardVerlIntegration runs integrations/verl's Python unittest suite
// (stdlib only) against a live reward service on a loopback port, with the
// real grader, the ⌈chars/4⌉ length approximation and a bearer token. The
// suite replays verl's call shapes at b178a3cd (see its docstring).
func TestRewardVerlIntegration(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found: skipping the verl integration test")
	}
	dir, err := filepath.Abs(filepath.Join("..", "integrations", "verl"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{
		Shape:        reward.Truncation{TargetLen: 4096},
		RolloutLimit: 100,
		Token:        "verl-test-token",
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0") // loopback: Serve refuses others without a token
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()

	cctx, ccancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer ccancel()
	cmd := exec.CommandContext(cctx, py, "-m", "unittest", "-v", "test_terse_reward")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TERSE_REWARD_URL=http://"+ln.Addr().String(), "PYTHONDONTWRITEBYTECODE=1",
		"TERSE_REWARD_TOKEN=verl-test-token", "TERSE_REWARD_TOKEN_FILE=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3 -m unittest: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "skipped") {
		t.Fatalf("python tests were skipped:\n%s", out)
	}
	t.Logf("%s", out)
}
