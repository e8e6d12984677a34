package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"twofold/server/internal/account"
)

func find(r *Report, engine, name string, conc int) *Phase {
	for i := range r.Phases {
		p := &r.Phases[i]
		if p.Engine == engine && p.Name == name && p.Concurrency == conc {
			return p
		}
	}
	return nil
}

func hashOf(r *Report, conf string) *Hash {
	for i := range r.Hashes {
		if r.Hashes[i].Argon2 == conf {
			return &r.Hashes[i]
		}
	}
	return nil
}

// checks evaluates issue 13's acceptance bounds on what was measured, and
// fills each sign-in phase's share of the argon2 limit.
func checks(r *Report, def account.Params, slots int) []Check {
	var out []Check
	for i := range r.Phases {
		p := &r.Phases[i]
		if p.LimitPerS == 0 && p.Name != "GET /api/account" {
			if h := hashOf(r, p.Argon2); h != nil {
				p.LimitPerS = h.LimitPerS
			}
		}
		if p.LimitPerS > 0 {
			p.LimitShare = p.PerSecond / p.LimitPerS
		}
	}
	for _, e := range []string{"sqlite", "postgres"} {
		for _, c := range []int{8, 32} {
			if p := find(r, e, "sign-in", c); p != nil {
				out = append(out, Check{fmt.Sprintf("%s: sign-in at %d ≥ 85 %% of the argon2 limit", e, c),
					fmt.Sprintf("%.1f %%", 100*p.LimitShare), p.LimitShare >= 0.85 && p.Failed == 0})
			}
		}
		if p := find(r, e, "sign-in", 32); p != nil {
			bound := 2*float64(slots)*float64(def.Memory)/1024 + 64
			out = append(out, Check{fmt.Sprintf("%s: peak RSS at 32 ≤ 2 × (%d slots × %d MiB) + 64 MiB = %.0f MiB", e, slots, def.Memory/1024, bound),
				fmt.Sprintf("%.0f MiB", p.PeakRSSMiB), p.PeakRSSMiB <= bound})
		}
		if p := find(r, e, "flood", 128); p != nil {
			out = append(out, Check{e + ": no failed correct sign-in in the flood at 128",
				fmt.Sprintf("%d failed of %d", p.Failed, p.Attempted), p.Failed == 0 && p.OK > 0})
		}
	}
	for _, c := range []int{8, 32} {
		sq, pg := find(r, "sqlite", "sign-in, cheap hash", c), find(r, "postgres", "sign-in, cheap hash", c)
		if sq != nil && pg != nil && sq.PerSecond > 0 {
			k := pg.PerSecond / sq.PerSecond
			out = append(out, Check{fmt.Sprintf("PostgreSQL ≥ 0.7 × SQLite, cheap hash at %d", c), fmt.Sprintf("%.2f ×", k), k >= 0.7})
		}
	}
	return out
}

func printTable(w io.Writer, r *Report) {
	fmt.Fprintf(w, "\nTwofold bench, %s: %d CPUs (%s), %d MiB; load average before %s, after %s\n",
		r.When.Format("2006-01-02 15:04 UTC"), r.Machine.CPUs, r.Machine.Model, r.Machine.MemTotalMiB, r.Machine.LoadBefore, r.Machine.LoadAfter)
	if r.Postgres != "" {
		fmt.Fprintf(w, "PostgreSQL: %s\n", r.Postgres)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\nargon2\tslots\tone hash ms\tCPU ms/hash\tlimit/s\tmeasured in\t")
	for _, h := range r.Hashes {
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.2f\t%.1f\t%s\t\n", h.Argon2, h.Slots, h.OneMs, h.CPUms, h.LimitPerS, h.MeasuredIn)
	}
	tw.Flush()
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\ndb\tphase\targon2\tconc\tok\tfailed\tper s\tp50 ms\tp99 ms\tCPU ms/op\tCPU cores\tbench CPU ms/op\tothers CPU ms/op\tmachine cores\tpeak RSS MiB\tlimit/s\tof limit\t")
	for _, p := range append(append([]Phase(nil), r.Phases...), r.Flat...) {
		share, limit := "", ""
		if p.LimitShare > 0 {
			share, limit = fmt.Sprintf("%.0f %%", 100*p.LimitShare), fmt.Sprintf("%.1f", p.LimitPerS)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.0f\t%s\t%s\t\n", p.Engine, p.Name, p.Argon2, p.Concurrency,
			p.OK, p.Failed, p.PerSecond, p.P50ms, p.P99ms, p.CPUms, p.CPUShare, p.ClientCPUms, p.OtherCPUms, p.MachineCores, p.PeakRSSMiB, limit, share)
	}
	tw.Flush()
	for _, p := range append(append([]Phase(nil), r.Phases...), r.Flat...) {
		for what, n := range p.Failures {
			fmt.Fprintf(w, "  %s %s c=%d: %d × %s\n", p.Engine, p.Name, p.Concurrency, n, what)
		}
		if p.Stalls > 0 {
			fmt.Fprintf(w, "  %s %s c=%d: %d waits for a user whose code was not used in this time step (raise -users)\n", p.Engine, p.Name, p.Concurrency, p.Stalls)
		}
	}
	fmt.Fprintln(w)
	for _, s := range r.Startups {
		fmt.Fprintf(w, "start-up, %s, %s: %.0f ms\n", s.Engine, s.What, s.Ms)
	}
	if r.Wasm != nil {
		fmt.Fprintf(w, "app.wasm: %d bytes raw, %d bytes brotli (%.2f MB)\n", r.Wasm.Raw, r.Wasm.Brotli, float64(r.Wasm.Brotli)/1e6)
	}
	if r.Paint != nil {
		fmt.Fprintf(w, "first paint (usable sign-in form, medians): Twofold cold %.0f ms, warm %.0f ms; go-app hello-world cold %.0f ms, warm %.0f ms (its wasm %d bytes brotli)\n",
			r.Paint.TwofoldColdMs, r.Paint.TwofoldWarmMs, r.Paint.HelloColdMs, r.Paint.HelloWarmMs, r.Paint.HelloWasm.Brotli)
	} else if r.PaintSkip != "" {
		fmt.Fprintf(w, "first paint: %s\n", r.PaintSkip)
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(w, "skipped: %s\n", s)
	}
	if len(r.Checks) > 0 {
		fmt.Fprintln(w, "\nacceptance bounds (issue 13):")
		for _, c := range r.Checks {
			mark := "ok  "
			if !c.OK {
				mark = "FAIL"
			}
			fmt.Fprintf(w, "  %s %s: %s\n", mark, c.What, c.Got)
		}
	}
}
