//go:build !linux

package bench

import "errors"

func measureCore() (*coreMeasure, error) {
	return nil, errors.New("the core is measured on Linux only (thread CPU time)")
}
