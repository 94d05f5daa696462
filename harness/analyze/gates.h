/*
 * Release qualification: `kvmbench gates CAMPAIGN --gates FILE` checks a
 * campaign against the gates of an INI file and writes JUnit XML, one
 * testcase per point and per gate.
 *
 *   [gates]
 *   all_pass = yes         ; every point's measured runs pass
 *   allow_skip = yes       ; points the host cannot run (skipped) do not fail
 *   baseline = tag:rel-1   ; no metric regressed against this campaign
 *   threshold = 5%         ; for the baseline comparison
 *   sandbox = required     ; every VMM ran with its seccomp sandbox on (default: any)
 *   [gate.NAME]            ; metric NAME: every point's median within bounds
 *   min = 1
 *   max = 20000
 *   workload = pio         ; only points of this workload
 */
#ifndef KB_GATES_H
#define KB_GATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

/* Checks campaign against gates_file, the verdict to out as text or, with
 * tap, TAP version 13 (a line per case; failures with the reason after
 * '#', skips as "# SKIP reason"); JUnit XML to junit unless NULL (per suite
 * tests, failures, errors, skipped and time; a failing point's log paths
 * in <system-out>).  Returns 0 when every gate holds, 10 when one fails,
 * -1 with err. */
int kb_gates(const char *db, const char *campaign, const char *gates_file, const char *junit,
	     bool tap, FILE *out, char *err, size_t errlen);

/* s as TAP text: '#' (which starts a directive: "# TODO" would excuse a
 * failure) as "\\#", control characters (a newline would start a forged
 * line) as spaces. */
void kb_tap_text(FILE *out, const char *s);

/* The measured points of campaigns ids[0..n) (those > 0) as TAP version
 * 13, a line per point as kb_gates writes its "points" cases (every run
 * passes; skipped points are "# SKIP reason").  Returns the number of
 * points that failed. */
int kb_points_tap(sqlite3 *db, const int64_t *ids, unsigned n, FILE *out);

#endif
