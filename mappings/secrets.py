"""Secrets that never print, references that say where they live, and container overrides.

A config never needs a secret inline: `env:ZENDESK_TOKEN` reads an environment variable and
`file:/run/secrets/zendesk_token` reads a file (one trailing newline stripped, as Docker and
Kubernetes secrets usually end with one). An inline value still works but earns a warning.

Environment overrides, for containers: `DESKBRIDGE_<SECTION>__<KEY>=value` sets `[section] key`
over whatever the files say (`DESKBRIDGE_ZENDESK__SUBDOMAIN=acme`); more `__` go deeper
(`DESKBRIDGE_SURVEYMONKEY__FATIGUE__DAYS=30` sets `[surveymonkey.fatigue] days`). Names are
lower-cased; values stay text
and the model converts them ("400" to 400, "true" to True). Variables without `__`
(`DESKBRIDGE_CONFIG`) are not overrides. Errors about an overridden value name the variable.

The environment and the file reader are always passed in; nothing here reads globals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

from mappings.toml_source import PathKey

ReadFile = Callable[[str], str]
ENV_PREFIX = "DESKBRIDGE_"
INLINE = "the config file itself"
INLINE_WARNING = "holds a secret inline; write env:NAME or file:/path instead of the secret itself"


class SecretError(ValueError):
    """A secret reference that cannot be resolved; the message names the variable or file only."""


class Secret:
    """A secret value that shows only where it came from, never itself, however it is printed."""

    __slots__ = ("_value", "origin")

    def __init__(self, value: str, origin: str) -> None:
        self._value = value
        self.origin = origin

    def reveal(self) -> str:
        """The value, for the one place that needs it (an HTTP client's auth)."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret('***', from {self.origin})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __reduce__(self) -> Any:
        raise TypeError("a Secret is not pickled: it would write the value out")

    def __copy__(self) -> Secret:
        return self  # immutable: copies (and a model's deep copy) share it

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """In a model, a `Secret` field takes a reference, resolved with the validation context.

        The context is `{"env": Mapping[str, str], "read_file": Callable[[str], str]}`, as
        `mappings.loader.validate` passes it; without one only `Secret` instances are accepted.
        """
        return core_schema.with_info_plain_validator_function(
            _validate_secret,
            serialization=core_schema.plain_serializer_function_ser_schema(repr),
        )


def _validate_secret(value: Any, info: core_schema.ValidationInfo) -> Secret:
    if isinstance(value, Secret):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("secret_type", "expected text: env:NAME or file:/path")
    context = info.context if isinstance(info.context, Mapping) else {}
    env = context.get("env")
    read_file = context.get("read_file")
    if env is None or read_file is None:
        raise PydanticCustomError("secret_context", "no environment was given to resolve secrets")
    try:
        return resolve_secret(value, env, read_file)
    except SecretError as error:
        raise PydanticCustomError("secret_unresolved", str(error)) from None


def resolve_secret(text: str, env: Mapping[str, str], read_file: ReadFile) -> Secret:
    """`env:NAME`, `file:/path` or (with a warning elsewhere) the secret itself, as a `Secret`."""
    if text.startswith("env:"):
        name = text[4:].strip()
        if not name:
            raise SecretError("env: needs a variable name, e.g. env:ZENDESK_TOKEN")
        value = env.get(name)
        if value is None:
            raise SecretError(f"the environment variable {name} is not set")
        if not value:
            raise SecretError(f"the environment variable {name} is empty")
        return Secret(value, f"env:{name}")
    if text.startswith("file:"):
        path = text[5:].strip()
        if not path:
            raise SecretError("file: needs a path, e.g. file:/run/secrets/zendesk_token")
        try:
            content = read_file(path)
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
            raise SecretError(f"cannot read the secret file {path}: {reason}") from None
        content = content.removesuffix("\n").removesuffix("\r")
        if not content:
            raise SecretError(f"the secret file {path} is empty")
        return Secret(content, f"file:{path}")
    return Secret(text, INLINE)


def inline_secret_warning(secret: Secret) -> str | None:
    """A warning for a secret written into the config itself, else None."""
    return INLINE_WARNING if secret.origin == INLINE else None


@dataclass(frozen=True)
class EnvOverride:
    """`DESKBRIDGE_ZENDESK__SUBDOMAIN=acme` as path `("zendesk", "subdomain")` and its value."""

    variable: str
    path: PathKey
    value: str

    @property
    def source(self) -> str:
        return f"the environment variable {self.variable}"


def env_overrides(env: Mapping[str, str], prefix: str = ENV_PREFIX) -> list[EnvOverride]:
    """The overrides in `env`, sorted by variable name so that they apply deterministically."""
    found: list[EnvOverride] = []
    for variable in sorted(env):
        if not variable.startswith(prefix) or "__" not in variable:
            continue
        parts = variable[len(prefix) :].lower().split("__")
        if all(parts):
            found.append(EnvOverride(variable, tuple(parts), env[variable]))
    return found
