package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/crosscheck-dev/crosscheck/har"
	"github.com/crosscheck-dev/crosscheck/spec"
)

// maxHARBytes bounds the HAR file explain reads (DevTools exports with
// response bodies can be large; CORS needs only the headers).
const maxHARBytes = 512 << 20

// runExplainHAR is `crosscheck explain --har FILE`: every cross-origin
// fetch of the archive judged with the model, blocked ones first. Exit 0
// when none is blocked, 1 when one is, 2 when the file cannot be read.
func runExplainHAR(path, format string, extra []string, stdout, stderr io.Writer) int {
	if len(extra) > 0 {
		fmt.Fprintf(stderr, "crosscheck explain: --har takes no other FILE (got %s)\n", strings.Join(extra, " "))
		return exitError
	}
	if format != "text" && format != "json" {
		fmt.Fprintf(stderr, "crosscheck explain: --format %q: want text or json\n", format)
		return exitError
	}
	data, err := readHAR(path)
	if err != nil {
		fmt.Fprintf(stderr, "crosscheck explain: %v\n", err)
		return exitError
	}
	f, err := har.Parse(path, data)
	if err != nil {
		fmt.Fprintf(stderr, "crosscheck explain: %v\n", err)
		return exitError
	}
	rep := har.Analyze(f)
	if format == "json" {
		writeHARJSON(stdout, path, f, rep)
	} else {
		writeHARText(stdout, path, f, rep)
	}
	for _, x := range rep.Fetches {
		if x.Status == har.StatusBlocked {
			return exitFindings
		}
	}
	return exitOK
}

func readHAR(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxHARBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxHARBytes {
		return nil, fmt.Errorf("%s: larger than %d MiB; export the HAR without response bodies", path, maxHARBytes>>20)
	}
	return data, nil
}

func countStatus(rep *har.Report) (blocked, undecided, allowed int) {
	for _, x := range rep.Fetches {
		switch x.Status {
		case har.StatusBlocked:
			blocked++
		case har.StatusUndecided:
			undecided++
		default:
			allowed++
		}
	}
	return
}

func writeHARText(w io.Writer, path string, f *har.File, rep *har.Report) {
	made := f.Creator
	if f.Browser != "" {
		made = f.Browser
	}
	blocked, undecided, allowed := countStatus(rep)
	fmt.Fprintf(w, "%s (%s): %d entries, %d cross-origin fetches: %d blocked, %d undecided, %d allowed; %d entries not judged.\n",
		path, made, len(f.Entries), len(rep.Fetches), blocked, undecided, allowed, len(rep.Skipped))
	for i := range rep.Fetches {
		x := &rep.Fetches[i]
		fmt.Fprintln(w)
		writeHARFetch(w, i+1, x)
	}
	if len(rep.Skipped) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "not judged:")
		for _, s := range rep.Skipped {
			u := s.URL
			if len(u) > 80 {
				u = u[:77] + "..."
			}
			fmt.Fprintf(w, "  entry %d %s: %s\n", s.Entry, u, s.Why)
		}
	}
}

func writeHARFetch(w io.Writer, n int, x *har.Fetch) {
	v := x.Verdict
	fmt.Fprintf(w, "[%d] %s  %s %s  (entry %s)\n", n, strings.ToUpper(string(x.Status)), x.Method(), x.URL(), entryList(x.Entries))
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	row := func(k, val string) { fmt.Fprintf(tw, "    %s:\t%s\n", k, val) }
	row("page origin", x.Origin+" (from "+x.OriginFrom+")")
	row("credentials", string(x.Credentials)+" ("+x.CredentialsFrom+")")
	if x.Status != har.StatusUndecided {
		if v.Outcome == spec.Blocked {
			row("blocked at", fmt.Sprintf("%s (after %d redirects)", v.Stage, v.Hop))
			row("rule", fmt.Sprintf("%s: %s", v.Reason, v.Reason.Doc()))
			if v.Detail != "" {
				row("detail", fmt.Sprintf("%q", v.Detail))
			}
			if ce := v.ChromeError(); ce != "" {
				row("chrome error", ce)
			}
			row("spec", v.SpecURL())
			if fix := fixFor(v, x.Trace.Sent, x.Credentials); fix != "" {
				row("fix", fix)
			}
		} else {
			row("script can read", strings.Join(v.Exposed, ", "))
		}
	}
	browser := fmt.Sprintf("status %d", x.Browser.Status)
	switch {
	case x.Browser.Failed():
		browser += ", failed: " + x.Browser.Error
	case x.Browser.Recorded:
		browser += ", no error recorded"
	}
	row("browser", browser)
	pre := []string{}
	for k, p := range x.Preflights {
		if p >= 0 {
			pre = append(pre, fmt.Sprintf("hop %d: entry %d", k, p))
		}
	}
	if len(pre) > 0 {
		row("preflights", strings.Join(pre, ", "))
	}
	for _, p := range x.Predicted {
		line := fmt.Sprintf("OPTIONS %s  Origin: %s  Access-Control-Request-Method: %s", p.URL, p.Origin, p.ACRM)
		if p.ACRH != "" {
			line += "  Access-Control-Request-Headers: " + p.ACRH
		}
		row("not in the HAR", line)
	}
	for _, note := range x.Notes {
		row("note", note)
	}
	tw.Flush()
}

