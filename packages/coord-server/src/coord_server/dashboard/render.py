"""The Jinja2 environment of the dashboard: packaged templates, autoescaped, with time filters."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from coord_server.dashboard.times import iso, relative, utc_text

NO_REPO = "(no repo)"
"""How the bucket of claims without a repo is named, and its filter value (no repo id has
parentheses, so it cannot clash)."""


@cache
def environment() -> Environment:
    """Built once per process; templates are compiled on first use."""
    env = Environment(
        loader=PackageLoader("coord_server.dashboard", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["iso"] = iso
    env.filters["utc"] = utc_text
    env.filters["repo"] = lambda repo: repo or NO_REPO
    env.globals["relative"] = relative
    env.globals["NO_REPO"] = NO_REPO
    return env


def render(name: str, **values: Any) -> str:
    """The HTML of template `name`."""
    return environment().get_template(name).render(**values)
