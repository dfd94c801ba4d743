package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strings"
	"syscall"

	"github.com/crosscheck-dev/crosscheck/browser"
	"github.com/crosscheck-dev/crosscheck/cases"
)

func init() {
	register(command{
		name:    "browser",
		summary: "replay cases in real browsers (Chrome, Firefox, WebKit); compare each with the table and the model",
		run:     runBrowser,
	})
}

// fileList is a repeatable --cases flag.
type fileList []string

func (f *fileList) String() string     { return strings.Join(*f, ",") }
func (f *fileList) Set(v string) error { *f = append(*f, v); return nil }

func runBrowser(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("browser", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var files fileList
	fs.Var(&files, "cases", "case `FILE` to run (repeatable); default: the embedded table")
	runRE := fs.String("run", "", "run only cases whose id matches `REGEXP`")
	format := fs.String("format", "text", "output format: text or json")
	parallel := fs.Int("parallel", 1, "`N` batches of fetches at the same time per engine (Chrome: tabs)")
	verbose := fs.Bool("v", false, "print progress (browser versions, pages, batches) on stderr")
	engine := fs.String("engine", "", "`ENGINE` to run: "+strings.Join(browser.EngineNames(), ", ")+", or all (repeatable as a comma list); default: every engine installed")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: crosscheck browser [--engine chrome|firefox|webkit|all] [--cases FILE]... [--run REGEXP] [--format text|json] [--parallel N]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Replays each case in real browsers (its real origin and URL, hosts mapped to a case")
		fmt.Fprintln(stderr, "server on 127.0.0.1) and compares each engine's verdict and the requests the server")
		fmt.Fprintln(stderr, "received with the table (the engine's records for the running version over expect,")
		fmt.Fprintln(stderr, "and the model's requests), and the model with expect.")
		fmt.Fprintf(stderr, "Chromium: $%s, else the usual names on PATH.\n", browser.ChromiumEnv)
		fmt.Fprintln(stderr, "Exit: 0 all agree, 1 a disagreement, 2 could not run.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitError
	}
	var problems []string
	if fs.NArg() > 0 {
		problems = append(problems, fmt.Sprintf("unexpected arguments: %s", strings.Join(fs.Args(), " ")))
	}
	if *format != "text" && *format != "json" {
		problems = append(problems, fmt.Sprintf("--format: %q is not text or json", *format))
	}
	if *parallel < 1 || *parallel > 16 {
		problems = append(problems, fmt.Sprintf("--parallel: %d is not between 1 and 16", *parallel))
	}
	var engines []string
	for _, e := range strings.Split(*engine, ",") {
		switch e = strings.TrimSpace(e); e {
		case "":
		case "all":
			engines = append(engines, browser.EngineNames()...)
		default:
			if !slices.Contains(browser.EngineNames(), e) {
				problems = append(problems, fmt.Sprintf("--engine: %q is not %s or all", e, strings.Join(browser.EngineNames(), ", ")))
			}
			engines = append(engines, e)
		}
	}
	var re *regexp.Regexp
	if *runRE != "" {
		var err error
		if re, err = regexp.Compile(*runRE); err != nil {
			problems = append(problems, fmt.Sprintf("--run: %v", err))
		}
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, "crosscheck browser:", p)
		}
		return exitError
	}

	var table *cases.Table
	var err error
	if len(files) == 0 {
		table, err = cases.Embedded()
	} else {
		table, err = cases.LoadFiles(files...)
	}
	if err != nil {
		fmt.Fprintf(stderr, "crosscheck browser: %v\n", err)
		return exitError
	}
	var selected []cases.Case
	for _, c := range table.Cases {
		if re == nil || re.MatchString(c.Name()) {
			selected = append(selected, c)
		}
	}
	if len(selected) == 0 {
		fmt.Fprintf(stderr, "crosscheck browser: no case matches --run %q\n", *runRE)
		return exitError
	}

	// Ctrl-C or SIGTERM cancels the run; Verify then closes Chrome and
	// removes its profile before returning.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var logw io.Writer
	if *verbose {
		logw = stderr
	}
	slices.Sort(engines)
	rep, err := browser.Verify(ctx, selected, browser.Options{Engines: slices.Compact(engines), Parallel: *parallel, Log: logw})
	if err != nil {
		fmt.Fprintf(stderr, "crosscheck browser: %v\n", err)
		return exitError
	}
	if *format == "json" {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "crosscheck browser: %v\n", err)
		return exitError
	}
	return rep.ExitCode()
}
