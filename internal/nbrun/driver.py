"""Executes one Jupyter notebook headlessly for `klcourse run`.

The Go side (internal/nbrun) starts this script once per notebook with a
Python that has nbclient and nbconvert. It executes the code cells in order
with the notebook's kernel, stops at the first cell that fails or runs past
the timeout, saves the executed notebook and a static HTML page, and reports
progress as one JSON object per line on the file descriptor given by
--events-fd (not stdout: the kernel inherits stdout and may outlive us):

  {"event": "start", "cells": N}
  {"event": "cell", "index": I, "seconds": S, "status": "ok"|"error"|"timeout", "error": "..."}
  {"event": "saved", "ipynb": PATH, "html": PATH}
  {"event": "fatal", "error": "..."}      (the kernel could not run at all)
  {"event": "interrupted"}                 (SIGINT or SIGTERM: the kernel was shut down, nothing saved)

The driver owns the kernel's lifetime: it starts the kernel, and shuts it down
whatever happens (success, failing cell, timeout, SIGINT/SIGTERM), so that
GoNB removes its temporary folder and jupyter_client its connection file. The
connection file lives in --runtime-dir, a folder of the Go side that also
serves as TMPDIR and that the Go side removes, with any process still tagged
with its environment, after the driver exits (the backstop for a kernel that
had to be killed).

Variables of the environment override those the kernel spec sets (e.g. the
KLCOURSE_DATA that setup wrote): the environment wins. Values that refer to
the environment (PATH's "...:${PATH}") are kept for Jupyter to expand.
"""

import argparse
import asyncio
import json
import os
import re
import signal
import sys
import time

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError
from nbconvert import HTMLExporter
from nbconvert.preprocessors import CoalesceStreamsPreprocessor

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MAX_ERROR_LINES = 30
# GoNB's %goworkfix names the folder of every module of go.work; the saved
# notebook and its page keep the module and leave the machine's folder out.
GOWORK_FOLDER = re.compile(r'((?:Added replace rule|Replace rule) for module "[^"\n]*") to local directory "[^"\n]*"')


events = sys.stdout  # Replaced by the --events-fd pipe in main.


def emit(**event):
    events.write(json.dumps(event) + "\n")
    events.flush()


def clean(text):
    return ANSI.sub("", text)


def error_text(cell, reply_content):
    """The error a failed cell shows: what its program wrote to stderr (a
    panic and its stack), then its error outputs (compiler messages, "exit
    status 2"), or else the kernel's reply; each text once."""
    parts = []

    def add(text):
        text = clean(text).strip()
        if text and not any(text in p for p in parts):
            parts.append(text)

    add("".join(
        out.get("text", "") for out in cell.get("outputs", [])
        if out.get("output_type") == "stream" and out.get("name") == "stderr"))
    errors = [out for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    for out in errors:
        add("\n".join(line for line in out.get("traceback", []) if line)
            or "%s: %s" % (out.get("ename", ""), out.get("evalue", "")))
    if reply_content and not errors:  # Else the reply repeats the error outputs.
        add(reply_content.get("evalue", ""))
    lines = "\n".join(parts).splitlines()
    if len(lines) > MAX_ERROR_LINES:
        lines = lines[:MAX_ERROR_LINES // 2] + ["..."] + lines[-MAX_ERROR_LINES // 2:]
    return "\n".join(lines) or "the cell failed without an error message"


class Client(NotebookClient):
    """A NotebookClient that remembers, for the cell it ran last, whether it
    timed out and the kernel's reply (whose "evalue" says how the cell's
    program ended, e.g. "exit status 2" after a panic)."""

    timed_out = False
    reply = None

    async def _async_handle_timeout(self, timeout, cell=None):
        self.timed_out = True
        return await super()._async_handle_timeout(timeout, cell)

    async def _check_raise_for_error(self, cell, cell_index, exec_reply):
        self.reply = (exec_reply or {}).get("content")
        return await super()._check_raise_for_error(cell, cell_index, exec_reply)


def write_atomic(path, text):
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def environment_wins(spec_env, environ):
    """The kernel spec's environment with every plain value that environ also
    sets replaced by environ's."""
    env = dict(spec_env or {})
    for key, value in env.items():
        if "${" not in value and key in environ:
            env[key] = environ[key]
    return env


async def shutdown(km):
    """Shuts the kernel down: politely (GoNB then removes its temporary
    folder and stops its children), else by killing it; then removes the
    connection file."""
    if km.has_kernel:
        try:
            await asyncio.wait_for(km.shutdown_kernel(now=False), 20)
        except BaseException:
            try:
                await km.shutdown_kernel(now=True)
            except BaseException:
                pass
    try:
        km.cleanup_resources()
    except BaseException:
        pass


async def execute(nb, args):
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    km = AsyncKernelManager(kernel_name=args.kernel)
    if args.runtime_dir:
        km.connection_file = os.path.join(args.runtime_dir, "kernel-%d.json" % os.getpid())
    spec = km.kernel_spec
    spec.env = environment_wins(spec.env, os.environ)
    # GoNB's raw errors are plain text: readable in the report and in the
    # static HTML page (its HTML errors rely on hover styles).
    if "--raw_error" not in spec.argv and "-raw_error=true" not in spec.argv:
        spec.argv = [a for a in spec.argv if not a.lstrip("-").startswith("raw_error")] + ["--raw_error"]
    client = Client(
        nb,
        km=km,
        timeout=args.timeout,
        interrupt_on_timeout=True,
        allow_errors=False,
        record_timing=True,
        shutdown_kernel="immediate",
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(args.notebook))}},
    )
    code_cells = sum(1 for c in nb.cells if c.cell_type == "code")
    emit(event="start", cells=code_cells)
    try:
        await run_cells(client, nb, args)
    finally:
        await shutdown(km)


