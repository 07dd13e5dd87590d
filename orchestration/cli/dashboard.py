"""``revloop dashboard``: the RevOps dashboard (``dashboard/``) on 127.0.0.1.

Becomes ``streamlit run dashboard/app.py`` (exec, same process) with the published snapshot's
path (``REVLOOP_SNAPSHOT``, else ``revloop_published.duckdb`` beside ``REVLOOP_WAREHOUSE``:
the same rule the publisher uses). The app opens that file read-only and never the working
warehouse, so it may run next to the nightly job; a new build appears on the next page view.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from orchestration.cli.common import EXIT_FAILED
from orchestration.settings import Settings

DEFAULT_PORT = 8501


def register(sub: argparse._SubParsersAction) -> None:
    dash = sub.add_parser(
        "dashboard", help="serve the RevOps dashboard on 127.0.0.1 (reads the published snapshot)"
    )
    dash.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    dash.add_argument(
        "--snapshot",
        type=Path,
        default=None,
        help="the published snapshot to read (default: REVLOOP_SNAPSHOT, else "
        "revloop_published.duckdb beside REVLOOP_WAREHOUSE)",
    )
    dash.set_defaults(func=cmd_dashboard)


def dashboard_snapshot(args: argparse.Namespace, settings: Settings) -> Path:
    from orchestration.defs.publish.snapshot import snapshot_location

    if args.snapshot:
        return args.snapshot.resolve()
    return snapshot_location(settings.warehouse, os.environ.get("REVLOOP_SNAPSHOT")).resolve()


def streamlit_command(port: int, snapshot: Path) -> list[str]:
    """The ``streamlit run`` line: loopback only, headless, no usage statistics, no file
    watcher (the app's code does not change under a user), then the app's own arguments."""
    import dashboard

    app = Path(dashboard.__file__).with_name("app.py")
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--server.runOnSave",
        "false",
        "--browser.gatherUsageStats",
        "false",
        "--global.developmentMode",
        "false",
        "--client.toolbarMode",
        "viewer",
        "--",
        "--snapshot",
        str(snapshot),
    ]


def cmd_dashboard(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    snapshot = dashboard_snapshot(args, settings)
    if snapshot == Path(settings.warehouse).resolve():
        print(
            f"revloop dashboard: {snapshot} is the working warehouse; the dashboard reads only "
            "the published snapshot (revloop_published.duckdb beside it), so it never blocks "
            "the nightly run and never shows a build that failed its gate",
            file=sys.stderr,
        )
        return EXIT_FAILED
    print(f"RevOps dashboard on http://127.0.0.1:{args.port}  (snapshot: {snapshot}); Ctrl-C stops")
    if not snapshot.exists():
        print(
            f"  no published snapshot yet at {snapshot}: run `revloop run` (or `make demo`); "
            "a run publishes only when its quality gate passes, and the dashboard shows the "
            "new build on the next page view (until then every page says so)",
            file=sys.stderr,
        )
    sys.stdout.flush()
    sys.stderr.flush()
    command = streamlit_command(args.port, snapshot)
    # Streamlit replaces this process: Ctrl-C and SIGTERM reach the server itself, and no
    # orphaned server is left behind when the command is stopped.
    os.execv(command[0], command)
    return EXIT_FAILED  # not reached
