package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/terse-dev/terse/lab"
	"github.com/terse-dev/terse/modelserver"
)

// serveOptions holds the flags of `terse serve`.
type serveOptions struct {
	Model           string
	Addr            string
	ServedModelName string
	StrictModelName bool
	ChatTemplate    string
	Prefill         string
	ReasoningParser string
	// ThinkingClosing and ThinkingExtension shape per-request thinking
	// budgets (modelserver/thinking.go).
	ThinkingClosing   string
	ThinkingExtension int
	MaxBatch          int
	MaxQueue          int
	MaxN              int
	MaxBodyBytes      int64
	RequestTimeout    time.Duration
	ShutdownTimeout   time.Duration
}

// serveReasoningParsers are the --reasoning-parser values; all split at
// </think> (vLLM's names are accepted so that its command lines carry over).
var serveReasoningParsers = []string{"think", "qwen3", "deepseek_r1"}

func newServeCmd() *cobra.Command {
	o := serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve --model DIR [flags]",
		Short: "Serve a checkpoint over the OpenAI API (completions, chat completions)",
		Long: `serve loads a checkpoint directory (config.json, safetensors weights and
tokenizer.json, as terse lab train-base or HF transformers write them), or the
built-in lab base model (--model lab-base), and serves it
over an OpenAI-compatible HTTP API, so that terse eval, vLLM-style clients and
OpenRLHF can sample from it:

  GET  /v1/models             the served model (id = --served-model-name)
  POST /v1/completions        prompt: string, list of strings or token ids
  POST /v1/chat/completions   messages → prompt through --chat-template
  GET  /health                liveness

Parameters: n, temperature, top_p, top_k (vLLM extension; -1 or 0 disables),
seed, max_tokens (max_completion_tokens), stop, stop_token_ids, ignore_eos,
logprobs (completions: 0; chat: true, top_logprobs 0 — the sampled token's
log-prob under softmax(logits/temperature), one per generated token),
return_token_ids, continue_final_message / add_generation_prompt (chat
prefill), separate_reasoning, stream (Server-Sent Events; stream_options.
include_usage adds a usage chunk; no logprobs). Unsupported parameters
(min_p > 0, penalties, logit_bias, top alternatives, echo, tools) get a 400
naming the field.

Seeds: with seed s, choice i uses seed s+i, so n = 4 equals four n = 1
requests with seeds s..s+3; a sequence's output depends only on its seed,
prompt and parameters, never on what else is batched. Without a seed each
request draws a random one. usage.completion_tokens is the exact number of
generated tokens summed over the choices (a final EOS or stop token
included); usage.prompt_tokens counts each prompt once. finish_reason is
"stop" (EOS, stop token or stop string; the text leaves it out) or "length"
(max_tokens, or the context is full: max_tokens beyond the context is cut to
what fits, a prompt that fills the context is a 400).

Chat templates: plain concatenates the message contents (the lab models'
prompt is the question itself), qwen writes <|im_start|>role\ncontent<|im_end|>
per message, deepseek-r1 (DeepSeek-R1-Distill-Qwen) writes BOS, the system
prompt, <｜User｜>content and <｜Assistant｜>answer<｜end▁of▁sentence｜> per
message; all then append the assistant prefix (deepseek-r1's opens the
thought: <｜Assistant｜><think>\n) and --prefill. auto picks qwen when the
tokenizer's own template uses <|im_start|>, deepseek-r1 when it uses
<｜Assistant｜>.

All requests share one decode loop (continuous batching: new requests join
between steps) of at most --max-batch sequences; up to --max-queue more wait
(429 above). The server binds loopback by default, caps request bodies, and
on SIGINT/SIGTERM stops accepting connections and finishes in-flight requests
within --shutdown-timeout. Matrix multiplies use OpenBLAS when it loads
(TERSE_BLAS=go|openblas forces one).`,
		Example: `  terse serve --model lab-base --reasoning-parser think
  terse serve --model runs/base --prefill '<think>' --reasoning-parser think
  terse serve --model ~/models/Qwen3-0.6B --chat-template qwen --served-model-name qwen3 --addr 127.0.0.1:8001
  terse serve --model ~/models/DeepSeek-R1-Distill-Qwen-1.5B --reasoning-parser deepseek_r1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runServe(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Model, "model", "", "checkpoint directory (config.json, *.safetensors, tokenizer.json), or a built-in model: "+strings.Join(lab.ModelNames(), ", ")+"; required")
	f.StringVar(&o.Addr, "addr", "127.0.0.1:8000", "listen address (loopback by default; 0.0.0.0:8000 exposes it)")
	f.StringVar(&o.ServedModelName, "served-model-name", "", "model id in /v1/models and responses (default: the directory's base name)")
	f.BoolVar(&o.StrictModelName, "strict-model-name", false, `reject requests whose "model" is not --served-model-name (404); by default any name is accepted`)
	f.StringVar(&o.ChatTemplate, "chat-template", modelserver.ChatTemplateAuto, "chat template: "+strings.Join(modelserver.ChatTemplates(), ", "))
	f.StringVar(&o.Prefill, "prefill", "", `text that starts every assistant turn of /v1/chat/completions, e.g. "<think>" (part of the prompt, not of the content)`)
	f.StringVar(&o.ReasoningParser, "reasoning-parser", "", "split chat output at </think> into reasoning_content and content: "+strings.Join(serveReasoningParsers, ", ")+" (all the same); empty: off (a request's separate_reasoning overrides)")
	f.StringVar(&o.ThinkingClosing, "thinking-closing", modelserver.DefaultThinkingClosing, "message appended when a request's thinking budget (thinking_token_budget, thinking_budget, max_thinking_tokens, reasoning_budget_tokens) runs out; </think> is added if missing; a request's reasoning_budget_message overrides it")
	f.IntVar(&o.ThinkingExtension, "thinking-extension", 0, "tokens after a thinking budget within which the last thought may reach a sentence end (0: a tenth of the budget, at least 8; -1: none)")
	f.IntVar(&o.MaxBatch, "max-batch", 256, "most sequences decoded together")
	f.IntVar(&o.MaxQueue, "max-queue", 1024, "most requests waiting for room in the batch (429 above)")
	f.IntVar(&o.MaxN, "max-n", 64, "largest n of one request (at most --max-batch)")
	f.Int64Var(&o.MaxBodyBytes, "max-body-bytes", 4<<20, "largest request body accepted (413 above, at once when the Content-Length header says so)")
	f.DurationVar(&o.RequestTimeout, "request-timeout", 10*time.Minute, "deadline of one request, queueing included (504 after); its answer must reach the client within 10 s more, else the connection is closed")
	f.DurationVar(&o.ShutdownTimeout, "shutdown-timeout", 60*time.Second, "on SIGINT/SIGTERM, how long in-flight requests may still run (then 503)")
	return cmd
}

// runServe loads the checkpoint and serves it until SIGINT/SIGTERM.
func runServe(ctx context.Context, o serveOptions) error {
	switch {
	case o.Model == "":
		return usagef("serve: --model DIR is required")
	case !slices.Contains(modelserver.ChatTemplates(), o.ChatTemplate):
		return usagef("serve: --chat-template %q: want one of %s", o.ChatTemplate, strings.Join(modelserver.ChatTemplates(), ", "))
	case o.ReasoningParser != "" && !slices.Contains(serveReasoningParsers, o.ReasoningParser):
		return usagef("serve: --reasoning-parser %q: want one of %s", o.ReasoningParser, strings.Join(serveReasoningParsers, ", "))
	case o.MaxBatch < 1 || o.MaxQueue < 1 || o.MaxN < 1:
		return usagef("serve: --max-batch, --max-queue and --max-n must be at least 1")
	case o.MaxN > o.MaxBatch:
		return usagef("serve: --max-n %d exceeds --max-batch %d", o.MaxN, o.MaxBatch)
	case o.MaxBodyBytes < 1 || o.RequestTimeout <= 0 || o.ShutdownTimeout <= 0:
		return usagef("serve: --max-body-bytes, --request-timeout and --shutdown-timeout must be positive")
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	start := time.Now()
	m, tok, err := lab.Load(o.Model)
	if err != nil {
		return fmt.Errorf("serve: --model: %w", err)
	}
	c := m.Config
	logger.Info("model loaded", "dir", o.Model, "layers", c.NumHiddenLayers, "hidden", c.HiddenSize,
		"vocab", c.VocabSize, "context", c.MaxPositionEmbeddings, "elapsed", time.Since(start).Round(time.Millisecond))
	name := o.ServedModelName
	if name == "" {
		name = serveBaseName(o.Model)
	}
	srv, err := modelserver.New(modelserver.Options{
		Model: m, Tokenizer: tok, Addr: o.Addr, ModelName: name, StrictModelName: o.StrictModelName,
		ChatTemplate: o.ChatTemplate, Prefill: o.Prefill, ReasoningParser: o.ReasoningParser != "",
		ThinkingClosing: o.ThinkingClosing, ThinkingExtension: o.ThinkingExtension,
		MaxBatch: o.MaxBatch, MaxQueue: o.MaxQueue, MaxN: o.MaxN, MaxBodyBytes: o.MaxBodyBytes,
		RequestTimeout: o.RequestTimeout, ShutdownTimeout: o.ShutdownTimeout, Logger: logger,
	})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return srv.ListenAndServe(ctx)
}

// serveBaseName is the directory's base name ("terse" for "/" or ".").
func serveBaseName(dir string) string {
	b := filepath.Base(filepath.Clean(dir))
	if b == "/" || b == "." || b == ".." {
		return "terse"
	}
	return b
}
