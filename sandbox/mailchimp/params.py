"""Query parameters as Mailchimp reads them, each wrong one answered with a 400 that names it."""

from __future__ import annotations

from werkzeug.wrappers import Request

from sandbox.mailchimp.member_input import parse_time
from sandbox.mailchimp.problems import invalid_field

MAX_COUNT = 1000
DEFAULT_COUNT = 10


def flag(request: Request, name: str) -> bool | None:
    """A boolean parameter. Any case is accepted: the Python client sends `True` and `False`."""
    value = request.args.get(name)
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    invalid_field(name, f"{name} must be true or false, got {value!r}.")


def paging(request: Request) -> tuple[int, int]:
    """(count, offset): count defaults to 10 and may not pass 1000."""
    count = _whole(request, "count", DEFAULT_COUNT)
    if count > MAX_COUNT:
        invalid_field("count", f"count may be at most {MAX_COUNT}, got {count}.")
    return count, _whole(request, "offset", 0)


def field_lists(request: Request) -> tuple[list[str] | None, list[str] | None]:
    """`fields` and `exclude_fields`: comma-separated dotted paths such as members.email_address."""
    return _paths(request, "fields"), _paths(request, "exclude_fields")


def shown(request: Request, path: str) -> bool:
    """Whether the answer keeps `path` (dotted) after `fields` and `exclude_fields`: what the
    caller cuts away need not be worked out."""
    fields, exclude = field_lists(request)

    def covers(paths: list[str]) -> bool:
        return any(path == p or path.startswith(p + ".") for p in paths)

    return (fields is None or covers(fields)) and not (exclude and covers(exclude))


def time_param(request: Request, name: str) -> int | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    parsed = parse_time(value)
    if parsed is None:
        invalid_field(
            name,
            f"{name} must be an ISO 8601 time such as 2015-10-21T15:41:36+00:00, got {value!r}.",
        )
    return parsed


def choice(request: Request, name: str, choices: tuple[str, ...]) -> str | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if value not in choices:
        invalid_field(name, f"{name} must be one of {', '.join(choices)}, got {value!r}.")
    return value


def refuse_unemulated(request: Request, names: tuple[str, ...]) -> None:
    """Filters Mailchimp has and the sandbox lacks: say so, rather than quietly ignore them."""
    given = [name for name in names if request.args.get(name) not in (None, "")]
    if given:
        invalid_field(
            given[0], f"the sandbox does not emulate the {', '.join(given)} parameter(s)."
        )


def _whole(request: Request, name: str, default: int) -> int:
    value = request.args.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        invalid_field(name, f"{name} must be a whole number, got {value!r}.")
    if number < 0:
        invalid_field(name, f"{name} may not be negative, got {number}.")
    return number


def _paths(request: Request, name: str) -> list[str] | None:
    value = request.args.get(name)
    if not value:
        return None
    return [path.strip() for path in value.split(",") if path.strip()]
