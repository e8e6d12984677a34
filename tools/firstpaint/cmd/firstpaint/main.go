// Command firstpaint measures the time to a usable sign-in form of
// Twofold (bin/twofold, from `make build`) and of a go-app hello-world
// built in the same run, cold and warm, in headless Chromium, and prints
// them as a table (or JSON with -json). Run it from the repository:
//
//	go run ./tools/firstpaint/cmd/firstpaint [-json] [-cold 3] [-warm 5]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"twofold/tools/firstpaint"
)

func main() {
	var o firstpaint.Options
	asJSON := flag.Bool("json", false, "print the report as JSON")
	flag.IntVar(&o.Cold, "cold", 3, "cold loads of each app (a new browser profile each)")
	flag.IntVar(&o.Warm, "warm", 5, "warm loads of each app (its service worker holds it)")
	flag.StringVar(&o.Twofold, "server", "", "Twofold's server binary (default bin/twofold)")
	flag.StringVar(&o.Chromium, "chromium", "", "Chromium (default /usr/bin/chromium or TWOFOLD_CHROMIUM)")
	quiet := flag.Bool("q", false, "no progress on standard error")
	flag.Parse()
	if !*quiet {
		o.Log = os.Stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	r, err := firstpaint.Measure(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *asJSON {
		b, err := r.MarshalIndent()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(string(b))
		return
	}
	if err := r.WriteTable(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
