#!/usr/bin/env python3
"""The image's HEALTHCHECK: GET /healthz on the service's own port; exit 0 on 200, else 1.

The port is DESKBRIDGE_HEALTH__PORT when set, else the default 9180 (a port changed only in the
config file is not seen here: set it through the variable in a container). Standard library
only, so the image needs no curl.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

DEFAULT_PORT = "9180"
TIMEOUT_SECONDS = 5.0


def check(port: str) -> tuple[bool, str]:
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            return response.status == 200, f"{url}: {response.status}"
    except urllib.error.HTTPError as error:
        return False, f"{url}: {error.code} {error.read(500).decode('utf-8', 'replace')}"
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return False, f"{url}: no answer ({reason})"


def main() -> int:
    port = os.environ.get("DESKBRIDGE_HEALTH__PORT", DEFAULT_PORT).strip()
    if not port.isdigit():
        print(f"DESKBRIDGE_HEALTH__PORT is not a port number: {port!r}", file=sys.stderr)
        return 1
    healthy, message = check(port)
    print(message, file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
