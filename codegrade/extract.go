package codegrade

import "strings"

// Extraction turns a raw completion into the program to run:
//
//  1. Strip the thinking: keep the text after the last "</think>". A
//     "<think>" that is never closed means the model never reached its
//     answer (unterminated_think).
//  2. Find the fenced code blocks (``` or ~~~, CommonMark style: a closing
//     fence uses the opening character at least as many times). The last
//     block tagged python (python, python3, py) wins; else the last
//     untagged block. Blocks tagged with another language are never run.
//     An opening fence without its closing fence is not a block, and (as
//     in CommonMark, where it runs to the end) hides every fence after it.
//
// LiveCodeBench takes the text between the last two fence lines of the
// whole output (lcb_runner/utils/extraction_utils.py); terse differs in
// skipping the thinking first and in preferring a python-tagged block, so
// that a final block of sample output is not run as the program.

// pythonTags are the info strings of a fenced block taken as Python.
var pythonTags = []string{"python", "python3", "py", "py3"}

// Extract returns the program of a raw completion, or "" and a reason
// (NoCode, UnterminatedThink).
func Extract(response string) (program string, reason Reason) {
	text, ok := stripThinking(response)
	if !ok {
		return "", UnterminatedThink
	}
	var tagged, untagged string
	var haveTagged, haveUntagged bool
	for _, b := range fencedBlocks(text) {
		switch {
		case isPython(b.info):
			tagged, haveTagged = b.body, true
		case b.info == "":
			untagged, haveUntagged = b.body, true
		}
	}
	switch {
	case haveTagged && strings.TrimSpace(tagged) != "":
		return tagged, ""
	case haveUntagged && strings.TrimSpace(untagged) != "":
		return untagged, ""
	}
	return "", NoCode
}

// stripThinking returns the text after the last "</think>", or ok = false
// if a "<think>" is left open.
func stripThinking(s string) (string, bool) {
	if i := strings.LastIndex(s, "</think>"); i >= 0 {
		s = s[i+len("</think>"):]
	}
	if strings.Contains(s, "<think>") {
		return "", false
	}
	return s, true
}

// block is one fenced code block.
type block struct {
	info string // first word of the info string, lower case ("" if none)
	body string
}

// fencedBlocks returns the closed fenced blocks of text in order.
func fencedBlocks(text string) []block {
	var out []block
	lines := strings.SplitAfter(text, "\n")
	for i := 0; i < len(lines); i++ {
		ch, n, info, ok := openingFence(lines[i])
		if !ok {
			continue
		}
		closed := false
		for j := i + 1; j < len(lines); j++ {
			if closingFence(lines[j], ch, n) {
				out = append(out, block{info: info, body: strings.Join(lines[i+1:j], "")})
				i, closed = j, true
				break
			}
		}
		if !closed {
			// CommonMark: an unclosed fence runs to the end of the text, so
			// nothing after it is a block (and the scan stays linear).
			break
		}
	}
	return out
}

// openingFence parses a fence line: up to three spaces, three or more
// backticks or tildes, an optional info string.
func openingFence(line string) (ch byte, n int, info string, ok bool) {
	s := strings.TrimRight(line, "\r\n")
	t := strings.TrimLeft(s, " ")
	if len(s)-len(t) > 3 || len(t) < 3 || (t[0] != '`' && t[0] != '~') {
		return 0, 0, "", false
	}
	ch = t[0]
	for n < len(t) && t[n] == ch {
		n++
	}
	if n < 3 {
		return 0, 0, "", false
	}
	rest := strings.TrimSpace(t[n:])
	if ch == '`' && strings.Contains(rest, "`") {
		return 0, 0, "", false
	}
	if f := strings.Fields(rest); len(f) > 0 {
		info = strings.ToLower(strings.Trim(f[0], "{}."))
	}
	return ch, n, info, true
}

// closingFence reports whether line closes a block opened by n × ch: up to
// three spaces, at least n × ch, nothing else but trailing spaces.
func closingFence(line string, ch byte, n int) bool {
	s := strings.TrimRight(line, " \t\r\n")
	t := strings.TrimLeft(s, " ")
	if len(s)-len(t) > 3 || len(t) < n {
		return false
	}
	return strings.Count(t, string(ch)) == len(t)
}

func isPython(info string) bool {
	for _, t := range pythonTags {
		if info == t {
			return true
		}
	}
	return false
}
