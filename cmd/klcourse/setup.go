package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/klcourse/klcourse/internal/setup"
)

func init() {
	register(command{name: "setup", summary: setup.Summary, run: runSetup})
}

// runSetup is "klcourse setup": internal/setup does the work.
func runSetup(args []string) error {
	err := setup.Run(args)
	switch {
	case errors.Is(err, setup.ErrMissing):
		return errSilent // setup has printed what is missing and how to fix it
	case errors.Is(err, setup.ErrUsage):
		return fmt.Errorf("%w: %s", errUsage, strings.TrimPrefix(err.Error(), setup.ErrUsage.Error()+": "))
	}
	return err
}
