"""The dashboard's one JSON answer: a one-time login link (SPEC §12)."""

from coord_protocol._base import UtcDatetime, WireModel

LOGIN_LINKS_PATH = "/dashboard/login-links"
"""`POST` here with a bearer token: a link that signs a browser in as that token's principal."""


class DashboardLoginLink(WireModel):
    """Answer of `POST /dashboard/login-links`."""

    path: str
    """Open `<service URL><path>` in a browser: the first visit signs in, later ones do not."""
    expires_at: UtcDatetime
    """The link stops working at this moment, used or not."""
