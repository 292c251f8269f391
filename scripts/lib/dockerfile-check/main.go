// dockerfile-check runs BuildKit's Dockerfile checks (the rules of `docker build --check`:
// casing, JSON-form CMD, undefined variables and build arguments, stage names, duplicate stages,
// invalid base images, ...) on Dockerfiles, with no Docker engine and no registry: base images
// are not pulled, they answer with an empty configuration (a PATH only).
//
//	dockerfile-check services/*/Dockerfile
//
// Prints one line per finding (file:line: rule: detail); exits 1 when there is any.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	digest "github.com/opencontainers/go-digest"
)

// offlineImages resolves every base image to an empty linux/amd64 configuration.
type offlineImages struct{}

const emptyConfig = `{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},"rootfs":{"type":"layers","diff_ids":[]}}`

func (offlineImages) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	return ref, digest.FromString(ref), []byte(emptyConfig), nil
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: dockerfile-check Dockerfile...")
		os.Exit(2)
	}
	findings := 0
	for _, path := range os.Args[1:] {
		dt, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		sm := llb.NewSourceMap(nil, path, "Dockerfile", dt)
		sm.Definition = &llb.Definition{} // the lint results record the source; no LLB is built
		res, err := dockerfile2llb.DockerfileLint(context.Background(), dt, dockerfile2llb.ConvertOpt{SourceMap: sm, MetaResolver: offlineImages{}})
		if err != nil {
			fmt.Printf("%s: %v\n", path, err)
			findings++
			continue
		}
		for _, w := range res.Warnings {
			line := 0
			if len(w.Location.Ranges) > 0 {
				line = int(w.Location.Ranges[0].Start.Line)
			}
			fmt.Printf("%s:%d: %s: %s\n", path, line, w.RuleName, w.Detail)
			findings++
		}
		if res.Error != nil {
			fmt.Printf("%s: %s\n", path, res.Error.Message)
			findings++
		}
	}
	if findings > 0 {
		os.Exit(1)
	}
	fmt.Printf("dockerfile-check: %d Dockerfile(s), no finding\n", len(os.Args)-1)
}
