// Package setup is "klcourse setup": it checks, and where it can installs,
// what the course needs on this machine (setupSteps, in steps.go, lists the
// steps in the order they run), for one user or, with --system, for every
// student of a lab.
package setup

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/klcourse/klcourse/internal/module"
	"github.com/klcourse/klcourse/pkg/course"
)

// A setupStep checks one thing the course needs on this machine and, where it
// can, installs it. Steps live next to what they install; setupSteps lists
// them in the order they run.
type setupStep struct {
	name string
	// check reports what is installed (a version, a path) or an error that
	// says what is missing or broken.
	check func(env *setupEnv) (string, error)
	// install installs or repairs what check found missing. Nil when the step
	// cannot install by itself.
	install func(env *setupEnv) error
	// fix returns the exact shell command a person runs to fix the step by
	// hand; setup prints it for every step that is still missing.
	fix func(env *setupEnv) string
	// systemOnly steps run only with --system.
	systemOnly bool
}

// setupEnv is what the setup steps share.
type setupEnv struct {
	root      string // the klcourse module's root directory
	home      string // course.Home(): where tools are installed
	checkOnly bool   // verify only, install nothing
	// system is set by --system: a machine-wide install for a lab, in home
	// (the prefix, /opt/klcourse), with the kernel registered for every user
	// (see system.go).
	system bool
	// runsBundle is --runs: a bundle of runs (klcourse runs pack) to share
	// with the lab's students (see runs.go).
	runsBundle string
	out        io.Writer // progress and results
	// kernelEnv collects environment variables that earlier steps want set in
	// the GoNB kernel's environment (kernel.json); the kernel step writes them.
	kernelEnv map[string]string
}

// Summary is setup's line in klcourse's list of commands.
const Summary = "install or verify Jupyter, the GoNB kernel, the tools, ONNX Runtime and the data"

// ErrMissing is what Run returns when something is still missing after it
// ran: it has printed what, and the commands that fix it.
var ErrMissing = errors.New("setup: something is missing")

// ErrUsage marks an error in the command line.
var ErrUsage = errors.New("usage")

// Run is "klcourse setup ARGS...", reporting to stdout.
func Run(args []string) error {
	fs := flag.NewFlagSet("klcourse setup", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: klcourse setup [FLAGS]\n\nFlags:\n")
		fs.PrintDefaults()
	}
	checkOnly := fs.Bool("check", false, "only verify; install nothing and print the command that fixes each missing piece")
	system := fs.Bool("system", false, "install for every user of this machine (a lab): tools, ONNX Runtime, the course and its Go modules under --prefix, the kernel in "+systemKernelsDir+", JupyterHub")
	prefix := fs.String("prefix", defaultSystemPrefix, "with --system: where the shared install goes")
	runsBundle := fs.String("runs", "", "with --system: a bundle made by 'klcourse runs pack' to install as the lab's shared, read-only run store (PREFIX/runs)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q (setup takes only flags)", ErrUsage, fs.Args())
	}
	bundle, err := runsFlag(*runsBundle, *system)
	if err != nil {
		return err
	}
	root, err := module.Root()
	if err != nil {
		return err
	}
	home, err := course.Home()
	if err != nil {
		return fmt.Errorf("cannot find the course's home directory: %w (set %s)", err, course.HomeEnv)
	}
	env := &setupEnv{root: root, home: home, checkOnly: *checkOnly, runsBundle: bundle, out: os.Stdout, kernelEnv: map[string]string{}}
	if *system {
		if err := prepareSystem(env, *prefix); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.out, "klcourse setup: module %s, tools in %s\n", root, env.home)
	var missing []setupStep
	for _, s := range setupSteps {
		if s.systemOnly && !env.system {
			continue
		}
		if !runSetupStep(env, s) {
			missing = append(missing, s)
		}
	}
	if len(missing) == 0 {
		fmt.Fprintln(env.out, "\nEverything the course needs is in place.")
		return nil
	}
	fmt.Fprintln(env.out, "\nMissing; run these commands to fix:")
	for _, s := range missing {
		fmt.Fprintf(env.out, "  %-13s %s\n", s.name+":", s.fix(env))
	}
	return ErrMissing
}

// runSetupStep checks s, installs it when it is missing and installing is
// allowed, and reports whether s is in place afterwards.
func runSetupStep(env *setupEnv, s setupStep) bool {
	what, err := s.check(env)
	if err == nil {
		fmt.Fprintf(env.out, "  ok       %-12s %s\n", s.name, what)
		return true
	}
	if env.checkOnly || s.install == nil {
		fmt.Fprintf(env.out, "  MISSING  %-12s %s\n", s.name, oneLine(err))
		return false
	}
	fmt.Fprintf(env.out, "  install  %-12s (%s)\n", s.name, oneLine(err))
	if err := s.install(env); err != nil {
		fmt.Fprintf(env.out, "  FAILED   %-12s %s\n", s.name, oneLine(err))
		return false
	}
	what, err = s.check(env)
	if err != nil {
		fmt.Fprintf(env.out, "  FAILED   %-12s installed, but the check still fails: %s\n", s.name, oneLine(err))
		return false
	}
	fmt.Fprintf(env.out, "  ok       %-12s %s\n", s.name, what)
	return true
}

// oneLine formats err for the report: a message of several lines keeps them,
// indented under the step.
func oneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "\n"+strings.Repeat(" ", 24))
}
