"""The `deskbridge` command."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib.metadata import version

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a reader that stopped early


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deskbridge",
        description="Keeps a helpdesk's customers segmented and in step with Mailchimp, "
        "SurveyMonkey and CSV.",
    )
    parser.add_argument(
        "--version", action="version", version=f"deskbridge {version('deskbridge')}"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "demo",
        help="start the embedded sandbox; sync it (a dry run, a sync, changes, a second sync)",
    )
    for name, what in (
        ("validate", "check the config: every problem at once, with file and line"),
        ("test", "run the config's [[tests]] (exit 1 if any fails)"),
    ):
        command = commands.add_parser(name, help=what)
        _config_argument(command)
        command.add_argument(
            "--schema",
            metavar="FILE",
            help="a saved answer of Zendesk's GET /api/v2/user_fields.json to check against",
        )
    sync = commands.add_parser(
        "sync", help="pull from Zendesk, run the rules and lists, and push the changes"
    )
    _config_argument(sync)
    sync.add_argument("--dry-run", action="store_true", help="show the plan; write nothing")
    sync.add_argument("--json", action="store_true", help="print the plan and result as JSON")
    sync.add_argument("--full", action="store_true", help="re-read everything, not just changes")
    sync.add_argument("--only", metavar="LIST", help="sync only this list's destinations")
    sync.add_argument(
        "--force", action="store_true", help="apply removals the blast-radius guard holds back"
    )
    sync.add_argument(
        "--health-port",
        type=_port,
        metavar="PORT",
        help="serve /healthz, /readyz and /metrics on this port while it runs (0: any free one)",
    )
    run = commands.add_parser(
        "run", help="the long-running service: run the config's [schedule] until stopped"
    )
    _config_argument(run)
    runs = commands.add_parser("runs", help="the history of syncs, with counts and errors")
    _config_argument(runs)
    runs.add_argument("--last", type=int, default=10, metavar="N", help="how many (default 10)")
    _inspection_commands(commands)
    from sandbox.cli import add_arguments as add_sandbox_arguments

    add_sandbox_arguments(
        commands.add_parser(
            "sandbox", help="the local stand-in for Zendesk, Mailchimp and SurveyMonkey"
        )
    )
    return parser


def _inspection_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    lists = commands.add_parser(
        "lists", help="the lists with their members (as of the last sync) and destinations"
    )
    _config_argument(lists)
    lists.add_argument("name", nargs="?", metavar="NAME", help="only this list")
    lists.add_argument(
        "--members", action="store_true", help="print the members (email, name, group, since)"
    )
    explain = commands.add_parser(
        "explain", help="why a customer is (or is not) in each list, and what each rule wants"
    )
    _config_argument(explain)
    explain.add_argument("email", metavar="EMAIL", help="the customer's email address")
    export = commands.add_parser("export", help="write a list's members to a file")
    _config_argument(export)
    export.add_argument("list", metavar="LIST", help="the list's name")
    export.add_argument("--csv", action="store_true", required=True, help="as CSV (required)")
    export.add_argument(
        "--out",
        metavar="PATH",
        help="the file (default: the list's [lists.csv] path, else <list-name>.csv here)",
    )
    export.add_argument(
        "--schema",
        metavar="FILE",
        help="a saved user_fields.json to show dropdowns and dates by (default: the live one)",
    )


def _port(text: str) -> int:
    port = int(text) if text.isdigit() else -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text!r}")
    return port


def _config_argument(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--config", help="the config file (default: $DESKBRIDGE_CONFIG or config.toml)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _command(args)
    except BrokenPipeError:
        # The reader went away (`deskbridge lists --members | head`): stop quietly, as cat
        # does; stdout is pointed at /dev/null so that Python's own flush at exit is quiet too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _command(args: argparse.Namespace) -> int:
    if args.command == "demo":
        from jobs.demo import run_demo

        return run_demo()
    if args.command in ("validate", "test"):
        from jobs import check_config

        run = check_config.validate if args.command == "validate" else check_config.test
        return run(check_config.config_path(args.config), args.schema, sys.stdout)
    if args.command == "sync":
        from jobs import commands
        from jobs.check_config import config_path
        from jobs.sync import SyncOptions

        options = SyncOptions(
            dry_run=args.dry_run, full=args.full, only=args.only, force=args.force
        )
        return commands.sync(
            config_path(args.config), options, as_json=args.json, health_port=args.health_port
        )
    if args.command == "run":
        from jobs.check_config import config_path
        from jobs.service import run_service

        return run_service(config_path(args.config))
    if args.command == "runs":
        from jobs import commands
        from jobs.check_config import config_path

        return commands.runs(config_path(args.config), args.last)
    if args.command in ("lists", "explain", "export"):
        return _inspect(args)
    if args.command == "sandbox":
        from sandbox.cli import run as run_sandbox

        return run_sandbox(args)
    raise AssertionError(f"unhandled command {args.command}")


def _inspect(args: argparse.Namespace) -> int:
    from jobs import inspection
    from jobs.check_config import config_path

    path = config_path(args.config)
    if args.command == "lists":
        return inspection.lists(path, args.name, args.members)
    if args.command == "explain":
        return inspection.explain(path, args.email)
    from jobs import list_export

    return list_export.export(path, args.list, args.out, args.schema)


if __name__ == "__main__":
    sys.exit(main())
