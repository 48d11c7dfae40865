package course

import (
	"fmt"
	"strings"
)

// Join formats each element of xs with format (a fmt verb such as "%.4f"
// or "%d") and joins them with ", ": what a lecture prints where Go's %v
// would print a slice in brackets ("[2 8 10]").
//
//	course.Join([]float64{0.1, 0.4, 0.5}, "%.1f") == "0.1, 0.4, 0.5"
func Join[T any](xs []T, format string) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf(format, x)
	}
	return strings.Join(parts, ", ")
}
