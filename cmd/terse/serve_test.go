package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/terse-dev/terse/engine/blas"
	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/engine/tokenizer"
	"github.com/terse-dev/terse/eval/sampler"
	"github.com/terse-dev/terse/modelserver"
)

// TestServeWithEvalSampler: terse eval's client talks to terse serve, with
// the chat prefill (continue_final_message), the reasoning parser and the
// completions API, and gets exact token counts.
func TestServeWithEvalSampler(t *testing.T) {
	tok, err := tokenizer.NewCharLevel(tokenizer.CharConfig{
		Specials: []string{tokenizer.EndOfText, tokenizer.ThinkStart, tokenizer.ThinkEnd},
		Alphabet: "0123456789+-*=()\\{} \nabcdefghijklmnopqrstuvwxyz?",
		EOS:      tokenizer.EndOfText,
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := model.TinyConfig()
	cfg.VocabSize = tok.VocabSize()
	cfg.EOSTokenID = model.TokenIDs{int(tok.Special().EOS)}
	cfg.MaxPositionEmbeddings = 256
	m, err := model.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.SetBLAS(blas.NewGo())
	m.InitRandom(3, 0.3)
	srv, err := modelserver.New(modelserver.Options{Model: m, Tokenizer: tok, ModelName: "lab", ReasoningParser: true})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer srv.Close()
	defer ts.Close()
	c, err := sampler.New(sampler.Options{Endpoints: []string{ts.URL}, MaxAttempts: 1, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for seed := range int64(4) {
		chat, err := c.Do(ctx, sampler.Request{API: sampler.APIChat, Model: "lab", Prompt: "2+3=", Prefill: "<think>",
			MaxTokens: 30, Temperature: 1, TopP: 1, TopK: 40, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		comp, err := c.Do(ctx, sampler.Request{API: sampler.APICompletions, Model: "lab", Prompt: "2+3=", Prefill: "<think>",
			MaxTokens: 30, Temperature: 1, TopP: 1, TopK: 40, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		// The same prompt ("2+3=<think>") and seed: the same sample.
		if comp.CompletionTokens != chat.CompletionTokens || comp.FinishReason != chat.FinishReason || comp.PromptTokens != 5 || chat.PromptTokens != 5 {
			t.Errorf("seed %d: chat %+v vs completions %+v", seed, chat, comp)
		}
		if chat.FinishReason == "length" && chat.CompletionTokens != 30 {
			t.Errorf("seed %d: length after %d tokens", seed, chat.CompletionTokens)
		}
		// The reasoning parser splits what completions returns raw.
		joined := chat.ReasoningContent
		if strings.Contains(comp.Content, tokenizer.ThinkEnd) {
			joined += tokenizer.ThinkEnd + chat.Content
		}
		if joined != comp.Content {
			t.Errorf("seed %d: reasoning %q + content %q vs raw %q", seed, chat.ReasoningContent, chat.Content, comp.Content)
		}
	}
}

func TestServeUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"serve"},
		{"serve", "--model", "x", "--chat-template", "jinja"},
		{"serve", "--model", "x", "--reasoning-parser", "r1"},
		{"serve", "--model", "x", "--max-n", "9", "--max-batch", "8"},
	} {
		root := newRootCmd()
		root.SetArgs(args)
		err := root.Execute()
		if _, ok := err.(usageError); !ok {
			t.Errorf("%v: error %v, want a usage error", args, err)
		}
	}
	root := newRootCmd()
	root.SetArgs([]string{"serve", "--model", t.TempDir()})
	if err := root.Execute(); err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Errorf("empty checkpoint dir: %v", err)
	}
}
