"""Several `airflow` CLI commands, run in turn in one Python process (used by run_pipeline.sh).

    python scripts/airflow_commands.py "db migrate" "dags test campaign_ingest" ...

Each argument is one command line as `airflow` takes it (split like a shell does); each goes
through Airflow's own CLI parser and command function, exactly as `airflow <command>` would,
but Airflow is imported once, and what a process builds on first use (the in-process Execution
API of `dags test`, the libraries the tasks import) is built once for all commands instead of
once per command: several seconds per command. Stops at the first command that fails (exit 1).
Progress lines ("-> airflow <command>") go to file descriptor 3 when it is open (run_pipeline.sh
shows them while the commands' output goes to the run log), and to stdout.

Once every command is done the process ends at once (logging and stdio flushed, then os._exit):
tearing down the interpreter with Airflow, FastAPI, dbt's and GX's objects loaded takes seconds
and has nothing left to save — the commands committed their work and closed their files.
"""
from __future__ import annotations

import logging
import os
import shlex
import sys
import time


def _progress(line: str) -> None:
    print(line, flush=True)
    try:
        os.write(3, (line + "\n").encode())
    except OSError:  # fd 3 not open: stdout only
        pass


def run(commands: list[str]) -> int:
    from airflow.cli import cli_parser
    from airflow.configuration import write_default_airflow_configuration_if_needed

    parser = cli_parser.get_parser()
    write_default_airflow_configuration_if_needed()
    for command in commands:
        _progress(f"-> airflow {command}")
        started = time.monotonic()
        args = parser.parse_args(shlex.split(command))
        try:
            args.func(args)
        except SystemExit as exc:       # how `airflow dags test` reports a failed run
            if exc.code not in (None, 0):
                _progress(f"FAILED: airflow {command}: {exc.code}")
                return 1
        except Exception as exc:
            _progress(f"FAILED: airflow {command}: {type(exc).__name__}: {exc}")
            raise
        _progress(f"   {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    code = run(sys.argv[1:])
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
