"""The GoNB cell rows of `klcourse bench`: how long a student waits for a cell.

Started by klcourse (internal/bench/cells.go) with the Python that runs
notebooks (it has jupyter_client). It starts the course's GoNB kernel in the
lectures' folder, runs the set-up cells every lecture starts with, then
--repeats times each of three cells a lecture has (a print, a plot, a small
GoMLX graph on the course's backend), and times each cell from the execute
request to the kernel's reply, as Jupyter does. It also reads the CPU time
of the kernel's children (go build, the linker, the cell's program), which
under load is steadier than the wall time.

Prints one JSON object per cell kind:
  {"cell": "graph", "seconds": [...], "cpu_seconds": [...]}
The first execution of each kind is the one after the kernel started (cold).
"""

import argparse
import json
import os
import sys
import time

from jupyter_client.manager import KernelManager

SETUP = [
    '!*rm -f go.work && go work init && go work use . "${GONB_DIR}/.."\n%goworkfix\n%noautoget',
    'import (\n\t"fmt"\n\n\t"github.com/gomlx/gomlx/core/graph"\n\t"github.com/janpfeifer/must"\n\n'
    '\t"github.com/klcourse/klcourse/pkg/backend"\n\t"github.com/klcourse/klcourse/pkg/plots"\n)',
]

CELLS = {
    "trivial": '%%\nfmt.Println(6 * 7)',
    "plot": '%%\nmust.M(plots.Show(must.M1(plots.Bars("Two distributions", "probability", []string{"R", "G", "B"},\n'
            '\tplots.Series{Name: "P", Values: []float64{0.1, 0.4, 0.5}}, plots.Series{Name: "Q", Values: []float64{0.8, 0.15, 0.05}}))))',
    "graph": '%%\nb, _ := backend.MustNew()\nfmt.Println(graph.MustExecOnce(b, func(x *graph.Node) *graph.Node {\n'
             '\treturn graph.ReduceAllSum(graph.Mul(x, x))\n}, []float32{1, 2, 3}))',
}

WANT = {"trivial": "42", "graph": "14"}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kernel", default="gonb")
    p.add_argument("--cwd", required=True, help="the lectures' folder (its parent is the module)")
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    km = KernelManager(kernel_name=args.kernel)
    km.start_kernel(cwd=args.cwd)
    kc = km.client()
    try:
        kc.start_channels()
        kc.wait_for_ready(timeout=120)
        pid = km.provisioner.process.pid

        def cpu():
            # utime, stime, cutime, cstime of the kernel: its children's
            # time counts once they are reaped, as GoNB reaps go and the cell.
            fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
            return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")

        def run(code):
            outs = []

            def hook(msg):
                c = msg["content"]
                if msg["msg_type"] == "stream":
                    outs.append(c.get("text", ""))
                elif msg["msg_type"] == "error":
                    outs.append("\n".join(c.get("traceback", [])) or c.get("evalue", ""))
            c0, t0 = cpu(), time.perf_counter()
            reply = kc.execute_interactive(code, timeout=600, output_hook=hook)
            seconds, cpu_seconds = time.perf_counter() - t0, cpu() - c0
            if reply["content"]["status"] != "ok":
                raise SystemExit("bench cells: the cell\n%s\nfailed: %s" % (code, "".join(outs)[-2000:]))
            return seconds, cpu_seconds, "".join(outs)

        for code in SETUP:
            run(code)
        results = {k: {"cell": k, "seconds": [], "cpu_seconds": []} for k in CELLS}
        for _ in range(args.repeats):
            for name, code in CELLS.items():
                s, c, out = run(code)
                if name in WANT and WANT[name] not in out:
                    raise SystemExit("bench cells: the %s cell printed %r, want %s" % (name, out, WANT[name]))
                results[name]["seconds"].append(round(s, 4))
                results[name]["cpu_seconds"].append(round(c, 3))
        for r in results.values():
            print(json.dumps(r), flush=True)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
