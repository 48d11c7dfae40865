package onnxruntime

// ProfileEnv names a folder: when it is set as a program starts, the ONNX
// Runtime backend ("onnx" or "onnxruntime") of that program runs the first
// ProfiledRuns executions of every graph it compiles under ONNX Runtime's
// profiler and writes, for each graph, into the folder:
//
//	NNN-NAME.json        ONNX Runtime's trace (Chrome trace format): one event
//	                     per node and run, with the node's op type and time
//	NNN-NAME.graph.json  the graph as GoMLX handed it to ONNX Runtime: its
//	                     node count and op types, inputs and outputs
//
// (NNN numbers the graphs in the order they were compiled). Later runs use
// the graph's ordinary session, as they do with the variable unset. The
// profiled session is a second session of the same ONNX model, created with
// the same options plus enable_profiling, which ONNX Runtime reads from the
// model's "ort_config" metadata when ORT_LOAD_CONFIG_FROM_MODEL=1 (set only
// while profiling). A trace is complete once its session has ended: after
// ProfiledRuns runs, or when the backend is finalized. ONNX Runtime writes a
// trace into the working folder; it is moved into the folder at once.
//
// Unset (the default), nothing changes: the backend is compute-onnx's own,
// and nothing is written. "klcourse bench --profile" sets it for the
// benchmarks and reads the traces back (docs/bench-profile.md). In programs
// built without cgo, or with the tag noonnx, there is no ONNX Runtime backend
// and the variable does nothing.
const ProfileEnv = "KLCOURSE_ORT_PROFILE"

// SessionOptionsEnv holds ONNX Runtime session options as a JSON object of
// integers, e.g. {"execution_mode":1,"inter_op_num_threads":2}: when it is
// set as a program starts, every graph the ONNX Runtime backend compiles
// runs on a session made with them (a second compilation of the same model,
// with the options in its "ort_config" metadata, as for profiling).
// ONNX Runtime reads four options from a model: intra_op_num_threads,
// inter_op_num_threads, execution_mode (0 sequential, 1 parallel) and
// graph_optimization_level (0, 1, 2 or 99). It is for measuring what they
// change ("klcourse bench" with it set, against a run without); unset,
// graphs run with compute-onnx's options, ONNX Runtime's defaults.
const SessionOptionsEnv = "KLCOURSE_ORT_SESSION_OPTIONS"

// ProfiledRuns is the number of executions of each graph that run under the
// profiler. The first includes one-time work (memory planning, weight
// pre-packing): a reader of the trace should skip it.
const ProfiledRuns = 12

// GraphSummary is what NNN-NAME.graph.json says about a profiled graph.
type GraphSummary struct {
	Name    string         `json:"name"`
	Nodes   int            `json:"nodes"`    // ONNX nodes, before ONNX Runtime's optimizations
	OpTypes map[string]int `json:"op_types"` // nodes by op type
	Inputs  []string       `json:"inputs"`   // "name dtype[dims]"
	Outputs []string       `json:"outputs"`
}
