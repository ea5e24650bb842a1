package rewardserver

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRewardBearerToken(t *testing.T) {
	opts := rsTestOptions("truncation:target=10")
	opts.Token = "s3cret-token"
	_, ts := rsTestServer(t, opts)
	body := `{"query":["\\boxed{1}<|im_end|>"],"labels":["1"]}`
	post := func(auth string) int {
		req, _ := http.NewRequest("POST", ts.URL+"/get_reward", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for auth, want := range map[string]int{
		"":                    401,
		"Bearer wrong":        401,
		"Bearer s3cret-toke":  401,
		"s3cret-token":        401,
		"Basic s3cret-token":  401,
		"Bearer s3cret-token": 200,
	} {
		if got := post(auth); got != want {
			t.Errorf("Authorization %q: %d, want %d", auth, got, want)
		}
	}
	resp, err := http.Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/healthz without a token: %d, want 200", resp.StatusCode)
	}
	resp, err = http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("/metrics without a token: %d, want 401", resp.StatusCode)
	}
}

func TestRewardNonLoopbackNeedsToken(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:8008", ":8008", "[::]:8008", "10.0.0.5:8008", "example.com:8008"} {
		if _, err := New(Options{Addr: addr}); !errors.Is(err, ErrNoToken) {
			t.Errorf("New(Addr %s) without a token: %v, want ErrNoToken", addr, err)
		}
		if _, err := New(Options{Addr: addr, Token: "t"}); err != nil {
			t.Errorf("New(Addr %s) with a token: %v", addr, err)
		}
	}
	for _, addr := range []string{"127.0.0.1:8008", "localhost:8008", "[::1]:8008"} {
		if _, err := New(Options{Addr: addr}); err != nil {
			t.Errorf("New(Addr %s): %v", addr, err)
		}
	}
	// Serve checks the listener's real address too.
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Skip("cannot listen on 0.0.0.0:", err)
	}
	if err := s.Serve(context.Background(), ln); !errors.Is(err, ErrNoToken) {
		t.Errorf("Serve on %s without a token: %v, want ErrNoToken", ln.Addr(), err)
	}
}

func TestRewardLoadToken(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte("  from-file  \nignored\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(TokenEnv, "")
	t.Setenv(TokenFileEnv, "")
	if tok, err := LoadToken(""); tok != "" || err != nil {
		t.Errorf("nothing set: %q %v", tok, err)
	}
	if tok, err := LoadToken(file); tok != "from-file" || err != nil {
		t.Errorf("file: %q %v", tok, err)
	}
	t.Setenv(TokenFileEnv, file)
	if tok, err := LoadToken(""); tok != "from-file" || err != nil {
		t.Errorf("%s: %q %v", TokenFileEnv, tok, err)
	}
	t.Setenv(TokenEnv, "from-env")
	if tok, err := LoadToken(""); tok != "from-env" || err != nil {
		t.Errorf("%s: %q %v", TokenEnv, tok, err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadToken(empty); err == nil || !strings.Contains(err.Error(), empty) {
		t.Errorf("empty token file: %v, want an error naming it", err)
	}
	if _, err := LoadToken(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing token file accepted")
	}
}
