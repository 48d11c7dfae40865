package assign

import (
	"strings"

	"github.com/klcourse/klcourse/internal/notebook"
)

// SchemeKey is the key of metadata.klcourse that holds a written question's
// mark scheme: the instructor's, never in an exercise.
const SchemeKey = "scheme"

// stripScheme removes a mark scheme from the cell's metadata.
func stripScheme(c *notebook.Cell) {
	if md, ok := c.Metadata()["klcourse"].(map[string]any); ok {
		delete(md, SchemeKey)
	}
}

// MarkdownAnswers returns the answers of a Markdown cell's solution regions
// (between <!-- BEGIN SOLUTION --> and <!-- END SOLUTION -->), trimmed.
func MarkdownAnswers(src string) []string {
	var answers []string
	lines := strings.Split(src, "\n")
	for i := 0; i < len(lines); i++ {
		if !beginAnswer.MatchString(lines[i]) {
			continue
		}
		var body []string
		for i++; i < len(lines) && !endAnswer.MatchString(lines[i]); i++ {
			body = append(body, lines[i])
		}
		answers = append(answers, strings.TrimSpace(strings.Join(body, "\n")))
	}
	return answers
}
