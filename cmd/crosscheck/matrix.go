package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/crosscheck-dev/crosscheck/internal/targets"
	"github.com/crosscheck-dev/crosscheck/internal/targets/matrix"
)

func init() {
	register(command{
		name:    "matrix",
		summary: "certify real CORS middlewares and regenerate docs/conformance.md",
		run:     runMatrix,
	})
}

// runMatrix builds and starts every target of internal/targets, certifies
// each against each policy and writes docs/conformance.md and
// docs/findings/IMPL.md under the repository root (or -out). With -check it
// writes nothing and exits 1 when the committed documents are stale.
func runMatrix(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("matrix", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "directory to write docs/ under (default: the repository root)")
	check := fs.Bool("check", false, "do not write; exit 1 if the committed documents differ from a fresh run")
	parallel := fs.Int("parallel", 4, "targets certified at once")
	timeout := fs.Duration("timeout", 5*time.Minute, "bound on the whole run")
	binDir := fs.String("bin", targets.DefaultBinDir(), "directory of the built Go targets, kept between runs (shared with the tests)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: crosscheck matrix [-out DIR] [-check] [-parallel N] [-bin DIR]")
		fmt.Fprintln(stderr, "Certifies every CORS implementation of internal/targets against every policy and")
		fmt.Fprintln(stderr, "writes docs/conformance.md and docs/findings/. Exit 0 written (or up to date),")
		fmt.Fprintln(stderr, "1 stale (-check), 2 could not run.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitOK
		}
		return exitError
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "crosscheck matrix: unexpected argument %q\n", fs.Arg(0))
		return exitError
	}
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(stderr, "crosscheck matrix: %v\n", err)
		return exitError
	}
	root, err := targets.FindRoot(wd)
	if err != nil {
		fmt.Fprintf(stderr, "crosscheck matrix: %v (run it inside the crosscheck repository)\n", err)
		return exitError
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	res, err := matrix.Run(ctx, matrix.Options{Root: root, BinDir: *binDir, Parallel: *parallel, Log: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "crosscheck matrix: %v\n", err)
		return exitError
	}
	docs := matrix.Render(res)
	if *check {
		stale := matrix.Stale(root, docs)
		for _, name := range stale {
			fmt.Fprintf(stdout, "stale: %s\n", name)
		}
		if len(stale) > 0 {
			fmt.Fprintf(stdout, "run `%s` and commit the result\n", matrix.Command)
			return exitFindings
		}
		fmt.Fprintln(stdout, "docs/conformance.md and docs/findings/ are up to date")
		return exitOK
	}
	dir := root
	if *out != "" {
		dir = *out
	}
	if err := matrix.Write(dir, docs); err != nil {
		fmt.Fprintf(stderr, "crosscheck matrix: %v\n", err)
		return exitError
	}
	for _, name := range sortedDocNames(docs) {
		fmt.Fprintln(stdout, filepath.Join(dir, filepath.FromSlash(name)))
	}
	return exitOK
}

func sortedDocNames(docs map[string][]byte) []string {
	names := make([]string, 0, len(docs))
	for n := range docs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
