package runlog

import "strings"

// parseTRLConsole reads what a transformers Trainer prints: its
// ProgressCallback writes str(logs) for each logging step
// (transformers/trainer_callback.py, on_log), a Python dict with "loss",
// "grad_norm", "learning_rate", TRL's metrics and "epoch" but without the
// step, so records are numbered by position. An evaluation dict (every key
// "eval_…") and the closing summary (train_runtime, …) attach to the step
// logged before them. Lines that are not a dict (progress bars, warnings)
// are skipped; a line that starts like a dict but does not parse is an
// error.
func parseTRLConsole(data []byte, name string) ([]raw, int, error) {
	first := true
	return consoleLines(data, name, func(ln int, line string) (raw, bool, error) {
		// tqdm may leave a progress bar before the dict on the same line.
		if i := strings.Index(line, "{'"); i > 0 {
			line = line[i:]
		}
		if !strings.HasPrefix(line, "{'") || !strings.HasSuffix(line, "}") {
			return raw{}, false, nil
		}
		m, err := pyDict(line)
		if err != nil {
			return raw{}, false, err
		}
		attach := !first
		for k := range m {
			if !strings.HasPrefix(k, "eval_") && !strings.HasPrefix(k, "train_") && k != "epoch" && k != "total_flos" {
				attach = false
				break
			}
		}
		first = false
		return raw{line: ln, metrics: m, attach: attach}, true, nil
	})
}
