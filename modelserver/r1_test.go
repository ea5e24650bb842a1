package modelserver

import (
	"slices"
	"strings"
	"testing"

	"github.com/terse-dev/terse/engine/model"
	"github.com/terse-dev/terse/engine/tokenizer"
)

// r1ChatTemplate is the chat_template of DeepSeek-R1-Distill-Qwen-1.5B's
// tokenizer_config.json (deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B on the
// Hugging Face Hub), in the revision after DeepSeek's February 2025 change
// that made the generation prompt open the thought
// (`{{'<｜Assistant｜>'}}` became `{{'<｜Assistant｜><think>\n'}}`; the
// pre-change file is quoted in
// https://hwb96.github.io/posts/deepseek-r1-chat-template-change-analysis).
// The Hub itself is not reachable from here: the text below is the
// post-change template as public repositories copy it verbatim (identical
// in every copy found with the search tools). The text paths of renderR1
// follow it:
//
//   - `{{bos_token}}{{ns.system_prompt}}` with `{% set ns.system_prompt =
//     message['content'] %}` for every system message (the last one wins);
//   - `{{'<｜User｜>' + message['content']}}` per user message;
//   - per assistant message `{% if '</think>' in content %}{% set content =
//     content.split('</think>')[-1] %}{% endif %}` then
//     `{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}`;
//   - `{% if add_generation_prompt and not ns.is_tool
//     %}{{'<｜Assistant｜><think>\n'}}{% endif %}`.
const r1ChatTemplate = `{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='') %}{%- for message in messages %}{%- if message['role'] == 'system' %}{% set ns.system_prompt = message['content'] %}{%- endif %}{%- endfor %}{{bos_token}}{{ns.system_prompt}}{%- for message in messages %}{%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}{%- endif %}{%- if message['role'] == 'assistant' and message['content'] is none %}{%- set ns.is_tool = false -%}{%- for tool in message['tool_calls']%}{%- if not ns.is_first %}{{'<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\n' + '` + "```json" + `' + '\n' + tool['function']['arguments'] + '\n' + '` + "```" + `' + '<｜tool▁call▁end｜>'}}{%- set ns.is_first = true -%}{%- else %}{{'\n' + '<｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\n' + '` + "```json" + `' + '\n' + tool['function']['arguments'] + '\n' + '` + "```" + `' + '<｜tool▁call▁end｜>'}}{{'<｜tool▁calls▁end｜><｜end▁of▁sentence｜>'}}{%- endif %}{%- endfor %}{%- endif %}{%- if message['role'] == 'assistant' and message['content'] is not none %}{%- if ns.is_tool %}{{'<｜tool▁outputs▁end｜>' + message['content'] + '<｜end▁of▁sentence｜>'}}{%- set ns.is_tool = false -%}{%- else %}{% set content = message['content'] %}{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endif %}{%- if message['role'] == 'tool' %}{%- set ns.is_tool = true -%}{%- if ns.is_output_first %}{{'<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}{%- set ns.is_output_first = false %}{%- else %}{{'\n<｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}{%- endif %}{%- endif %}{%- endfor -%}{% if ns.is_tool %}{{'<｜tool▁outputs▁end｜>'}}{% endif %}{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜><think>\n'}}{% endif %}`

const r1BOS = "<｜begin▁of▁sentence｜>"

// r1Tokenizer is a char-level tokenizer carrying R1-Distill's special
// tokens and chat template, with <｜begin▁of▁sentence｜> as BOS and
// <｜end▁of▁sentence｜> as EOS (as its tokenizer_config.json names them).
type r1Tokenizer struct{ *tokenizer.CharLevel }

func (t r1Tokenizer) Special() tokenizer.Special {
	sp := t.CharLevel.Special()
	sp.BOS, _ = t.TokenID(r1BOS)
	return sp
}

