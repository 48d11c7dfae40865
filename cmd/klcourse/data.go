package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/klcourse/klcourse/pkg/course"
	"github.com/klcourse/klcourse/pkg/datasets"
)

func init() {
	register(command{
		name:    "data",
		summary: "fetch, verify or locate the data sets (mnist, fashion-mnist, cifar10)",
		run:     func(args []string) error { return runData(args, os.Stdout) },
	})
}

const dataUsage = `fetch|verify|path NAME...

  fetch   make the data sets complete and verified in their directories,
          copying packaged copies and downloading what is missing or corrupt
  verify  check every file (sha256 of the published files; magic numbers,
          dimensions, label ranges, record sizes) and fail naming bad files
  path    print the directory of each data set

NAME is one of ` + "mnist, fashion-mnist, cifar10" + `. The directories are
$KLCOURSE_DATA/NAME (default: the user's cache directory, klcourse/NAME).`

func runData(args []string, out io.Writer) error {
	fs := newFlagSet("data", dataUsage)
	dir := fs.String("dir", "", "the data set's own directory (default $KLCOURSE_DATA/NAME); only with one NAME")
	quick := fs.Bool("quick", course.Quick(), "quick mode: CIFAR-10's prefix files (4000 train / 1000 test) count as complete (default from "+course.QuickEnv+")")
	offline := fs.Bool("offline", false, "never use the network (fetch then only copies packaged copies and extracts a placed tarball)")
	positional, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(positional) < 2 {
		return usageError("want an action and at least one data set: klcourse data %s", strings.Fields(dataUsage)[0])
	}
	action, names := positional[0], positional[1:]
	for _, name := range names {
		if !isDataset(name) {
			return usageError("unknown data set %q; the course has %s", name, strings.Join(datasets.Names(), ", "))
		}
	}
	if *dir != "" && len(names) > 1 {
		return usageError("--dir names one data set's directory, but %d data sets were given", len(names))
	}
	dirOf := func(name string) (string, error) {
		if *dir != "" {
			return *dir, nil
		}
		return datasets.Dir(name)
	}

	switch action {
	case "path":
		for _, name := range names {
			d, err := dirOf(name)
			if err != nil {
				return err
			}
			fmt.Fprintln(out, d)
		}
		return nil
	case "verify":
		failed := false
		for _, name := range names {
			d, err := dirOf(name)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%s: %s\n", name, d)
			rep, err := datasets.Verify(name, d)
			if rep != nil {
				fmt.Fprint(out, rep)
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "klcourse data verify: %v\n", err)
				failed = true
			}
		}
		if failed {
			return errSilent
		}
		return nil
	case "fetch":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		f := &datasets.Fetcher{Quick: *quick, Offline: *offline, Log: os.Stderr}
		var errs []error
		for _, name := range names {
			d, err := dirOf(name)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%s: %s\n", name, d)
			rep, err := f.Fetch(ctx, name, d)
			if rep != nil {
				fmt.Fprint(out, rep)
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	default:
		return usageError("unknown action %q: want fetch, verify or path", action)
	}
}

func isDataset(name string) bool {
	for _, n := range datasets.Names() {
		if n == name {
			return true
		}
	}
	return false
}
