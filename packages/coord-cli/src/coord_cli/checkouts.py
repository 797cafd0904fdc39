"""The checkouts a local service reads: listing them for `coord start`/`status`, registering one.

`coord init --mode local` registers the checkout it wires, so that symbol validation, scope
limits and zero-match warnings work for that repository without `COORD_REPO_ROOT`.
"""

from __future__ import annotations

from pathlib import Path

from coord_protocol.checkouts import KnownCheckout, RegisterCheckoutRequest
from coord_protocol.client import ClientConfig, CoordClient
from coord_protocol.errors import CoordError

NO_REPO = "(no repo)"
"""Label of the default checkout: it serves claims without a repo and repos without their own."""


def known(api_url: str, token: str | None) -> list[KnownCheckout] | None:
    """The checkouts the service at `api_url` knows; None when it cannot say (old or refusing)."""
    try:
        with CoordClient(ClientConfig(api_url, token)) as client:
            return client.checkouts().checkouts
    except CoordError:
        return None


def register(api_url: str, token: str, repo: str | None, top: Path) -> list[KnownCheckout]:
    """Register `top` as the checkout of `repo`; raises `CoordError` when the service refuses."""
    request = RegisterCheckoutRequest(repo=repo, path=str(top))
    with CoordClient(ClientConfig(api_url, token)) as client:
        return client.register_checkout(request).checkouts


def describe(checkout: KnownCheckout) -> str:
    """One line: `acme/shop -> /src/shop (registered)`."""
    where = checkout.path if checkout.is_checkout else f"{checkout.path}, not a git checkout now"
    name = checkout.repo or f"{NO_REPO}, default"
    return f"{name} -> {where} ({checkout.source})"