func entryList(es []int) string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = fmt.Sprint(e)
	}
	return strings.Join(s, " → ")
}

// harJSON is the --format json output of explain --har.
type harJSON struct {
	File      string         `json:"file"`
	Creator   string         `json:"creator,omitempty"`
	Browser   string         `json:"browser,omitempty"`
	Entries   int            `json:"entries"`
	Blocked   int            `json:"blocked"`
	Undecided int            `json:"undecided"`
	Allowed   int            `json:"allowed"`
	Fetches   []harFetchJSON `json:"fetches"`
	Skipped   []harSkipJSON  `json:"notJudged"`
}

type harSkipJSON struct {
	Entry int    `json:"entry"`
	URL   string `json:"url"`
	Why   string `json:"why"`
}

type harFetchJSON struct {
	Status          har.Status         `json:"status"`
	Method          string             `json:"method"`
	URL             string             `json:"url"`
	Entries         []int              `json:"entries"`
	Preflights      []int              `json:"preflights"`
	Origin          string             `json:"origin"`
	OriginFrom      string             `json:"originFrom"`
	Credentials     spec.Credentials   `json:"credentials"`
	CredentialsFrom string             `json:"credentialsFrom"`
	Outcome         spec.Outcome       `json:"outcome"`
	Stage           spec.Stage         `json:"blockedAt,omitempty"`
	Hop             int                `json:"hop"`
	Reason          spec.Reason        `json:"reason,omitempty"`
	Detail          string             `json:"detail,omitempty"`
	Spec            string             `json:"spec,omitempty"`
	ChromeError     string             `json:"chromeError,omitempty"`
	Fix             string             `json:"fix,omitempty"`
	Exposed         []string           `json:"exposedHeaders,omitempty"`
	Predicted       []spec.SentRequest `json:"predictedPreflights,omitempty"`
	BrowserStatus   int                `json:"browserStatus"`
	BrowserError    string             `json:"browserError,omitempty"`
	Notes           []string           `json:"notes,omitempty"`
	BrowserHeaders  []string           `json:"browserHeadersLeftOut,omitempty"`
	Sent            []spec.SentRequest `json:"sent"`
	Steps           []spec.Step        `json:"steps"`
}

func writeHARJSON(w io.Writer, path string, f *har.File, rep *har.Report) {
	out := harJSON{File: path, Creator: f.Creator, Browser: f.Browser, Entries: len(f.Entries),
		Fetches: []harFetchJSON{}, Skipped: []harSkipJSON{}}
	out.Blocked, out.Undecided, out.Allowed = countStatus(rep)
	for i := range rep.Fetches {
		x := &rep.Fetches[i]
		v := x.Verdict
		j := harFetchJSON{Status: x.Status, Method: x.Method(), URL: x.URL(), Entries: x.Entries, Preflights: x.Preflights,
			Origin: x.Origin, OriginFrom: x.OriginFrom, Credentials: x.Credentials, CredentialsFrom: x.CredentialsFrom,
			Outcome: v.Outcome, Stage: v.Stage, Hop: v.Hop, Reason: v.Reason, Detail: v.Detail, Spec: v.SpecURL(),
			ChromeError: v.ChromeError(), Exposed: v.Exposed, Predicted: x.Predicted,
			BrowserStatus: x.Browser.Status, BrowserError: x.Browser.Error, Notes: x.Notes, BrowserHeaders: x.BrowserHeaders, Sent: x.Trace.Sent, Steps: x.Trace.Steps}
		if x.Status == har.StatusBlocked {
			j.Fix = fixFor(v, x.Trace.Sent, x.Credentials)
		}
		out.Fetches = append(out.Fetches, j)
	}
	for _, s := range rep.Skipped {
		out.Skipped = append(out.Skipped, harSkipJSON(s))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(out) //nolint:errcheck // a failed write to stdout has nowhere to be reported
}
