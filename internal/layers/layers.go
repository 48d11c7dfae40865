// Package layers states the layers of the course's code, and its test checks
// that no package imports one above its own layer:
//
//  1. base: small utilities with no course knowledge (internal/rng,
//     internal/safefile, internal/progress, internal/download,
//     internal/verdict, internal/machine); they import only base packages.
//  2. the course's packages (pkg/...), which notebooks import: they import
//     base packages and each other, never the tools (their tests may use the
//     test helpers internal/testbackends and internal/benchstep).
//  3. the answer references (solutions/...): pkg and base.
//  4. the tools' parts (every other internal/ package): base, pkg and each
//     other.
//  5. the command (cmd/...): anything.
//
// Go's own rule (internal/ is importable only inside this module) says who
// may import; this one says in which direction.
package layers

import "strings"

// Module is the course's module path.
const Module = "github.com/klcourse/klcourse"

// base lists the layer-1 packages.
var base = map[string]bool{
	"internal/rng":      true,
	"internal/safefile": true,
	"internal/progress": true,
	"internal/download": true,
	"internal/verdict":  true,
	"internal/machine":  true,
}

// Of returns the layer (1 to 5) of a package given by its path inside the
// module ("pkg/rbm", "internal/lab").
func Of(pkg string) int {
	switch {
	case base[pkg]:
		return 1
	case strings.HasPrefix(pkg, "pkg/"):
		return 2
	case strings.HasPrefix(pkg, "solutions/"):
		return 3
	case strings.HasPrefix(pkg, "internal/"):
		return 4
	default:
		return 5
	}
}

// Allowed reports whether package from may import package to (both paths
// inside the module). The answer references and the tools' parts are
// layers of their own: references import no tool, and tools no reference.
func Allowed(from, to string) bool {
	lf, lt := Of(from), Of(to)
	switch {
	case lf == 5:
		return true
	case lt == 3:
		return false // only the command (the grader's lists) reads the references
	case lf == 3:
		return lt <= 2
	default:
		return lt <= lf
	}
}
