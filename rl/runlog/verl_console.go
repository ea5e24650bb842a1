package runlog

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// verl's console logger (verl/utils/logger/aggregate_logger.py,
// concat_dict_to_str) prints each logged dict as
//
//	step:12 - actor/entropy:0.53 - response_length/mean:np.float64(812.5) - …
//
// joining "key:pprint.pformat(value)" with " - " and keeping only numbers
// (so numpy scalars print as np.float64(…) under numpy 2). Under Ray the
// line is prefixed by the driver task, "(main_task pid=1234)" in older verl,
// "(TaskRunner pid=1234, ip=10.0.0.2)" now, usually in colour, and Ray may
// append " [repeated 2x across cluster]". Keys may hold parentheses (old
// verl's "critic/lr(1e-4)") but no " - "; values hold no colon, so each
// segment splits at its last colon.
var (
	verlLine    = regexp.MustCompile(`^step:(-?\d+)(?:$| - )`)
	ansi        = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)
	rayPrefix   = regexp.MustCompile(`^\([^()]*pid=\d+[^()]*\)\s*`)
	rayRepeat   = regexp.MustCompile(`\s*\[repeated \d+x across cluster\]\s*$`)
	pyWrapped   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*\((.*)\)$`)
	pyKwargTail = regexp.MustCompile(`,\s*[A-Za-z_]+=.*$`)
)

func stripANSI(s string) string {
	if !strings.Contains(s, "\x1b") {
		return s
	}
	return ansi.ReplaceAllString(s, "")
}

func stripRayPrefix(s string) string {
	return rayPrefix.ReplaceAllString(s, "")
}

// pyNumber parses a Python scalar as printed by repr/pformat: ints, floats
// (nan, inf), booleans, and wrapped scalars such as np.float64(0.5) or
// tensor(0.5, device='cuda:0').
func pyNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	for range 3 {
		m := pyWrapped.FindStringSubmatch(s)
		if m == nil {
			break
		}
		s = strings.TrimSpace(pyKwargTail.ReplaceAllString(m[1], ""))
	}
	switch s {
	case "True":
		return 1, true
	case "False":
		return 0, true
	}
	x, err := strconv.ParseFloat(s, 64)
	return x, err == nil
}

func parseVerlConsole(data []byte, name string) ([]raw, int, error) {
	return consoleLines(data, name, func(ln int, line string) (raw, bool, error) {
		line = rayRepeat.ReplaceAllString(stripRayPrefix(line), "")
		m := verlLine.FindStringSubmatch(line)
		if m == nil {
			return raw{}, false, nil
		}
		step, err := strconv.Atoi(m[1])
		if err != nil {
			return raw{}, false, fmt.Errorf("step %q: %w", m[1], err)
		}
		r := raw{step: step, hasStep: true, line: ln, metrics: map[string]float64{}}
		for _, seg := range strings.Split(line, " - ")[1:] {
			i := strings.LastIndexByte(seg, ':')
			if i <= 0 {
				continue // a fragment of a cut line
			}
			if x, ok := pyNumber(seg[i+1:]); ok {
				r.metrics[strings.TrimSpace(seg[:i])] = x
			}
		}
		return r, true, nil
	})
}

// consoleLines runs parse on each non-blank line of a console log, colour
// codes removed; parse reports whether the line holds a record. Lines that
// do not are counted as skipped; parse's error is wrapped with name:line.
func consoleLines(data []byte, name string, parse func(ln int, line string) (raw, bool, error)) ([]raw, int, error) {
	var recs []raw
	skipped := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for ln := 1; sc.Scan(); ln++ {
		line := strings.TrimSpace(stripANSI(sc.Text()))
		if line == "" {
			continue
		}
		r, ok, err := parse(ln, line)
		if err != nil {
			return nil, 0, fmt.Errorf("runlog: %s:%d: %w", name, ln, err)
		}
		if !ok {
			skipped++
			continue
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("runlog: %s: %w", name, err)
	}
	return recs, skipped, nil
}
