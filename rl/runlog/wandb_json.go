package runlog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
)

// parseWandbJSON reads a run history saved as one JSON document: an array
// of row objects (run.history().to_json(orient="records"), or
// json.dump(list(run.scan_history()))) or an object of columns, each a map
// from row index to value (pandas' default orient="columns").
func parseWandbJSON(data []byte, name string) ([]raw, error) {
	t := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\ufeff")))
	var rows []map[string]json.RawMessage
	if len(t) > 0 && t[0] == '[' {
		if err := json.Unmarshal(t, &rows); err != nil {
			return nil, fmt.Errorf("runlog: %s: want an array of row objects: %w", name, err)
		}
	} else {
		var cols map[string]map[string]json.RawMessage
		if err := json.Unmarshal(t, &cols); err != nil {
			return nil, fmt.Errorf("runlog: %s: want an object of columns: %w", name, err)
		}
		byIndex := map[int]map[string]json.RawMessage{}
		for col, vals := range cols {
			for idx, v := range vals {
				i, err := strconv.Atoi(idx)
				if err != nil {
					return nil, fmt.Errorf("runlog: %s: column %q: row index %q is not a number", name, col, idx)
				}
				if byIndex[i] == nil {
					byIndex[i] = map[string]json.RawMessage{}
				}
				byIndex[i][col] = v
			}
		}
		idx := make([]int, 0, len(byIndex))
		for i := range byIndex {
			idx = append(idx, i)
		}
		sort.Ints(idx)
		for _, i := range idx {
			rows = append(rows, byIndex[i])
		}
	}
	recs := make([]raw, 0, len(rows))
	for i, row := range rows {
		r := raw{line: i + 1, metrics: map[string]float64{}}
		if err := flattenJSON(&r, "", row, false); err != nil {
			return nil, fmt.Errorf("runlog: %s: row %d: %w", name, i, err)
		}
		recs = append(recs, r)
	}
	return recs, nil
}

// isColumns reports whether a JSON object is a pandas orient="columns"
// table: every value an object keyed by row numbers.
func isColumns(doc map[string]json.RawMessage) bool {
	if len(doc) == 0 {
		return false
	}
	for _, v := range doc {
		var col map[string]json.RawMessage
		if json.Unmarshal(v, &col) != nil || len(col) == 0 {
			return false
		}
		for k := range col {
			if _, err := strconv.Atoi(k); err != nil {
				return false
			}
			break
		}
	}
	return true
}
