"""One family of exceptions, each carrying where the problem is: file, line, column, key."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the user's input, with enough location to find it."""

    file: str
    message: str
    line: int | None = None
    column: int | None = None
    key: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class HomepostError(Exception):
    """Base class of every error Homepost reports to the user."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem("homepost", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def unexpected(file: str, exc: Exception) -> Problem:
    """A problem for an exception nobody foresaw while building `file`: the file named, not a traceback."""
    return Problem(file, f"unexpected {type(exc).__name__}: {exc} (a bug in Homepost: please report it)")


class ConfigError(HomepostError):
    """site.toml cannot be read or does not describe a valid site."""


class ContentError(HomepostError):
    """One or more content files cannot be read."""


class BuildError(HomepostError):
    """The build failed; the previous output was left untouched."""


class NetworkError(HomepostError):
    """An outgoing request was refused or failed."""
