package exercise

import (
	"encoding/json"
	"os"
	"strconv"
	"sync"

	"github.com/gomlx/compute"

	"github.com/klcourse/klcourse/internal/verdict"
	"github.com/klcourse/klcourse/pkg/graphx"
)

// grader is the channel to `klcourse grade` when the program runs under it,
// nil otherwise. It is set up when the package is initialised — before the
// notebook's own package, so before any of the student's code — and the
// variables that name it are removed from the environment.
var grader *channel

type channel struct {
	mu    sync.Mutex
	out   *os.File
	nonce string
}

func init() {
	fd, nonce := os.Getenv(verdict.FDEnv), os.Getenv(verdict.NonceEnv)
	os.Unsetenv(verdict.FDEnv)
	os.Unsetenv(verdict.NonceEnv)
	n, err := strconv.Atoi(fd)
	if err != nil || n < 3 || nonce == "" {
		return
	}
	if f := os.NewFile(uintptr(n), "klcourse-grade"); f != nil {
		grader = &channel{out: f, nonce: nonce}
	}
}

func (ch *channel) write(r verdict.Record) {
	r.Nonce = ch.nonce
	line, err := json.Marshal(r)
	if err != nil {
		return
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	ch.out.Write(append(line, '\n'))
}

func (ch *channel) report(name, report string) {
	ch.write(verdict.Record{Check: name, Status: "report", Report: report})
}

// record evaluates the student's function on every case and hands the
// evaluations to the grader, which compares them with the solution's.
func record[F graphx.GraphFn](backend compute.Backend, name string, student F, cases []Case) {
	for _, c := range cases {
		r := verdict.Record{Check: name, Case: c.Name}
		before := todoBuilt.Load()
		ev, err := evaluate(backend, student, c)
		switch {
		case todoBuilt.Load() != before:
			r.Status = verdict.NotDone
		case err != nil:
			r.Status, r.Error = verdict.Error, err.Error()
		default:
			r.Status, r.Shape, r.Value, r.Gradients = verdict.Evaluated, ev.Shape, ev.Value, verdict.Grads(ev.Gradients)
		}
		grader.write(r)
	}
}
