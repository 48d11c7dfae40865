package progress

import (
	"bytes"
	"strings"
	"testing"
)

func TestLogLines(t *testing.T) {
	var log bytes.Buffer // Not a terminal: a line at the start and at the end.
	b := New(&log, "epoch 1/3", 10)
	b.Update(5, "loss 0.7")
	b.Finish(10, "loss 0.5, 1.2 s")
	if got, want := log.String(), "epoch 1/3 ...\nepoch 1/3: loss 0.5, 1.2 s\n"; got != want {
		t.Errorf("log output %q, want %q", got, want)
	}
	New(nil, "nothing", 1).Finish(1, "shown nowhere")
}

func TestTextLine(t *testing.T) {
	b := &textBar{task: task{title: "mnist", total: 4}}
	line := b.line(1, "2.5 MB")
	if !strings.HasPrefix(line, "mnist  25% [=======>") || !strings.Contains(line, "] 2.5 MB") {
		t.Errorf("line = %q", line)
	}
	unknown := &textBar{task: task{title: "x", total: -1}}
	if line := unknown.line(7, "s"); strings.Contains(line, "%") {
		t.Errorf("unknown total shows a percentage: %q", line)
	}
}

func TestRedraw(t *testing.T) {
	var out bytes.Buffer
	b := &textBar{task: task{title: "f.bin", total: 1000}, w: &out, redraw: true}
	b.Update(500, "0.5 MB")
	b.Finish(1000, "done")
	s := out.String()
	if !strings.Contains(s, "\rf.bin  50% [") || !strings.HasSuffix(s, "\rf.bin 100% [==============================] done   \n") {
		t.Errorf("redrawn output %q", s)
	}
}
