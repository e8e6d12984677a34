// Command twofold is the Twofold console server.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"twofold/server/internal/cli"
	"twofold/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(cli.Run(ctx, cli.Env{
		Args:   os.Args[1:],
		Getenv: os.Getenv,
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Static: web.FS(),
	}))
}