func newR1Tokenizer(t testing.TB) r1Tokenizer {
	t.Helper()
	tok, err := tokenizer.NewCharLevel(tokenizer.CharConfig{
		Specials:     []string{r1EOS, r1BOS, r1User, r1Assistant, tokenizer.ThinkStart, tokenizer.ThinkEnd},
		Alphabet:     "0123456789+-*=()\\{} \nabcdefghijklmnopqrstuvwxyz?.",
		EOS:          r1EOS,
		ChatTemplate: r1ChatTemplate,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r1Tokenizer{tok}
}

// TestR1TemplateRender renders conversations the way the template above
// does (expected strings written out by hand from it).
func TestR1TemplateRender(t *testing.T) {
	tok := newR1Tokenizer(t)
	tmpl, err := oaiNewTemplate(ChatTemplateAuto, tok)
	if err != nil {
		t.Fatal(err)
	}
	if tmpl.name != ChatTemplateDeepSeekR1 {
		t.Fatalf("auto picked %q for R1's chat_template", tmpl.name)
	}
	for _, c := range []struct {
		name    string
		msgs    []oaiMessage
		addGen  bool
		cont    bool
		prefill string
		prompt  string
		turn    string
	}{
		{"one question", []oaiMessage{{"user", "what is 2+2?"}}, true, false, "",
			r1BOS + "<｜User｜>what is 2+2?<｜Assistant｜><think>\n", "<think>\n"},
		{"system first, last system wins", []oaiMessage{{"system", "be brief"}, {"user", "hi"}, {"system", "be terse"}}, true, false, "",
			r1BOS + "be terse<｜User｜>hi<｜Assistant｜><think>\n", "<think>\n"},
		{"multi-turn drops earlier thoughts", []oaiMessage{
			{"user", "1+1?"}, {"assistant", "<think>\none plus one\n</think>\n\n2"}, {"user", "times 3?"}}, true, false, "",
			r1BOS + "<｜User｜>1+1?<｜Assistant｜>\n\n2<｜end▁of▁sentence｜><｜User｜>times 3?<｜Assistant｜><think>\n", "<think>\n"},
		{"no generation prompt", []oaiMessage{{"user", "q"}}, false, false, "",
			r1BOS + "<｜User｜>q", ""},
		{"prefill", []oaiMessage{{"user", "q"}}, true, false, "okay, ",
			r1BOS + "<｜User｜>q<｜Assistant｜><think>\nokay, ", "<think>\nokay, "},
		{"continue final message", []oaiMessage{{"user", "q"}, {"assistant", "<think>\nso far"}}, false, true, "",
			r1BOS + "<｜User｜>q<｜Assistant｜><think>\nso far", "<think>\nso far"},
	} {
		t.Run(c.name, func(t *testing.T) {
			prompt, turn := tmpl.render(c.msgs, c.addGen, c.cont, c.prefill)
			if prompt != c.prompt || turn != c.turn {
				t.Errorf("render = %q, turn %q\nwant     %q, turn %q", prompt, turn, c.prompt, c.turn)
			}
		})
	}
	// Without the markers in the vocabulary the template is refused.
	if _, err := oaiNewTemplate(ChatTemplateDeepSeekR1, oaiTestTokenizer(t)); err == nil || !strings.Contains(err.Error(), r1User) {
		t.Errorf("deepseek-r1 on a tokenizer without <｜User｜>: %v", err)
	}
}

// TestR1ServeChat serves a random qwen2 model with R1's tokenizer and
// template: the prompt is the rendered template, the output opens inside
// the thought, stops at <｜end▁of▁sentence｜> by default, and the reasoning
// parser splits it at the first </think>.
func TestR1ServeChat(t *testing.T) {
	tok := newR1Tokenizer(t)
	m := oaiTestModel(t, tok, func(c *model.Config) {
		c.ModelType, c.Architectures, c.HeadDim = model.ModelQwen2, []string{"Qwen2ForCausalLM"}, 0
	})
	_, ts := oaiTestServer(t, func(o *Options) {
		o.Model, o.Tokenizer, o.ReasoningParser = m, tok, true
	})
	eos, _ := tok.TokenID(r1EOS)
	srv, err := New(Options{Model: m, Tokenizer: tok})
	if err != nil {
		t.Fatal(err)
	}
	if srv.ChatTemplate() != ChatTemplateDeepSeekR1 || !slices.Contains(srv.Options().StopTokens, eos) {
		t.Fatalf("template %q, stops %v (want %d among them)", srv.ChatTemplate(), srv.Options().StopTokens, eos)
	}
	srv.Close()
	var resp map[string]any
	code := oaiPost(t, ts.URL+"/v1/chat/completions", map[string]any{
		"model": "tiny", "messages": []map[string]string{{"role": "user", "content": "1+2?"}},
		"max_tokens": 40, "seed": 3, "temperature": 1, "ignore_eos": true, "return_token_ids": true,
	}, &resp)
	if code != 200 {
		t.Fatalf("status %d: %v", code, resp)
	}
	want := tok.Encode(r1BOS + "<｜User｜>1+2?<｜Assistant｜><think>\n")
	var got []int32
	for _, v := range resp["prompt_token_ids"].([]any) {
		got = append(got, int32(v.(float64)))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("prompt ids %v, want %v", got, want)
	}
	choice := resp["choices"].([]any)[0].(map[string]any)
	msg := choice["message"].(map[string]any)
	var ids []int32
	for _, v := range choice["token_ids"].([]any) {
		ids = append(ids, int32(v.(float64)))
	}
	text := tok.Decode(ids)
	wantR, wantC, _ := oaiSplitReasoning(text, true)
	// The field is reasoning_content or, for current vLLM clients, reasoning.
	r, ok := msg["reasoning_content"].(string)
	if !ok {
		r, ok = msg["reasoning"].(string)
	}
	if !ok || r != wantR || msg["content"] != wantC {
		t.Errorf("message %v; want reasoning %q, content %q", msg, wantR, wantC)
	}
}

// r1AddBOSTokenizer is r1Tokenizer with tokenizer_config.json's
// "add_bos_token": true, as DeepSeek-R1-Distill-Qwen ships it.
type r1AddBOSTokenizer struct{ r1Tokenizer }

func (t r1AddBOSTokenizer) Special() tokenizer.Special {
	sp := t.r1Tokenizer.Special()
	sp.AddBOS = true
	return sp
}

// TestR1CompletionsAddBOS: R1-Distill sets add_bos_token, so vLLM's
// /v1/completions (add_special_tokens defaults to true,
// vllm/entrypoints/openai/completion/protocol.py at d5dba2d7) and /tokenize
// (TokenizeCompletionRequest, same default) start a text prompt with BOS.
// terse used to send the bare text: the model saw a prompt it was never
// trained on. Token-id prompts, add_special_tokens false and tokenizers
// without add_bos_token are left as they are.
func TestR1CompletionsAddBOS(t *testing.T) {
	base := newR1Tokenizer(t)
	tok := r1AddBOSTokenizer{base}
	m := oaiTestModel(t, tok, func(c *model.Config) {
		c.ModelType, c.Architectures, c.HeadDim = model.ModelQwen2, []string{"Qwen2ForCausalLM"}, 0
	})
	_, ts := oaiTestServer(t, func(o *Options) { o.Model, o.Tokenizer = m, tok })
	_, plain := oaiTestServer(t, func(o *Options) { o.Model, o.Tokenizer = m, base })
	bos, _ := tok.TokenID(r1BOS)
	text := "1+2?"
	ids := base.Encode(text)
	withBOS := append([]int32{bos}, ids...)
	promptIDs := func(url string, body map[string]any) ([]int32, int) {
		t.Helper()
		body["model"], body["max_tokens"], body["return_token_ids"] = "tiny", 2, true
		var resp struct {
			Choices []struct {
				PromptTokenIDs []int32 `json:"prompt_token_ids"`
			} `json:"choices"`
			Usage struct {
				PromptTokens int `json:"prompt_tokens"`
			} `json:"usage"`
		}
		if code := oaiPost(t, url+"/v1/completions", body, &resp); code != 200 || len(resp.Choices) != 1 {
			t.Fatalf("%v: HTTP %d %+v", body, code, resp)
		}
		return resp.Choices[0].PromptTokenIDs, resp.Usage.PromptTokens
	}
	for _, c := range []struct {
		name string
		url  string
		body map[string]any
		want []int32
	}{
		{"text prompt", ts.URL, map[string]any{"prompt": text}, withBOS},
		{"list of text prompts", ts.URL, map[string]any{"prompt": []string{text}}, withBOS},
		{"add_special_tokens false", ts.URL, map[string]any{"prompt": text, "add_special_tokens": false}, ids},
		{"token ids as sent", ts.URL, map[string]any{"prompt": ids}, ids},
		{"no add_bos_token", plain.URL, map[string]any{"prompt": text}, ids},
	} {
		got, n := promptIDs(c.url, c.body)
		if !slices.Equal(got, c.want) || n != len(c.want) {
			t.Errorf("%s: prompt_token_ids %v (usage %d), want %v", c.name, got, n, c.want)
		}
	}
	for _, c := range []struct {
		add  any
		want []int32
	}{{nil, withBOS}, {true, withBOS}, {false, ids}} {
		body := map[string]any{"model": "tiny", "prompt": text}
		if c.add != nil {
			body["add_special_tokens"] = c.add
		}
		var resp struct {
			Tokens []int32 `json:"tokens"`
		}
		if code := oaiPost(t, ts.URL+"/tokenize", body, &resp); code != 200 || !slices.Equal(resp.Tokens, c.want) {
			t.Errorf("/tokenize add_special_tokens=%v: HTTP %d %v, want %v", c.add, code, resp.Tokens, c.want)
		}
	}
}
