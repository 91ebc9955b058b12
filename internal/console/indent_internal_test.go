package console

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestIndentCapped: within the cap, the form shows custom data exactly as
// json.MarshalIndent would; past it, lines stop moving right.
func TestIndentCapped(t *testing.T) {
	data := map[string]any{
		"team": "blue", "empty": map[string]any{}, "none": []any{}, "list": []any{1.5, "two", nil, true},
		"tricky": `a "quoted" {brace}, [bracket]: and \ backslash`,
		"nested": map[string]any{"a": map[string]any{"b": []any{map[string]any{"c": "d"}}}},
	}
	want, _ := json.MarshalIndent(data, "", "  ")
	if got := customDataText(data); got != string(want) {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	var deep any = "x"
	for range 40 {
		deep = map[string]any{"k": deep}
	}
	got := customDataText(deep.(map[string]any))
	for _, line := range strings.Split(got, "\n") {
		if indent := len(line) - len(strings.TrimLeft(line, " ")); indent > 2*maxIndent {
			t.Fatalf("line indented %d spaces: %q", indent, line)
		}
	}
	var back any
	if err := json.Unmarshal([]byte(got), &back); err != nil {
		t.Errorf("the capped text is not JSON: %v", err)
	}
}
