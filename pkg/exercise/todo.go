package exercise

import (
	"sync/atomic"

	"github.com/gomlx/gomlx/core/graph"
)

// todoBuilt counts the graphs in which Todo was built, so that Check can tell
// an unfinished exercise from a wrong answer.
var todoBuilt atomic.Int64

// Todo is the stub of an exercise's graph function that is not written yet:
// it returns a scalar zero of x's dtype that depends on x, so the graph builds
// and runs, and every gradient through it is zero. A model trained with it
// does not learn, and Check reports the exercise as not done.
func Todo(x *graph.Node) *graph.Node {
	todoBuilt.Add(1)
	return graph.MulScalar(graph.ReduceAllSum(x), 0)
}
