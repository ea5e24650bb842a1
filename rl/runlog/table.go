package runlog

import (
	"fmt"
	"html"
	"regexp"
	"strings"
)

// parseTable reads the per-step table a transformers Trainer shows in a
// notebook (transformers/utils/notebook.py, NotebookTrainingTracker): a
// "Step" column, "Training Loss", then the logged metrics, TRL's spelled
// with " / " ("rewards / accuracy_reward / mean" in TRL ≥ 0.17,
// "rewards / accuracy_reward" before; "completion_length" before 0.17,
// "completions / mean_length" and "completions / clipped_ratio" after).
// Copied from a notebook it arrives as text, the cells separated by tabs,
// by "|" (Markdown) or by runs of two or more spaces; saved with the page
// it is an HTML <table>. Rows are numbered by their line (HTML: by row).
func parseTable(data []byte, name string) ([]raw, error) {
	s := string(data)
	if strings.Contains(s, "<table") {
		return parseHTMLTable(s, name)
	}
	var cols []string
	var split func(string) []string
	var recs []raw
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimRight(strings.TrimPrefix(line, "\ufeff"), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if cols == nil {
			if !isTableHeader(strings.TrimSpace(line)) {
				continue // text above the table
			}
			split = cellSplitter(line)
			for _, h := range split(line) {
				cols = append(cols, columnName(h))
			}
			continue
		}
		if markdownRule.MatchString(line) {
			continue
		}
		if r, ok := tableRow(cols, split(line), i+1); ok {
			recs = append(recs, r)
		}
	}
	if cols == nil {
		return nil, fmt.Errorf("runlog: %s: no table header starting with \"Step\"", name)
	}
	return recs, nil
}

var (
	tableHeader  = regexp.MustCompile(`^\|?\s*Step(\t|\s*\||\s{2,})`)
	markdownRule = regexp.MustCompile(`^\s*\|?\s*:?-{3,}`)
	spaces2      = regexp.MustCompile(`\s{2,}`)
	htmlRow      = regexp.MustCompile(`(?is)<tr[^>]*>(.*?)</tr>`)
	htmlCell     = regexp.MustCompile(`(?is)<t([hd])[^>]*>(.*?)</t[hd]>`)
	htmlTag      = regexp.MustCompile(`(?s)<[^>]*>`)
)

func isTableHeader(line string) bool { return tableHeader.MatchString(line) }

// cellSplitter picks how the header's cells are separated.
func cellSplitter(header string) func(string) []string {
	switch {
	case strings.Contains(header, "\t"):
		return func(s string) []string { return strings.Split(s, "\t") }
	case strings.HasPrefix(strings.TrimSpace(header), "|") || strings.Contains(header, " | "):
		return func(s string) []string {
			s = strings.TrimSpace(s)
			s = strings.TrimSuffix(strings.TrimPrefix(s, "|"), "|")
			return strings.Split(s, "|")
		}
	}
	return func(s string) []string { return spaces2.Split(strings.TrimSpace(s), -1) }
}

func parseHTMLTable(s, name string) ([]raw, error) {
	var cols []string
	var recs []raw
	for i, m := range htmlRow.FindAllStringSubmatch(s, -1) {
		var cells []string
		header := false
		for _, c := range htmlCell.FindAllStringSubmatch(m[1], -1) {
			header = header || strings.EqualFold(c[1], "h")
			cells = append(cells, strings.TrimSpace(html.UnescapeString(htmlTag.ReplaceAllString(c[2], ""))))
		}
		if cols == nil {
			if header && len(cells) > 0 && cells[0] == "Step" {
				for _, h := range cells {
					cols = append(cols, columnName(h))
				}
			}
			continue
		}
		if r, ok := tableRow(cols, cells, i+1); ok {
			recs = append(recs, r)
		}
	}
	if cols == nil {
		return nil, fmt.Errorf("runlog: %s: no HTML table with a \"Step\" header", name)
	}
	return recs, nil
}
