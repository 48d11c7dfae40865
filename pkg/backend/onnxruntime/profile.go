//go:build cgo && !noonnx

package onnxruntime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/gomlx/compute"
	onnxbackend "github.com/gomlx/compute-onnx"
	onnx "github.com/gomlx/compute-onnx/support/protos"
	"github.com/gomlx/compute/shapes"
)

// ortConfigEnv makes ONNX Runtime read session options from a model's
// "ort_config" metadata (onnxruntime/core/session/inference_session_utils).
const ortConfigEnv = "ORT_LOAD_CONFIG_FROM_MODEL"

// profileConfig is the "ort_config" that turns the profiler on.
const profileConfig = `{"session_options":{"enable_profiling":1}}`

func init() {
	dir := os.Getenv(ProfileEnv)
	if dir == "" {
		return
	}
	for _, name := range []string{onnxbackend.BackendName, "onnx"} {
		compute.Register(name, func(config string) (compute.Backend, error) {
			b, err := onnxbackend.New(config)
			if err != nil {
				return nil, err
			}
			return Profiled(b, dir)
		})
	}
}

// Profiled returns b, an ONNX Runtime backend, wrapped so that it profiles
// the graphs it compiles into dir, as ProfileEnv describes. It must be
// called before b compiles anything. Buffers and executables of the wrapper
// are the backend's own, wrapped; a program uses the wrapper in place of b.
func Profiled(b compute.Backend, dir string) (compute.Backend, error) {
	inner, ok := b.(*onnxbackend.Backend)
	if !ok {
		return nil, fmt.Errorf("%s: profiling needs the ONNX Runtime backend, got %s (%T)", ProfileEnv, b.Name(), b)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("%s=%s: %w", ProfileEnv, dir, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.Setenv(ortConfigEnv, "1"); err != nil {
		return nil, err
	}
	inner.SetKeepModelProto(true)
	return &profBackend{Backend: inner, inner: inner, dir: abs}, nil
}

// profBackend is the profiling wrapper of an ONNX Runtime backend.
type profBackend struct {
	compute.Backend
	inner *onnxbackend.Backend
	dir   string

	mu    sync.Mutex
	seq   int
	execs []*profExec // with a session still profiling
}

func (b *profBackend) String() string { return b.inner.String() + " (profiled)" }

// Version is the version of the ONNX Runtime library, as the backend's.
func (b *profBackend) Version() string { return b.inner.Version() }

func (b *profBackend) Builder(name string) compute.Builder {
	return &profBuilder{Builder: b.inner.Builder(name), b: b, name: name}
}

func (b *profBackend) BufferFromFlatData(device compute.DeviceNum, flat any, shape shapes.Shape) (compute.Buffer, error) {
	buf, err := b.inner.BufferFromFlatData(device, flat, shape)
	return b.wrap(buf), err
}

func (b *profBackend) NewSharedBuffer(device compute.DeviceNum, shape shapes.Shape) (compute.Buffer, any, error) {
	buf, flat, err := b.inner.NewSharedBuffer(device, shape)
	return b.wrap(buf), flat, err
}

// Finalize ends the sessions still profiling (completing their traces) and
// finalizes the backend.
func (b *profBackend) Finalize() {
	b.mu.Lock()
	execs := b.execs
	b.execs = nil
	b.mu.Unlock()
	for _, e := range execs {
		e.mu.Lock()
		e.finish()
		e.mu.Unlock()
	}
	b.inner.Finalize()
}

func (b *profBackend) wrap(buf compute.Buffer) compute.Buffer {
	if buf == nil {
		return nil
	}
	return &profBuffer{Buffer: buf, b: b}
}

func unwrap(buf compute.Buffer) compute.Buffer {
	if p, ok := buf.(*profBuffer); ok {
		return p.Buffer
	}
	return buf
}

// profBuffer is a buffer of the backend that says it belongs to the wrapper.
type profBuffer struct {
	compute.Buffer
	b *profBackend
}

func (p *profBuffer) Backend() compute.Backend { return p.b }

func (p *profBuffer) CopyToDevice(device compute.DeviceNum) (compute.Buffer, error) {
	c, err := p.Buffer.CopyToDevice(device)
	return p.b.wrap(c), err
}

type profBuilder struct {
	compute.Builder
	b    *profBackend
	name string
}

// Compile compiles the graph as the backend does, and a second session of
// the same model with the profiler on.
func (pb *profBuilder) Compile() (compute.Executable, error) {
	exec, err := pb.Builder.Compile()
	if err != nil {
		return nil, err
	}
	e := &profExec{Executable: exec, b: pb.b}
	if err := e.startProfile(pb.name); err != nil {
		exec.Finalize()
		return nil, fmt.Errorf("%s: graph %q: %w", ProfileEnv, pb.name, err)
	}
	return e, nil
}

// profExec runs a graph: its first ProfiledRuns executions on the profiled
// session, the rest on the ordinary one.
type profExec struct {
	compute.Executable
	b *profBackend

	mu    sync.Mutex
	prof  compute.Executable // nil once the profile is complete
	runs  int
	trace string // where the trace goes
	start time.Time
	moved bool // the trace is in the folder already
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

func (e *profExec) startProfile(name string) error {
	var model bytes.Buffer
	if err := onnxbackend.SaveModel(e.b.inner, e.Executable, &model, nil, nil); err != nil {
		return err
	}
	proto := e.Executable.(interface{ ModelProto() *onnx.ModelProto }).ModelProto()
	b := e.b
	b.mu.Lock()
	b.seq++
	base := fmt.Sprintf("%03d-%s", b.seq, strings.Trim(unsafeName.ReplaceAllString(name, "_"), "_"))
	b.mu.Unlock()
	if err := writeGraphSummary(filepath.Join(b.dir, base+".graph.json"), name, proto); err != nil {
		return err
	}
	// A message's fields may be appended to its encoding: this adds one
	// metadata_props entry (ModelProto field 14) holding the ort_config.
	data := append(model.Bytes(), metadataEntry(14, "ort_config", profileConfig)...)
	e.trace = filepath.Join(b.dir, base+".json")
	e.start = time.Now()
	prof, err := onnxbackend.LoadModel(b.inner, bytes.NewReader(data))
	if err != nil {
		return err
	}
	e.prof = prof
	// ONNX Runtime opens its trace file when the session starts: move it
	// now, before another session started within the same second (same
	// name) could open it again. The session keeps writing to the moved file.
	e.moved = moveTrace(e.start, e.trace) == nil
	b.mu.Lock()
	b.execs = append(b.execs, e)
	b.mu.Unlock()
	return nil
}

func (e *profExec) Execute(inputs []compute.Buffer, donate []bool, device compute.DeviceNum) ([]compute.Buffer, error) {
	in := make([]compute.Buffer, len(inputs))
	for i, buf := range inputs {
		in[i] = unwrap(buf)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	exec := e.Executable
	if e.prof != nil {
		exec = e.prof
		e.runs++
	}
	out, err := exec.Execute(in, donate, device)
	if e.prof != nil && e.runs >= ProfiledRuns {
		e.finish()
	}
	for i := range out {
		out[i] = e.b.wrap(out[i])
	}
	return out, err
}

func (e *profExec) Finalize() {
	e.mu.Lock()
	e.finish()
	e.mu.Unlock()
	e.Executable.Finalize()
}

// finish ends the profiled session, which completes its trace. e.mu is held.
func (e *profExec) finish() {
	if e.prof == nil {
		return
	}
	e.prof.Finalize()
	e.prof = nil
	if !e.moved {
		if err := moveTrace(e.start, e.trace); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", ProfileEnv, err)
		}
		e.moved = true
	}
	b := e.b
	b.mu.Lock()
	for i, x := range b.execs {
		if x == e {
			b.execs = append(b.execs[:i], b.execs[i+1:]...)
			break
		}
	}
	b.mu.Unlock()
}

// moveTrace moves the newest trace ONNX Runtime started in the working
// folder since start (onnxruntime_profile__DATE_TIME.json) to dst.
func moveTrace(start time.Time, dst string) error {
	files, _ := filepath.Glob("onnxruntime_profile_*.json")
	var newest string
	var newestTime time.Time
	for _, f := range files {
		info, err := os.Stat(f)
		if err != nil || info.ModTime().Before(start.Truncate(time.Second)) {
			continue
		}
		if newest == "" || info.ModTime().After(newestTime) {
			newest, newestTime = f, info.ModTime()
		}
	}
	if newest == "" {
		return fmt.Errorf("ONNX Runtime wrote no trace (onnxruntime_profile_*.json) into the working folder for %s", filepath.Base(dst))
	}
	if err := os.Rename(newest, dst); err != nil {
		return err
	}
	return nil
}

// metadataEntry is the protobuf encoding of a repeated StringStringEntryProto
// field number field holding {key, value}.
func metadataEntry(field int, key, value string) []byte {
	var entry []byte
	entry = appendBytesField(entry, 1, []byte(key))
	entry = appendBytesField(entry, 2, []byte(value))
	return appendBytesField(nil, field, entry)
}

func appendBytesField(b []byte, field int, data []byte) []byte {
	b = appendVarint(b, uint64(field)<<3|2) // wire type 2: length-delimited
	b = appendVarint(b, uint64(len(data)))
	return append(b, data...)
}

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func writeGraphSummary(path, name string, m *onnx.ModelProto) error {
	if m == nil || m.Graph == nil {
		return errors.New("the executable kept no ONNX model")
	}
	s := GraphSummary{Name: name, OpTypes: map[string]int{}}
	for _, n := range m.Graph.Node {
		s.Nodes++
		s.OpTypes[n.OpType]++
	}
	initializers := map[string]bool{}
	for _, t := range m.Graph.Initializer {
		initializers[t.Name] = true
	}
	for _, v := range m.Graph.Input {
		if !initializers[v.Name] {
			s.Inputs = append(s.Inputs, valueInfo(v))
		}
	}
	for _, v := range m.Graph.Output {
		s.Outputs = append(s.Outputs, valueInfo(v))
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

func valueInfo(v *onnx.ValueInfoProto) string {
	t := v.GetType().GetTensorType()
	if t == nil {
		return v.Name
	}
	var dims []string
	for _, d := range t.GetShape().GetDim() {
		if p := d.GetDimParam(); p != "" {
			dims = append(dims, p)
		} else {
			dims = append(dims, fmt.Sprint(d.GetDimValue()))
		}
	}
	return fmt.Sprintf("%s %s[%s]", v.Name, onnx.TensorProto_DataType(t.GetElemType()), strings.Join(dims, ","))
}
