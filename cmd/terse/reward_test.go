package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/terse-dev/terse/engine/tokenizer"
	"github.com/terse-dev/terse/rewardserver"
)

// runRewardCLI runs `terse reward args…` in-process.
func runRewardCLI(t *testing.T, args ...string) (stdout string, err error) {
	t.Helper()
	cmd := newRewardCmd()
	var out bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	err = cmd.Execute()
	return out.String(), err
}

func TestRewardShapesCLI(t *testing.T) {
	out, err := runRewardCLI(t, "shapes")
	if err != nil || !strings.Contains(out, "laser-d:target=4096,alpha=0.4") {
		t.Errorf("shapes: %v\n%s", err, out)
	}
	out, err = runRewardCLI(t, "shapes", "--json")
	var rows []struct {
		Name          string `json:"name"`
		Spec          string `json:"spec"`
		GroupRelative bool   `json:"group_relative"`
	}
	if err != nil || json.Unmarshal([]byte(out), &rows) != nil || len(rows) < 10 {
		t.Fatalf("shapes --json: %v\n%s", err, out)
	}
	if rows[1].Spec != "truncation:target=4096" || rows[1].GroupRelative {
		t.Errorf("row 1 = %+v", rows[1])
	}
}

func TestRewardServeUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--shape", "bogus"}, "valid: vanilla"},
		{[]string{"serve", "--shape", "truncation:target=-1"}, "whole number > 0"},
		{[]string{"serve", "--group-size", "0"}, "--group-size"},
		{[]string{"serve", "--group-wait", "-1s"}, "--group-wait"},
		{[]string{"serve", "--addr", "0.0.0.0:0"}, "bearer token"},
		{[]string{"serve", "--rollout-limit", "-5"}, "--rollout-limit"},
		{[]string{"serve", "--no-eos", "--eos", "</s>"}, "contradict"},
	} {
		_, err := runRewardCLI(t, tc.args...)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want a usage error containing %q", tc.args, err, tc.want)
		}
	}
	if _, err := runRewardCLI(t, "serve", "--tokenizer", "/nonexistent/tokenizer.json"); err == nil || !strings.Contains(err.Error(), "--tokenizer") {
		t.Errorf("missing tokenizer: %v", err)
	}
}

// TestRewardServeCLI starts the service as the CLI does, scores one
// rollout over HTTP and stops it by cancelling its context.
func TestRewardServeCLI(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	// A character-level tokenizer on disk: lengths are then exact characters.
	tok, err := tokenizer.NewCharLevel(tokenizer.CharConfig{
		Specials: []string{"<|endoftext|>", "<|im_end|>"}, EOS: "<|im_end|>",
		Alphabet: ` :\{}0123456789abcdefghijklmnopqrstuvwxyzQ`,
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := tok.Save(dir); err != nil {
		t.Fatal(err)
	}
	o := rewardServeOptions{Tokenizer: dir, Shape: "truncation:target=16", Options: rewardserver.Options{
		Addr: addr, GroupSize: 8, GroupWait: time.Second,
		RolloutLimit: 16, AdaptiveStep: 1024, MaxBodyBytes: 1 << 20, RequestTimeout: 10 * time.Second, MaxInFlight: 16,
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runRewardServe(ctx, o) }()
	var resp *http.Response
	for range 2000 { // up to 20 s: a loaded machine starts slowly
		resp, err = http.Post("http://"+addr+"/get_reward", "application/json",
			strings.NewReader(`{"query":["Q: so \\boxed{4}<|im_end|>"],"prompts":["Q:"],"labels":["4"]}`))
		if err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Rewards   []float64
		ExtraLogs map[string][]float64 `json:"extra_logs"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	// " so \boxed{4}" is 13 characters, plus 1 for the EOS token.
	if len(out.Rewards) != 1 || out.Rewards[0] != 1 || out.ExtraLogs["tokens"][0] != 14 || out.ExtraLogs["length_approx"][0] != 0 {
		t.Errorf("got %+v, want reward 1, 14 exact tokens", out)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// TestRewardServeFlagDefaults: the flags of terse reward serve default to
// the service's own defaults (rewardserver.DefaultOptions), written once.
func TestRewardServeFlagDefaults(t *testing.T) {
	d := rewardserver.DefaultOptions()
	f := newRewardServeCmd().Flags()
	for flag, want := range map[string]string{
		"addr": d.Addr, "group-size": fmt.Sprint(d.GroupSize), "group-wait": d.GroupWait.String(),
		"adaptive-step": fmt.Sprint(d.AdaptiveStep), "max-body-bytes": fmt.Sprint(d.MaxBodyBytes),
		"body-timeout": d.BodyTimeout.String(), "request-timeout": d.RequestTimeout.String(),
		"max-in-flight": fmt.Sprint(d.MaxInFlight), "max-pending-bytes": fmt.Sprint(d.MaxPendingBytes),
	} {
		if got := f.Lookup(flag).DefValue; got != want {
			t.Errorf("--%s defaults to %s, the service to %s", flag, got, want)
		}
	}
	if d.RequestTimeout >= 180*time.Second {
		t.Errorf("default request timeout %v is not under OpenRLHF's 180 s client timeout", d.RequestTimeout)
	}
}
