// Command klcourse is the course tool: it sets up a machine for the course,
// executes and renders the notebooks headlessly, fetches and verifies the data
// sets, generates the student exercises from the instructor solutions, and
// measures the speed of the course's models.
//
// Usage:
//
//	klcourse COMMAND [FLAGS] [ARGS]
//
// Run "klcourse help" for the list of commands and "klcourse COMMAND -h" for
// the flags of one.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/klcourse/klcourse/internal/cli"
	"github.com/klcourse/klcourse/internal/module"
	"github.com/klcourse/klcourse/pkg/backend/onnxruntime"
)

// A command is one subcommand of klcourse. Each lives in a file of its own and
// registers itself with register from an init function.
type command struct {
	name    string
	summary string // one line, for "klcourse help"
	// run executes the command with the arguments that follow its name.
	// It returns errSilent after it has already reported a failure itself.
	run func(args []string) error
}

var commands = map[string]command{}

func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("klcourse: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// errSilent, errInterrupted and errUsage set klcourse's exit status (see
// internal/cli).
var (
	errSilent      = cli.ErrSilent
	errInterrupted = cli.ErrInterrupted
	errUsage       = cli.ErrUsage
)

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stderr))
}

func dispatch(args []string, stderr io.Writer) int {
	// The course sends nothing anywhere: ONNX Runtime's telemetry is off in
	// klcourse and in everything it starts (go test, notebook kernels,
	// the grader's programs, the bench). pkg/backend/onnxruntime's init has set
	// it already; this keeps it so should that import ever go.
	onnxruntime.DisableTelemetry()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "klcourse: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	err := c.run(args[1:])
	var status exitStatus
	switch {
	case err == nil:
		return 0
	case errors.As(err, &status):
		return int(status)
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errSilent):
		return 1
	case errors.Is(err, errInterrupted):
		return 130
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "klcourse %s: %v\n", c.name, err)
		return 2
	default:
		fmt.Fprintf(stderr, "klcourse %s: %v\n", c.name, err)
		return 1
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "klcourse: the course tool for the KL-divergence course.")
	fmt.Fprintln(w, "\nUsage: klcourse COMMAND [FLAGS] [ARGS]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-8s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w, "\nRun \"klcourse COMMAND -h\" for the flags of a command.")
}

// exitStatus makes klcourse exit with that status, silently: the command
// ran another program whose status it passes on (its output has said why).
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// usageError, newFlagSet and parseFlags are internal/cli's, for the commands
// in this package.
var (
	usageError = cli.Usagef
	newFlagSet = cli.NewFlagSet
	parseFlags = cli.ParseFlags
)

// moduleRoot is the root of the klcourse checkout around the current
// directory (see internal/module).
func moduleRoot() (string, error) { return module.Root() }
