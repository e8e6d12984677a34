package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"twofold/server/internal/config"
	"twofold/server/internal/testdb"
)

// serveLogs runs serve until it listens, logs a line through slog's
// default logger meanwhile, and returns standard output.
func serveLogs(t *testing.T, v map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb bytes.Buffer
	code := Run(ctx, Env{Args: []string{"serve"}, Getenv: func(k string) string { return v[k] },
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Ready: func(string) {
			slog.Warn("through the default logger")
			cancel()
		}})
	if code != 0 {
		t.Fatalf("serve: %d\n%s\n%s", code, out.String(), errb.String())
	}
	return out.String()
}

func TestLogFormatAndLevel(t *testing.T) {
	before := slog.Default()
	v := vars(t, testdb.SQLite(t))
	v[config.EnvAdminPassword] = "an admin secret"

	v[config.EnvLogFormat] = "json"
	out := serveLogs(t, v)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	msgs := map[string]bool{}
	for _, line := range lines {
		var rec struct{ Level, Msg string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not a JSON line: %q (%v)", line, err)
		}
		msgs[rec.Msg] = true
	}
	if !msgs["starting"] || !msgs["through the default logger"] {
		t.Errorf("json log lacks lines: %v", msgs)
	}

	v[config.EnvLogFormat] = "text"
	v[config.EnvLogLevel] = "warn"
	out = serveLogs(t, v)
	if strings.Contains(out, "level=INFO") || !strings.Contains(out, `level=WARN msg="through the default logger"`) {
		t.Errorf("text log at warn:\n%s", out)
	}
	if slog.Default() != before {
		t.Error("the default logger was not put back after the command")
	}
}
