package main

import (
	"fmt"
	"strings"

	"github.com/klcourse/klcourse/internal/nbrun"
	"github.com/klcourse/klcourse/internal/notebook"
)

func init() {
	register(command{
		name:    "strip",
		summary: "remove outputs and execution counts from notebooks before committing them",
		run:     runStrip,
	})
}

func runStrip(args []string) error {
	fs := newFlagSet("strip", "PATH...")
	check := fs.Bool("check", false, "change nothing; fail and list the notebooks that carry outputs or execution counts")
	paths, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usageError("no notebooks given: name .ipynb files or directories")
	}
	notebooks, err := nbrun.Find(paths)
	if err != nil {
		return usageError("%v", err)
	}
	dirty := 0
	for _, path := range notebooks {
		nb, err := notebook.Read(path)
		if err != nil {
			return err
		}
		if *check {
			if dirt := nb.Dirt(); len(dirt) > 0 {
				dirty++
				fmt.Printf("%s: %s\n", path, strings.Join(dirt, "; "))
			}
			continue
		}
		if nb.Strip() {
			if err := nb.Write(path); err != nil {
				return err
			}
			fmt.Printf("stripped %s\n", path)
		}
	}
	if dirty > 0 {
		fmt.Printf("%d notebook(s) carry outputs; run `go run ./cmd/klcourse strip %s`\n", dirty, strings.Join(paths, " "))
		return errSilent
	}
	return nil
}
