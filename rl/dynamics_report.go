package rl

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
)

// DynamicsOptions are the inputs of terse dynamics.
type DynamicsOptions struct {
	Log      string          // training log: terse's steps.jsonl or any format ReadRunFile reads
	Read     ReadOptions     // format and column overrides
	Diagnose DiagnoseOptions // target length, staleness, thresholds
	JSON     bool            // write the Diagnosis as JSON instead of text
	HTML     string          // also write RenderDynamicsHTML to this path ("" = no)
}

// ReportDynamics reads opt.Log, diagnoses it and writes the diagnosis to w
// (text or JSON), and the HTML page to opt.HTML when set.
func ReportDynamics(w io.Writer, opt DynamicsOptions) error {
	steps, info, err := ReadRunFile(opt.Log, opt.Read)
	if err != nil {
		return err
	}
	if len(steps) == 0 {
		return fmt.Errorf("rl: %s: no step records", opt.Log)
	}
	d := Diagnose(steps, opt.Diagnose)
	d.Log = &info
	if opt.HTML != "" {
		f, err := os.Create(opt.HTML)
		if err != nil {
			return fmt.Errorf("rl: %w", err)
		}
		if err := RenderDynamicsHTML(f, steps, d); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("rl: %w", err)
		}
	}
	if opt.JSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(d); err != nil {
			return fmt.Errorf("rl: encoding diagnosis: %w", err)
		}
		return nil
	}
	return d.WriteText(w)
}

// FollowDynamics is terse dynamics --follow: it watches opt.Log as it grows
// (Follow, polled every interval) and writes each finding once, as soon as
// it is detected: a line of text (FormatFinding), or with opt.JSON one JSON
// object per line. It returns nil when ctx ends (Ctrl-C).
func FollowDynamics(ctx context.Context, w io.Writer, opt DynamicsOptions, interval time.Duration) error {
	var werr error
	err := Follow(ctx, opt.Log, FollowOptions{Read: opt.Read, Diagnose: opt.Diagnose, Interval: interval}, func(f Finding) {
		if werr != nil {
			return
		}
		if opt.JSON {
			werr = json.NewEncoder(w).Encode(f)
		} else {
			_, werr = fmt.Fprintln(w, FormatFinding(f))
		}
	})
	if err != nil {
		return err
	}
	if werr != nil {
		return fmt.Errorf("rl: writing findings: %w", werr)
	}
	return nil
}
