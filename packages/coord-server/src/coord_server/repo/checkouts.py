"""Which checkout the service reads for each repository it serves.

Three sources, in order of precedence: `COORD_REPO_ROOTS` (`repo=path,...`) names a checkout
per repository; `COORD_REPO_ROOT` names the default one; `coord init --mode local` registers
more (stored beside the SQLite database, see `repo.registered`). A repository without a
checkout of its own is served by the default, as the single checkout served every repository
before checkouts were per repository. The settings win over registrations: they are the
operator's configuration of this process, and a registration may not quietly replace them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from coord_protocol.checkouts import CheckoutSource, KnownCheckout
from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.git import GitUnavailableError, run_git_bytes
from coord_server.repo.listing import RepoFiles
from coord_server.repo.registered import RegisteredCheckouts
from coord_server.repo.symbols import SymbolValidator

GIT_CHECK_TIMEOUT_SEC = 10.0
"""How long the question "is this a checkout?" may take when a checkout is registered."""


@dataclass(frozen=True, slots=True)
class Checkout:
    """One checkout: its tracked files and its symbol tables."""

    repo: str | None
    """Repository id; None for the default checkout."""
    root: Path
    source: CheckoutSource
    files: RepoFiles
    symbols: SymbolValidator

    def describe(self) -> KnownCheckout:
        """The wire form listed by `/admin/checkouts`."""
        return KnownCheckout(
            repo=self.repo,
            path=str(self.root),
            source=self.source,
            is_checkout=self.files.is_checkout(),
        )


@dataclass(frozen=True, slots=True)
class CheckoutSettings:
    """What the settings say about checkouts (see `Settings`)."""

    default_root: Path | None
    roots: Mapping[str, Path]
    scope: str | None
    cache_ttl_sec: float


class Checkouts:
    """The checkout of each repository: its own, else the default; None when neither exists."""

    def __init__(self, settings: CheckoutSettings, registered: RegisteredCheckouts | None) -> None:
        self._settings = settings
        self._registered = registered
        self._by_repo: dict[str | None, Checkout] = {}
        for repo, root in (registered.load() if registered else {}).items():
            self._by_repo[repo] = self._checkout(repo, root, "registered")
        if settings.default_root is not None:
            self._by_repo[None] = self._checkout(None, settings.default_root, "COORD_REPO_ROOT")
        for repo, root in settings.roots.items():
            self._by_repo[repo] = self._checkout(repo, root, "COORD_REPO_ROOTS")

    @property
    def configured(self) -> bool:
        """At least one checkout is known."""
        return bool(self._by_repo)

    @property
    def can_register(self) -> bool:
        """Registrations can be stored (a local SQLite service)."""
        return self._registered is not None

    def for_repo(self, repo: str | None) -> Checkout | None:
        """The checkout that serves claims in `repo`."""
        return self._by_repo.get(repo) or self._by_repo.get(None)

    def known(self) -> list[Checkout]:
        """Every checkout, the default first, then by repository id."""
        return sorted(self._by_repo.values(), key=lambda c: (c.repo is not None, c.repo or ""))

    async def register(self, repo: str | None, path: str) -> Checkout:
        """Make `path` the checkout of `repo`, stored so that a restart keeps it.

        Refused (400) when the path is not the top of a git checkout, when a setting already
        names another checkout for `repo`, or when this service cannot store registrations.
        """
        if self._registered is None:
            raise CoordError(
                ErrorCode.FORBIDDEN,
                "this service does not take checkout registrations (only a local SQLite "
                "service does); set COORD_REPO_ROOTS=repo=path in the server's environment",
            )
        root = await _checkout_top(path)
        current = self._by_repo.get(repo)
        if current is not None and current.source != "registered":
            if current.root == root:
                return current
            raise CoordError(
                ErrorCode.BAD_REQUEST,
                f"{current.source} already names {current.root} as the checkout of "
                f"{_named(repo)}; change that setting and restart the service instead",
            )
        if current is None or current.root != root:
            self._registered.save(repo, root)
            self._by_repo[repo] = self._checkout(repo, root, "registered")
        return self._by_repo[repo]

    def _checkout(self, repo: str | None, root: Path, source: CheckoutSource) -> Checkout:
        files = RepoFiles(root, self._settings.scope, self._settings.cache_ttl_sec)
        return Checkout(repo, root, source, files, SymbolValidator(root))


async def _checkout_top(path: str) -> Path:
    """`path` resolved, when it is the top directory of a git checkout; 400 otherwise."""
    given = Path(path)
    if not given.is_absolute():
        raise _not_a_checkout(path, "it is not an absolute path")
    root = given.resolve()
    if not root.is_dir():
        raise _not_a_checkout(path, "no such directory on the service's machine")
    try:
        status, out, _err = await run_git_bytes(
            root, "rev-parse", "--show-toplevel", timeout=GIT_CHECK_TIMEOUT_SEC
        )
    except GitUnavailableError as exc:
        raise _not_a_checkout(path, str(exc)) from exc
    top = out.decode("utf-8", "replace").strip()
    if status != 0 or not top:
        raise _not_a_checkout(path, "git finds no checkout there")
    if Path(top).resolve() != root:
        raise _not_a_checkout(path, f"it is inside the checkout {top}; register that directory")
    return root


def _not_a_checkout(path: str, why: str) -> CoordError:
    return CoordError(
        ErrorCode.BAD_REQUEST,
        f"{path!r} is not the top directory of a git checkout ({why}); run `coord init` "
        "in the checkout, or pass its top directory",
    )


def _named(repo: str | None) -> str:
    return f"repo {repo}" if repo else "the default (no repo)"