async def run_cells(client, nb, args):
    async with client.async_setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            client.timed_out, client.reply = False, None
            start = time.monotonic()
            status, message = "ok", ""
            try:
                # Interrupting a timed-out cell normally ends it; if the
                # kernel does not answer the interrupt, give up on it.
                await asyncio.wait_for(
                    client.async_execute_cell(cell, index), args.timeout + args.grace)
            except CellExecutionError:
                status = "timeout" if client.timed_out else "error"
                message = error_text(cell, client.reply)
            except asyncio.TimeoutError:
                status = "timeout"
                message = "the kernel did not stop after the interrupt; it was killed"
            except DeadKernelError as e:
                status, message = "error", "the kernel died: %s" % e
            if status == "ok" and any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                status, message = "error", error_text(cell, None)
            if status == "timeout":
                message = "cell ran past the timeout of %ds and was interrupted\n%s" % (args.timeout, message)
            emit(event="cell", index=index, seconds=round(time.monotonic() - start, 3),
                 status=status, error=message)
            if status != "ok":
                break


def title(nb, path):
    """The page's title: the notebook's first level-1 heading, else its file name."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return os.path.splitext(os.path.basename(path))[0]


def hide_local_folders(nb):
    """Leaves the machine's folders out of GoNB's %goworkfix messages."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                out["text"] = GOWORK_FOLDER.sub(r"\1 to its local folder", out["text"])


def save(nb, args):
    nb, _ = CoalesceStreamsPreprocessor().preprocess(nb, {})
    hide_local_folders(nb)
    os.makedirs(os.path.dirname(os.path.abspath(args.out_ipynb)), exist_ok=True)
    write_atomic(args.out_ipynb, nbformat.writes(nb))
    html, _ = HTMLExporter().from_notebook_node(nb, resources={"metadata": {"name": title(nb, args.notebook)}})
    write_atomic(args.out_html, html)
    emit(event="saved", ipynb=args.out_ipynb, html=args.out_html)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kernel", default="gonb")
    parser.add_argument("--timeout", type=int, required=True, help="seconds per cell")
    parser.add_argument("--grace", type=int, default=60, help="seconds to wait after an interrupt")
    parser.add_argument("--out-ipynb", required=True)
    parser.add_argument("--out-html", required=True)
    parser.add_argument("--events-fd", type=int, default=1)
    parser.add_argument("--runtime-dir", default="", help="folder for the kernel's connection file")
    parser.add_argument("notebook")
    args = parser.parse_args()
    global events
    events = os.fdopen(args.events_fd, "w", buffering=1)

    nb = nbformat.read(args.notebook, as_version=4)
    try:
        asyncio.run(execute(nb, args))
    except (KeyboardInterrupt, asyncio.CancelledError):
        emit(event="interrupted")
        sys.exit(130)
    except Exception as e:  # The kernel could not start or broke down.
        emit(event="fatal", error="%s: %s" % (type(e).__name__, e))
    save(nb, args)


if __name__ == "__main__":
    main()
