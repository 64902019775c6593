"""The `deskbridge` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import version


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
        help="start the embedded sandbox and show what it holds through the real client libraries",
    )
    for name, what in (
        ("validate", "check the config: every problem at once, with file and line"),
        ("test", "run the config's [[tests]] (exit 1 if any fails)"),
    ):
        command = commands.add_parser(name, help=what)
        command.add_argument(
            "--config", help="the config file (default: $DESKBRIDGE_CONFIG or config.toml)"
        )
        command.add_argument(
            "--schema",
            metavar="FILE",
            help="a saved answer of Zendesk's GET /api/v2/user_fields.json to check against",
        )
    from sandbox.cli import add_arguments as add_sandbox_arguments

    add_sandbox_arguments(
        commands.add_parser(
            "sandbox", help="the local stand-in for Zendesk, Mailchimp and SurveyMonkey"
        )
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from jobs.demo import run_demo

        return run_demo()
    if args.command in ("validate", "test"):
        from jobs import check_config

        run = check_config.validate if args.command == "validate" else check_config.test
        return run(check_config.config_path(args.config), args.schema, sys.stdout)
    if args.command == "sandbox":
        from sandbox.cli import run as run_sandbox

        return run_sandbox(args)
    raise AssertionError(f"unhandled command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
