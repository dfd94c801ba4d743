package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/crosscheck-dev/crosscheck/openapi"
)

// openapiFlags are the flags of `crosscheck run --openapi`.
type openapiFlags struct {
	openapi, server, shard string
	shardK, shardN         int
}

func (o *openapiFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.openapi, "openapi", "", "certify every operation of the OpenAPI 3.0/3.1 document `FILE` (JSON or YAML); --policy is then optional")
	fs.StringVar(&o.server, "server", "", "with --openapi: the base `URL` every path is appended to, instead of the document's servers")
	fs.StringVar(&o.shard, "shard", "", "with --openapi: certify shard `K/N` of the routes only (every N-th route from the K-th), for N parallel CI jobs")
}

// problems checks the --openapi flags against the rest.
func (o *openapiFlags) problems(target string) []string {
	var probs []string
	if o.openapi == "" {
		return []string{"--server and --shard need --openapi"}
	}
	if target != "" {
		probs = append(probs, "--openapi and --target exclude each other: the document gives the URLs")
	}
	if o.shard != "" {
		k, n, ok := strings.Cut(o.shard, "/")
		var err1, err2 error
		o.shardK, err1 = strconv.Atoi(k)
		o.shardN, err2 = strconv.Atoi(n)
		if !ok || err1 != nil || err2 != nil || o.shardN < 1 || o.shardK < 1 || o.shardK > o.shardN {
			probs = append(probs, fmt.Sprintf("--shard %q: want K/N with 1 <= K <= N, such as 2/4", o.shard))
		}
	}
	return probs
}

// runOpenAPI certifies the routes of the --openapi document.
func runOpenAPI(ctx context.Context, f *runFlags, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stderr, "crosscheck run: %s\n", line)
		}
		return exitError
	}
	var pf *openapi.PolicyFile
	if f.policy != "" {
		var err error
		if pf, err = openapi.LoadPolicyFile(f.policy); err != nil {
			return fail(err)
		}
	}
	doc, err := openapi.Load(f.openapi, openapi.Options{Server: f.server, Policies: pf})
	if err != nil {
		return fail(err)
	}
	routes := doc.Routes
	if f.shardN > 0 {
		routes = openapi.Shard(routes, f.shardK, f.shardN)
	}
	rep, err := openapi.Certify(ctx, doc, routes, f.opts)
	if err != nil {
		return fail(err)
	}
	switch f.format {
	case "json":
		err = openapi.WriteJSON(stdout, rep)
	case "junit":
		err = openapi.WriteJUnit(stdout, rep)
	default:
		err = openapi.WriteText(stdout, rep)
	}
	if err != nil {
		return fail(fmt.Errorf("writing report: %w", err))
	}
	if n := rep.Count("error"); n > 0 {
		fail(fmt.Errorf("%s: %d of %d routes could not be certified", f.openapi, n, len(routes)))
		if c := rep.Count("fail"); c > 0 {
			fmt.Fprintf(stderr, "crosscheck run: %s: %d routes have findings: %s\n", f.openapi, c, joinCodes(rep.Codes()))
		}
		return exitError
	}
	if c := rep.Count("fail"); c > 0 {
		fmt.Fprintf(stderr, "crosscheck run: %s: %d of %d routes have findings: %s\n", f.openapi, c, len(routes), joinCodes(rep.Codes()))
		return exitFindings
	}
	return exitOK
}
