"""The config as the service last read it: every file's text kept, so a run can use it again.

The service re-reads the config before each run and on SIGHUP. A config that is no longer valid
is refused and the last valid one keeps running; since the files on disk have changed by then,
the valid one is kept as text (`ConfigFiles`) and loaded again from that text, for instance
against the Zendesk account's current field schema at the start of a run.

    files, loaded = ConfigFiles.read("config.toml")     # ConfigError: every problem
    loaded = files.load(schema=schema)                  # the same text, loaded again
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from mappings.load import Loaded, check
from mappings.loader import expand_file_glob, read_file_text
from mappings.problems import ConfigError
from mappings.schema import ZendeskSchema


@dataclass
class ConfigFiles:
    """The config file, its includes and the secret files it names, as read at one moment."""

    path: str
    texts: dict[str, str] = field(default_factory=dict, repr=False)  # secret files' too
    globs: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def read(cls, path: str) -> tuple[ConfigFiles, Loaded]:
        """Read the files from disk and load them (without a Zendesk schema)."""
        files = cls(path)
        return files, files.load()

    def load(self, schema: ZendeskSchema | None = None) -> Loaded:
        """Load the kept text; a file (or glob) not read before is read from disk and kept."""
        loaded, problems = check(self.path, self._read, self._glob, os.environ, schema)
        if loaded is None:
            raise ConfigError(p for p in problems if not p.warning)
        return loaded

    def changed_from(self, other: ConfigFiles) -> list[str]:
        """The files whose text differs, appeared or went away (and changed globs' patterns)."""
        names = set(self.texts) | set(other.texts)
        changed = [n for n in names if self.texts.get(n) != other.texts.get(n)]
        patterns = set(self.globs) | set(other.globs)
        changed += [p for p in patterns if self.globs.get(p) != other.globs.get(p)]
        return sorted(changed)

    def _read(self, name: str) -> str:
        if name not in self.texts:
            self.texts[name] = read_file_text(name)
        return self.texts[name]

    def _glob(self, pattern: str) -> list[str]:
        if pattern not in self.globs:
            self.globs[pattern] = expand_file_glob(pattern)
        return self.globs[pattern]
