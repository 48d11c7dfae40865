// Package cli is what klcourse's commands share to read their command
// lines and report their outcome: flag sets whose errors are returned,
// flags after positional arguments, and the errors that set the exit status.
package cli

import (
	"errors"
	"flag"
	"fmt"
)

// ErrUsage marks an error in the command line: klcourse exits with status 2.
var ErrUsage = errors.New("usage")

// ErrSilent makes klcourse exit with status 1 without printing anything
// more: the command has reported its failures already.
var ErrSilent = errors.New("failed")

// ErrInterrupted makes klcourse exit with status 130, as a shell reports a
// command stopped by Ctrl-C, after the command has cleaned up and reported.
var ErrInterrupted = errors.New("interrupted")

// Usagef formats a command-line error (ErrUsage).
func Usagef(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUsage}, args...)...)
}

// NewFlagSet returns a flag set for a subcommand whose errors are returned,
// not fatal, and whose usage line names the subcommand and its arguments.
func NewFlagSet(name, argsUsage string) *flag.FlagSet {
	fs := flag.NewFlagSet("klcourse "+name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: klcourse %s [FLAGS] %s\n\nFlags:\n", name, argsUsage)
		fs.PrintDefaults()
	}
	return fs
}

// ParseFlags parses args with fs, allowing flags after positional arguments
// ("klcourse run notebooks --quick"), and returns the positional arguments.
func ParseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", ErrUsage, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}
