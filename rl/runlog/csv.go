package runlog

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// parseCSV reads a table with a header row. wandb's CSV export names each
// column "<run name> - <metric>" and adds <metric>__MIN / __MAX columns
// (dropped here); a Trainer table saved as CSV has "Step", "Training Loss"
// and TRL's "rewards / <fn> / mean" headers (see columnName).
func parseCSV(data []byte, name string) ([]raw, error) {
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("runlog: %s: reading the CSV header: %w", name, err)
	}
	cols := make([]string, len(header))
	for i, h := range header {
		cols[i] = columnName(h)
	}
	var recs []raw
	for ln := 2; ; ln++ {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("runlog: %s:%d: %w", name, ln, err)
		}
		if r, ok := tableRow(cols, row, ln); ok {
			recs = append(recs, r)
		}
	}
	return recs, nil
}

// tableRow turns one row of cells under cols into a record; it reports
// false for a row with no value at all.
func tableRow(cols, cells []string, ln int) (raw, bool) {
	r := raw{line: ln, metrics: map[string]float64{}}
	for i, cell := range cells {
		if i >= len(cols) || cols[i] == "" {
			continue
		}
		cell = strings.TrimSpace(cell)
		if x, err := strconv.ParseFloat(cell, 64); err == nil {
			r.metrics[cols[i]] = x
		} else if x, ok := pyNumber(cell); ok {
			r.metrics[cols[i]] = x
		}
		// Anything else ("No log", "", a date) is not a metric.
	}
	return r, len(r.metrics) > 0
}

// columnName cleans a table header: wandb's "<run> - " prefix goes, its
// __MIN/__MAX columns become "" (skipped), the Trainer's display names map
// back to its log keys ("Training Loss" → loss, "Validation Loss" →
// eval_loss) and " / " (how a notebook table spaces TRL's key parts) becomes
// "/".
func columnName(h string) string {
	h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
	if i := strings.LastIndex(h, " - "); i >= 0 {
		h = strings.TrimSpace(h[i+3:])
	}
	if strings.HasSuffix(h, "__MIN") || strings.HasSuffix(h, "__MAX") {
		return ""
	}
	switch h {
	case "Training Loss":
		return "loss"
	case "Validation Loss":
		return "eval_loss"
	}
	return strings.ReplaceAll(h, " / ", "/")
}
