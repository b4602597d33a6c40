package chanflow

import (
	"strings"
)

// ExtractDoc returns the documentation of analyzer name from the source of
// its doc.go: the text after the "# Analyzer name" heading, with the
// comment markers removed. The first line is the one-line summary
// ("name: summary"). It panics when the heading is missing, which a test
// of every analyzer catches.
func ExtractDoc(src, name string) string {
	var lines []string
	for _, l := range strings.Split(src, "\n") {
		if !strings.HasPrefix(l, "//") {
			continue
		}
		l = strings.TrimPrefix(strings.TrimPrefix(l, "//"), " ")
		lines = append(lines, l)
	}
	text := strings.Join(lines, "\n")
	head := "# Analyzer " + name
	i := strings.Index(text, head)
	if i < 0 {
		panic("doc.go of " + name + " has no " + head + " heading")
	}
	text = strings.TrimSpace(text[i+len(head):])
	if j := strings.LastIndex(text, "\npackage "); j >= 0 {
		text = text[:j]
	}
	return strings.TrimSpace(text)
}
