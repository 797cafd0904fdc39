"""`/admin/checkouts`: which git checkout the service reads for each repository it serves."""

from typing import Literal

from pydantic import Field

from coord_protocol._base import RepoId, RequestModel, WireModel

CheckoutSource = Literal["COORD_REPO_ROOT", "COORD_REPO_ROOTS", "registered"]
"""Where the service learnt of a checkout: a setting, or a registration by `coord init`."""


class RegisterCheckoutRequest(RequestModel):
    """Body of `PUT /admin/checkouts`: the checkout of one repository on the service's machine."""

    repo: RepoId | None = None
    """Repository id the checkout belongs to; null registers the default checkout."""
    path: str = Field(min_length=1, max_length=4096, examples=["/home/alex/src/shop"])
    """Absolute path of the checkout's top directory, as the service's machine sees it."""


class KnownCheckout(WireModel):
    """One checkout the service reads for scope limits, symbol validation and overlap lists."""

    repo: str | None
    """Repository id; null is the default, used by claims without a repo and by repos without
    a checkout of their own."""
    path: str
    """Top directory of the checkout."""
    source: CheckoutSource
    """The setting that names it, or `registered` (by `coord init --mode local`)."""
    is_checkout: bool
    """Whether the path holds a git checkout now; without one its features are off."""


class CheckoutList(WireModel):
    """Answer of `GET /admin/checkouts` and `PUT /admin/checkouts`."""

    checkouts: list[KnownCheckout]
    """Every checkout known, the default first, then by repository id."""
    count: int
    """Number listed."""
