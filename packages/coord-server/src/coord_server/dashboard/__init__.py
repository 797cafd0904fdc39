"""The dashboard (SPEC §12): the operator's live picture, as server-rendered HTML.

- `DashboardSessions`: browser logins kept in the database, and one-time login codes;
- `Board`: the panels' data for one principal, read through the service objects
  (`RankingCache` keeps the hotspot ranking while no new blocked attempt is stored);
- `render`: the packaged Jinja2 templates; `STATIC_FILES`: the page's own CSS and script;
- `charts`: the SVG geometry of the heatmap and the hotspot chart.
"""

from coord_server.dashboard.board import Board, BoardQuery, RankingCache
from coord_server.dashboard.render import NO_REPO, render
from coord_server.dashboard.sessions import DashboardSessions, Login, same_secret
from coord_server.dashboard.static import STATIC_FILES, static_file

__all__ = [
    "NO_REPO",
    "STATIC_FILES",
    "Board",
    "BoardQuery",
    "DashboardSessions",
    "Login",
    "RankingCache",
    "render",
    "same_secret",
    "static_file",
]
