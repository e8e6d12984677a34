package firstpaint

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	ms := func(v ...int) []Load {
		var out []Load
		for _, x := range v {
			out = append(out, Load{Usable: time.Duration(x) * time.Millisecond})
		}
		return out
	}
	tests := []struct {
		loads []Load
		want  time.Duration
	}{
		{nil, 0},
		{ms(300), 300 * time.Millisecond},
		{ms(900, 100, 500), 500 * time.Millisecond},
		{ms(400, 100, 300, 200), 250 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := median(tt.loads, usable); got != tt.want {
			t.Errorf("median(%v): got %v, want %v", tt.loads, got, tt.want)
		}
	}
}

// The table names both apps with their medians and says whether each
// goal is met; the JSON carries the same numbers.
func TestReportPrints(t *testing.T) {
	r := &Report{
		Twofold:  App{Name: "twofold", ColdUsable: 150 * time.Millisecond, WarmUsable: 80 * time.Millisecond, WasmBrotli: 2_020_000},
		Hello:    App{Name: "hello-world", ColdUsable: 460 * time.Millisecond, WarmUsable: 190 * time.Millisecond},
		WarmGoal: GoalWarm, ColdGoal: 690 * time.Millisecond, WarmMet: true, ColdMet: false, ColdLoads: 3, WarmLoads: 5,
	}
	var b strings.Builder
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"twofold", "hello-world", "0.15 s", "0.46 s", "2.02 MB", "warm usable ≤ 1.00 s: met (0.08 s)", "(0.69 s): NOT met (0.15 s)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	j, err := r.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(j, &back); err != nil || back.Twofold.ColdUsable != r.Twofold.ColdUsable || back.ColdMet {
		t.Errorf("JSON round trip: %v %+v", err, back)
	}
}
