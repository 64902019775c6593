"""`deskbridge sandbox serve`: the sandbox in the foreground, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from types import FrameType

from sandbox.config import RATE_LIMIT_MODES, SandboxConfig
from sandbox.faults import FaultSpecError, parse_fault_spec
from sandbox.server import SandboxServer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="sandbox_command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve the emulated Zendesk, Mailchimp and SurveyMonkey APIs on a loopback port",
        description="Serve the emulated Zendesk (/api/v2), Mailchimp (/3.0) and SurveyMonkey (/v3) "
        "APIs, and the control API (/_sandbox/), on one port.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port; 0 picks a free one")
    serve.add_argument("--users", type=int, default=1000, help="Zendesk users to seed")
    serve.add_argument("--seed", type=int, default=1, help="same seed, same data")
    serve.add_argument(
        "--anchor",
        type=int,
        default=None,
        help="Unix time the seeded data is 'as of' (default: midnight UTC today)",
    )
    serve.add_argument("--rate-limits", choices=RATE_LIMIT_MODES, default="realistic")
    serve.add_argument("--zendesk-rpm", type=int, default=400, help="Zendesk plan limit a minute")
    serve.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="divide rate-limit windows and job durations by this (60: a minute lasts a second)",
    )
    serve.add_argument("--latency", type=float, default=0.0, help="seconds added to each request")
    serve.add_argument(
        "--faults",
        default="",
        help="SERVICE:KIND=RATE,... e.g. zendesk:503=0.05,all:drop=0.01,slow=2 "
        "(kinds: 500 502 503 429 drop slow malformed)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        config = SandboxConfig(
            users=args.users,
            seed=args.seed,
            anchor=args.anchor,
            rate_limits=args.rate_limits,
            zendesk_rpm=args.zendesk_rpm,
            time_scale=args.time_scale,
            latency=args.latency,
            faults=parse_fault_spec(args.faults),
        )
    except (FaultSpecError, ValueError) as error:
        print(f"deskbridge sandbox: {error}", file=sys.stderr)
        return 2
    server = SandboxServer(config, host=args.host, port=args.port)
    seeding = server.app.world.population.seeding
    print(
        f"sandbox serving {seeding.users} users (seed {seeding.seed}) on {server.url}\n"
        f"  Zendesk       {server.url}/api/v2   admin@example.com / token sandbox-token\n"
        f"  Mailchimp     {server.url}/3.0      API key sandbox-us1\n"
        f"  SurveyMonkey  {server.url}/v3       Bearer sandbox-token\n"
        f"  control       {server.url}/_sandbox/",
        flush=True,
    )

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    with contextlib.suppress(BrokenPipeError):  # whoever started us may have stopped listening
        print("sandbox stopped", flush=True)
    return 0
