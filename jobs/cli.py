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
    if args.command == "sandbox":
        from sandbox.cli import run as run_sandbox

        return run_sandbox(args)
    raise AssertionError(f"unhandled command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
