package assign

import (
	"strings"
	"testing"
)

func TestSchemeStripped(t *testing.T) {
	sol := build(t,
		cell{typ: "markdown", source: "Why?\n\n<!-- BEGIN SOLUTION -->\n\nBecause.\n\n<!-- END SOLUTION -->"},
	)
	sol.Cells[0].Metadata()["klcourse"] = map[string]any{"question": "why", "points": 2.0, "scheme": "2 pts: the secret scheme"}
	if got := MarkdownAnswers(sol.Cells[0].Source); len(got) != 1 || got[0] != "Because." {
		t.Errorf("MarkdownAnswers: %q", got)
	}
	ex, err := Generate(sol, "solutions/x.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := ex.Marshal()
	if strings.Contains(string(data), "secret scheme") || strings.Contains(string(data), "Because.") {
		t.Errorf("the exercise shows the mark scheme or the answer:\n%s", data)
	}
	if !strings.Contains(string(data), `"points": 2`) {
		t.Errorf("the exercise lost the question's points:\n%s", data)
	}
}
