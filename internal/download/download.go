// Package download fetches files over HTTP and copies local files so that a
// file at its final path is always complete and verified: the bytes go to a
// temporary file in the destination's directory, the caller's check runs on it,
// and only then is it renamed to the destination. An interrupted transfer
// leaves at most a hidden ".NAME.*.part" file behind, never a file under the
// real name.
package download

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/klcourse/klcourse/internal/safefile"
)

// Check inspects the complete temporary file at path before it is renamed to
// its destination; an error rejects it.
type Check func(path string) error

// StallTimeout is how long a transfer may receive nothing before it is abandoned.
var StallTimeout = 60 * time.Second

// NewClient returns the HTTP client used when none is given: it fails fast
// when the network is unreachable and never limits the length of a transfer
// (StallTimeout catches one that stops).
func NewClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 20 * time.Second}).DialContext,
		TLSHandshakeTimeout:   20 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		ForceAttemptHTTP2:     true,
	}}
}

// File downloads dest from the first of urls that delivers a file passing
// check; size is the expected length in bytes (0 when unknown). It reports to
// progress (nil for none). On failure dest is untouched and the error lists
// what went wrong with every URL.
func File(ctx context.Context, client *http.Client, urls []string, dest string, size int64, check Check, progress Progress) error {
	if client == nil {
		client = NewClient()
	}
	if progress == nil {
		progress = Silent
	}
	var errs []string
	unreachable := 0
	for _, url := range urls {
		err := writeVerified(dest, check, func(w io.Writer) error {
			return get(ctx, client, url, filepath.Base(dest), size, w, progress)
		})
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("download of %s interrupted: %w", filepath.Base(dest), ctx.Err())
		}
		if isUnreachable(err) {
			unreachable++
		}
		errs = append(errs, fmt.Sprintf("%s: %v", url, err))
	}
	if len(urls) == 0 {
		return fmt.Errorf("no URL to download %s from", filepath.Base(dest))
	}
	if unreachable == len(urls) {
		return fmt.Errorf("could not download %s: %w:\n  %s", filepath.Base(dest), ErrUnreachable, strings.Join(errs, "\n  "))
	}
	return fmt.Errorf("could not download %s:\n  %s", filepath.Base(dest), strings.Join(errs, "\n  "))
}

// ErrUnreachable marks a download that failed because no server could be
// reached at all (no name resolution, no connection): the machine is offline.
var ErrUnreachable = errors.New("no server could be reached (is this machine offline?)")

func isUnreachable(err error) bool {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	return errors.As(err, &dnsErr) || (errors.As(err, &opErr) && opErr.Op == "dial")
}

// Copy copies the local file src to dest through a checked temporary file.
func Copy(src, dest string, check Check) error {
	return writeVerified(dest, check, func(w io.Writer) error {
		f, err := os.Open(src)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	})
}

// Write writes the bytes of r to dest through a temporary file in its
// directory that check (when not nil) inspects before it is renamed.
func Write(dest string, check Check, r io.Reader) error {
	return writeVerified(dest, check, func(w io.Writer) error {
		_, err := io.Copy(w, r)
		return err
	})
}

// writeVerified writes dest through a temporary file in its directory: fill
// writes the bytes, check inspects the complete file, and only then is it
// renamed to dest.
func writeVerified(dest string, check Check, fill func(io.Writer) error) error {
	return safefile.Write(dest, fill, check)
}

// get writes the body of url to w.
func get(ctx context.Context, client *http.Client, url, name string, size int64, w io.Writer, progress Progress) (err error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	errStalled := fmt.Errorf("no data for %v", StallTimeout)
	stall := time.AfterFunc(StallTimeout, func() { cancel(errStalled) })
	defer stall.Stop()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		if cause := context.Cause(ctx); errors.Is(cause, errStalled) {
			return cause
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	total := resp.ContentLength
	if total < 0 {
		total = size
	}
	if size > 0 && resp.ContentLength >= 0 && resp.ContentLength != size {
		return fmt.Errorf("the server offers %d bytes, expected %d", resp.ContentLength, size)
	}
	progress.Start(name, url, total)
	var done int64
	defer func() { progress.Finish(done, err) }()
	buf := make([]byte, 256<<10)
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			stall.Reset(StallTimeout)
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
			done += int64(n)
			progress.Update(done)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
				rerr = cause
			}
			return fmt.Errorf("transfer broke after %d of %s bytes: %w", done, sizeString(total), rerr)
		}
	}
	if total >= 0 && done != total {
		return fmt.Errorf("transfer ended after %d of %d bytes", done, total)
	}
	return nil
}

func sizeString(n int64) string {
	if n < 0 {
		return "?"
	}
	return fmt.Sprint(n)
}
