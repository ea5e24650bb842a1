// Package demo runs terse's main job, the lab reproduction of the paper
// (PAPER.md §5): starting from a base reasoner (the shipped lab base model or
// any checkpoint), it trains a table of GRPO runs with fixed seeds, evaluates
// every run across the lab's token-budget ladder, decides for each of the
// paper's findings whether the lab reproduces it (Verdict, by rules written
// in code beside each claim), and writes results.json plus one
// self-contained HTML report.
//
//   - profile.go: the compute sizing (Profile: Quick, Default), the one place
//     that sets steps, group sizes and set sizes.
//   - experiments.go: the runs (rl config overrides) and the findings that
//     share them; the baseline truncation run is trained once and reused.
//   - verdict.go: the claims and the rules that decide them.
//   - run.go: orchestration, caching and resume (one subdirectory per run),
//     the progress bar; eval.go: the budget-ladder evaluation.
//   - results.go: the results.json schema (versioned); html.go: the report
//     (charts drawn by package chart); check.go: Check, the CI validation
//     of an output directory.
//   - seeds.go: RunSeeds, the whole demo once per training seed (one
//     subdirectory each) and each finding's verdict over the seeds.
//
// demo imports lab, rl, eval/metrics, grade and engine; only cmd/terse
// imports it.
package demo
