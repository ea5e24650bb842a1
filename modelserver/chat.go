package modelserver

import (
	"fmt"
	"strings"

	"github.com/terse-dev/terse/engine/tokenizer"
)

// oaiMessage is one chat message with its content flattened to text.
type oaiMessage struct {
	Role    string
	Content string
}

// oaiTemplate renders chat messages into a prompt.
type oaiTemplate struct {
	name string // ChatTemplatePlain, ChatTemplateQwen or ChatTemplateDeepSeekR1
	bos  string // deepseek-r1: the tokenizer's BOS token text ("" without one)
}

// DeepSeek-R1's chat markers (fullwidth bars ｜ and the ▁ of its BPE).
const (
	r1User      = "<｜User｜>"
	r1Assistant = "<｜Assistant｜>"
	r1EOS       = "<｜end▁of▁sentence｜>"
)

// oaiNewTemplate resolves name (ChatTemplateAuto from the tokenizer's own
// chat template) and checks that the tokenizer can encode its markers.
func oaiNewTemplate(name string, tok tokenizer.Tokenizer) (oaiTemplate, error) {
	if name == ChatTemplateAuto {
		name = ChatTemplatePlain
		if ct, ok := tok.(interface{ ChatTemplate() string }); ok {
			switch {
			case strings.Contains(ct.ChatTemplate(), "<|im_start|>"):
				name = ChatTemplateQwen
			case strings.Contains(ct.ChatTemplate(), r1Assistant):
				name = ChatTemplateDeepSeekR1
			}
		}
	}
	t := oaiTemplate{name: name}
	switch name {
	case ChatTemplatePlain:
	case ChatTemplateDeepSeekR1:
		for _, m := range []string{r1User, r1Assistant, r1EOS} {
			if _, ok := tok.TokenID(m); !ok {
				return oaiTemplate{}, fmt.Errorf("chat template %q needs the token %s, which the tokenizer lacks", name, m)
			}
		}
		if bos := tok.Special().BOS; bos >= 0 {
			t.bos = tok.Decode([]int32{bos})
		}
	case ChatTemplateQwen:
		for _, t := range []string{"<|im_start|>", "<|im_end|>"} {
			if _, ok := tok.TokenID(t); !ok {
				return oaiTemplate{}, fmt.Errorf("chat template %q needs the token %s, which the tokenizer lacks", name, t)
			}
		}
	default:
		return oaiTemplate{}, fmt.Errorf("unknown chat template %q (want one of %s)", name, strings.Join(ChatTemplates(), ", "))
	}
	return t, nil
}

// render returns the prompt for msgs and the text of the assistant turn the
// model continues (the prefill, or the final assistant message when
// cont is set), which decides whether the output opens inside <think>.
//
// With cont, the final message must be the assistant's and is left open (no
// end marker, no generation prompt): vLLM's continue_final_message. Else,
// with addGen, the assistant's generation prompt and prefill follow.
func (t oaiTemplate) render(msgs []oaiMessage, addGen, cont bool, prefill string) (prompt, turn string) {
	if t.name == ChatTemplateDeepSeekR1 {
		return t.renderR1(msgs, addGen, cont, prefill)
	}
	var b strings.Builder
	last := len(msgs) - 1
	for i, m := range msgs {
		open := cont && i == last
		switch t.name {
		case ChatTemplateQwen:
			b.WriteString("<|im_start|>" + m.Role + "\n" + m.Content)
			if !open {
				b.WriteString("<|im_end|>\n")
			}
		default: // plain: contents only, as the char-level default template
			b.WriteString(m.Content)
		}
		if open {
			turn = m.Content
		}
	}
	if !cont && addGen {
		if t.name == ChatTemplateQwen {
			b.WriteString("<|im_start|>assistant\n")
		}
		b.WriteString(prefill)
		turn = prefill
	}
	return b.String(), turn
}

// renderR1 is DeepSeek-R1-Distill's tokenizer_config.json chat_template for
// text messages (tools are not supported): bos_token, then the LAST system
// message (the template keeps `ns.system_prompt = message['content']`),
// then "<｜User｜>"+content per user message and
// "<｜Assistant｜>"+content+"<｜end▁of▁sentence｜>" per assistant message,
// whose content is cut to what follows its last </think>
// (`content.split('</think>')[-1]`); the generation prompt is
// "<｜Assistant｜><think>\n", so the output starts inside the thought. A
// "developer" message counts as a system message (the template knows no
// such role). With cont the final assistant message is left open, verbatim.
func (t oaiTemplate) renderR1(msgs []oaiMessage, addGen, cont bool, prefill string) (prompt, turn string) {
	var b strings.Builder
	system := ""
	for _, m := range msgs {
		if m.Role == "system" || m.Role == "developer" {
			system = m.Content
		}
	}
	b.WriteString(t.bos + system)
	last := len(msgs) - 1
	for i, m := range msgs {
		switch m.Role {
		case "user":
			b.WriteString(r1User + m.Content)
		case "assistant":
			if cont && i == last {
				b.WriteString(r1Assistant + m.Content)
				turn = m.Content
				continue
			}
			content := m.Content
			if j := strings.LastIndex(content, tokenizer.ThinkEnd); j >= 0 {
				content = content[j+len(tokenizer.ThinkEnd):]
			}
			b.WriteString(r1Assistant + content + r1EOS)
		}
	}
	if !cont && addGen {
		b.WriteString(r1Assistant + tokenizer.ThinkStart + "\n" + prefill)
		turn = tokenizer.ThinkStart + "\n" + prefill
	}
	return b.String(), turn
}

// oaiThinkOpen reports whether the assistant turn so far leaves a <think>
// block open, so that the output starts inside the reasoning.
func oaiThinkOpen(turn string) bool {
	i := strings.LastIndex(turn, tokenizer.ThinkStart)
	return i >= 0 && !strings.Contains(turn[i:], tokenizer.ThinkEnd)
}

// oaiSplitReasoning splits a chat output into reasoning and content, as
// vLLM's reasoning parsers do for a thinking turn: the output is a thought
// when the assistant turn left a <think> block open (thinkOpen, e.g. a
// "<think>" prefill) or the output starts with <think> (stripped). A thought
// runs to the first </think>; the text after it is the content. A thought
// without </think> (truncated) is all reasoning. Any other output is all
// content (hasReasoning false). Streaming applies the same rule to each
// prefix, so the streamed deltas add up to these two strings.
func oaiSplitReasoning(text string, thinkOpen bool) (reasoning, content string, hasReasoning bool) {
	startsThink := strings.HasPrefix(text, tokenizer.ThinkStart)
	if !thinkOpen && !startsThink {
		return "", text, false
	}
	text = strings.TrimPrefix(text, tokenizer.ThinkStart)
	if i := strings.Index(text, tokenizer.ThinkEnd); i >= 0 {
		return text[:i], text[i+len(tokenizer.ThinkEnd):], true
	}
	return text, "", true
}
