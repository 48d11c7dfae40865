//go:build cgo && !noonnx

package onnxruntime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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

func init() {
	dir, options := os.Getenv(ProfileEnv), os.Getenv(SessionOptionsEnv)
	if dir == "" && options == "" {
		return
	}
	for _, name := range []string{onnxbackend.BackendName, "onnx"} {
		compute.Register(name, func(config string) (compute.Backend, error) {
			b, err := onnxbackend.New(config)
			if err != nil {
				return nil, err
			}
			return wrap(b, dir, options)
		})
	}
}

// Profiled returns b, an ONNX Runtime backend, wrapped so that it profiles
// the graphs it compiles into dir, as ProfileEnv describes. It must be
// called before b compiles anything. Buffers and executables of the wrapper
// are the backend's own, wrapped; a program uses the wrapper in place of b.
func Profiled(b compute.Backend, dir string) (compute.Backend, error) {
	return wrap(b, dir, "")
}

// WithSessionOptions returns b, an ONNX Runtime backend, wrapped so that
// every graph runs on a session made with options, as SessionOptionsEnv
// describes.
func WithSessionOptions(b compute.Backend, options string) (compute.Backend, error) {
	return wrap(b, "", options)
}

// sessionOptionKeys are the session options ONNX Runtime reads from a
// model's ort_config (inference_session_utils.cc), all integers.
var sessionOptionKeys = []string{"intra_op_num_threads", "inter_op_num_threads", "execution_mode", "graph_optimization_level"}

// wrap wraps b to profile into dir (if not "") and to run every graph with
// the session options (a JSON object, if not "").
func wrap(b compute.Backend, dir, options string) (compute.Backend, error) {
	inner, ok := b.(*onnxbackend.Backend)
	if !ok {
		return nil, fmt.Errorf("%s and %s need the ONNX Runtime backend, got %s (%T)", ProfileEnv, SessionOptionsEnv, b.Name(), b)
	}
	p := &profBackend{Backend: inner, inner: inner, options: map[string]int{}}
	if options != "" {
		if err := json.Unmarshal([]byte(options), &p.options); err != nil {
			return nil, fmt.Errorf("%s=%q: want a JSON object of integers, e.g. {\"execution_mode\":1}: %v", SessionOptionsEnv, options, err)
		}
		for k := range p.options {
			if !slices.Contains(sessionOptionKeys, k) {
				return nil, fmt.Errorf("%s: ONNX Runtime reads no session option %q from a model; it reads %s", SessionOptionsEnv, k, strings.Join(sessionOptionKeys, ", "))
			}
		}
	}
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("%s=%s: %w", ProfileEnv, dir, err)
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, err
		}
		p.dir = abs
	}
	if err := os.Setenv(ortConfigEnv, "1"); err != nil {
		return nil, err
	}
	inner.SetKeepModelProto(true)
	return p, nil
}

// ortConfig is the ort_config of a session with the wrapper's options,
// and the profiler on if profile.
func (b *profBackend) ortConfig(profile bool) string {
	opts := maps.Clone(b.options)
	if profile {
		opts["enable_profiling"] = 1
	}
	data, _ := json.Marshal(map[string]any{"session_options": opts})
	return string(data)
}

// load compiles the model of exec again, for a session with config.
func (b *profBackend) load(exec compute.Executable, config string) (compute.Executable, error) {
	var model bytes.Buffer
	if err := onnxbackend.SaveModel(b.inner, exec, &model, nil, nil); err != nil {
		return nil, err
	}
	// A message's fields may be appended to its encoding: this adds one
	// metadata_props entry (ModelProto field 14) holding the ort_config.
	data := append(model.Bytes(), metadataEntry(14, "ort_config", config)...)
	return onnxbackend.LoadModel(b.inner, bytes.NewReader(data))
}

// profBackend is the profiling wrapper of an ONNX Runtime backend.
type profBackend struct {
	compute.Backend
	inner   *onnxbackend.Backend
	dir     string         // where traces go; "" when not profiling
	options map[string]int // session options of every graph's session

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

// Compile compiles the graph as the backend does, again with the session
// options when there are some, and a session with the profiler on when
// profiling.
func (pb *profBuilder) Compile() (compute.Executable, error) {
	exec, err := pb.Builder.Compile()
	if err != nil {
		return nil, err
	}
	e := &profExec{Executable: exec, b: pb.b}
	if len(pb.b.options) > 0 {
		tuned, err := pb.b.load(exec, pb.b.ortConfig(false))
		exec.Finalize()
		if err != nil {
			return nil, fmt.Errorf("%s: graph %q: %w", SessionOptionsEnv, pb.name, err)
		}
		e.Executable = tuned
	}
	if pb.b.dir != "" {
		if err := e.startProfile(pb.name); err != nil {
			e.Executable.Finalize()
			return nil, fmt.Errorf("%s: graph %q: %w", ProfileEnv, pb.name, err)
		}
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
	proto := e.Executable.(interface{ ModelProto() *onnx.ModelProto }).ModelProto()
	b := e.b
	b.mu.Lock()
	b.seq++
	base := fmt.Sprintf("%03d-%s", b.seq, strings.Trim(unsafeName.ReplaceAllString(name, "_"), "_"))
	b.mu.Unlock()
	if err := writeGraphSummary(filepath.Join(b.dir, base+".graph.json"), name, proto); err != nil {
		return err
	}
	e.trace = filepath.Join(b.dir, base+".json")
	e.start = time.Now()
	prof, err := b.load(e.Executable, b.ortConfig(true))
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
