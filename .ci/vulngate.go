//go:build ignore

// vulngate reads `govulncheck -format json` on standard input and decides
// the CI step: it fails when the code calls a vulnerable function of a
// module (fix: upgrade that module), and lists, without failing, the
// vulnerabilities of the Go standard library it calls, since their fix is
// a newer Go toolchain than the machine has (VULNCHECK_STDLIB=fail makes
// them fatal too). Vulnerabilities in code that is imported or required but
// never called are counted.
//
// Usage: go tool govulncheck -format json ./... | go run .ci/vulngate.go
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// The parts of govulncheck's JSON protocol (v1) read here.
type message struct {
	Config *struct {
		DB        string `json:"db"`
		GoVersion string `json:"go_version"`
		ScanLevel string `json:"scan_level"`
	} `json:"config"`
	OSV *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"osv"`
	Finding *struct {
		OSV          string  `json:"osv"`
		FixedVersion string  `json:"fixed_version"`
		Trace        []frame `json:"trace"`
	} `json:"finding"`
}

type frame struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Package  string `json:"package"`
	Function string `json:"function"`
	Receiver string `json:"receiver"`
	Position *struct {
		Filename string `json:"filename"`
		Line     int    `json:"line"`
	} `json:"position"`
}

// vuln is what is known of one vulnerability.
type vuln struct {
	id, summary, module, version, fixed string
	called                              bool
	// where is the first call site found in the project.
	where string
}

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "vulngate:", err)
		os.Exit(1)
	}
}

func run(r io.Reader, w io.Writer) error {
	dec := json.NewDecoder(r)
	summaries := map[string]string{}
	vulns := map[string]*vuln{}
	scanned := false
	for {
		var m message
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read govulncheck output: %w", err)
		}
		switch {
		case m.Config != nil:
			scanned = true
			fmt.Fprintf(w, "govulncheck: %s, Go %s, %s level\n", m.Config.DB, m.Config.GoVersion, m.Config.ScanLevel)
		case m.OSV != nil:
			summaries[m.OSV.ID] = m.OSV.Summary
		case m.Finding != nil && len(m.Finding.Trace) > 0:
			f := m.Finding
			v := vulns[f.OSV]
			if v == nil {
				v = &vuln{id: f.OSV, module: f.Trace[0].Module, version: f.Trace[0].Version, fixed: f.FixedVersion}
				vulns[f.OSV] = v
			}
			if f.Trace[0].Function != "" {
				if !v.called {
					v.where = callSite(f.Trace)
				}
				v.called = true
			}
		}
	}
	if !scanned {
		return errors.New("no govulncheck output (did the scan fail?)")
	}

	var modules, stdlib []*vuln
	uncalled := 0
	for _, v := range vulns {
		v.summary = summaries[v.id]
		switch {
		case !v.called:
			uncalled++
		case v.module == "stdlib" || v.module == "toolchain":
			stdlib = append(stdlib, v)
		default:
			modules = append(modules, v)
		}
	}
	sortByID(modules)
	sortByID(stdlib)
	for _, v := range modules {
		fmt.Fprintf(w, "FAIL %s: %s\n  %s@%s, fixed in %s; called at %s\n", v.id, v.summary, v.module, v.version, orNone(v.fixed), v.where)
	}
	for _, v := range stdlib {
		fmt.Fprintf(w, "STDLIB %s: %s\n  Go %s, fixed in Go %s; called at %s\n", v.id, v.summary, v.version, orNone(v.fixed), v.where)
	}
	fmt.Fprintf(w, "govulncheck: %d called in modules, %d called in the standard library, %d more in code that is never called\n",
		len(modules), len(stdlib), uncalled)
	if len(stdlib) > 0 {
		fmt.Fprintln(w, "WARNING: the standard library's vulnerabilities above are fixed by a newer Go toolchain than this machine's;")
		fmt.Fprintln(w, "         they do not fail CI unless VULNCHECK_STDLIB=fail.")
	}
	if len(modules) > 0 {
		return fmt.Errorf("%d vulnerable module functions are called: upgrade those modules (go get MODULE@FIXED)", len(modules))
	}
	if len(stdlib) > 0 && os.Getenv("VULNCHECK_STDLIB") == "fail" {
		return fmt.Errorf("%d vulnerable standard library functions are called (VULNCHECK_STDLIB=fail)", len(stdlib))
	}
	return nil
}

// callSite names the project's frame closest to the vulnerable function:
// the first whose file is given relative to the project.
func callSite(trace []frame) string {
	for _, f := range trace {
		if f.Position != nil && f.Module != "stdlib" && f.Module != "toolchain" && !filepath.IsAbs(f.Position.Filename) {
			return fmt.Sprintf("%s:%d (%s)", f.Position.Filename, f.Position.Line, f.Function)
		}
	}
	f := trace[len(trace)-1]
	return f.Package + "." + f.Function
}

func sortByID(vs []*vuln) { sort.Slice(vs, func(i, j int) bool { return vs[i].id < vs[j].id }) }

func orNone(s string) string {
	if s == "" {
		return "(no fix yet)"
	}
	return s
}
