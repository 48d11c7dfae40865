package main

import "github.com/klcourse/klcourse/internal/bench"

func init() {
	register(command{name: "bench", summary: bench.Summary, run: bench.Run})
}
