"""`decide()`: grant a claim batch, or say exactly what it conflicts with (SPEC §4, §5).

The function is pure: the active claims, the policy and the clock come in as arguments and a
`Decision` comes out. A conflict is a returned value; only invalid input raises (`PatternError`,
`SymbolPathError`, `ValueError` for a lifetime out of range), which the server answers with 400/422
before anything is stored. `PatternTooComplex` (a `PatternError`) also comes from an overlap
search with a holder's pattern that would pass its work budget.

Callers pass the candidates from a `ClaimIndex` rather than every active claim: the cost then grows
with the claims that could overlap the request, not with the size of the repository's claim table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from functools import lru_cache

from coord_engine.budget import Work
from coord_engine.claims import MAX_TTL_HOURS, ActiveClaim, ClaimItem, ClaimRequest, Policy
from coord_engine.overlap import covers, overlap_witness, overlaps
from coord_engine.patterns import PatternTooComplex, literal_prefix, normalize_pattern
from coord_engine.symbol_paths import SymbolPathError, normalize_symbols, overlapping_symbols
from coord_protocol.vocab import ClaimType, ScopeType, Severity


@dataclass(frozen=True, slots=True)
class AutoNarrow:
    """A narrowable file claim that now holds its file minus the requester's `symbols`."""

    holder: ActiveClaim
    symbols: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Grant:
    """One granted item, with everything the server stores and announces about it.

    `item` is canonical: normalised pattern, sorted symbols, `narrowable` resolved to a bool.
    """

    item: ClaimItem
    shared: bool
    severity: Severity
    expires_at: datetime
    coexisting: tuple[ActiveClaim, ...] = ()
    """Symbol claims on the same files with disjoint symbols (auto-coexist)."""
    narrowed: tuple[AutoNarrow, ...] = ()
    """File claims this symbol item was carved out of (auto-narrow); their holders get a notice."""
    shared_with: tuple[ActiveClaim, ...] = ()
    """Other holders of an overlapping scope where one side is shared."""
    notices: tuple[str, ...] = ()
    """Sentences for the claimant about coexisting, narrowed and sharing holders."""

    @property
    def scope_type(self) -> ScopeType:
        """`symbol` when the grant holds only named symbols."""
        return self.item.scope_type

    @property
    def narrowable(self) -> bool:
        """Whether others' symbol claims may auto-narrow this grant."""
        return bool(self.item.narrowable)

    @property
    def coexists_with(self) -> tuple[str, ...]:
        """Ids of the claims granted alongside this one (auto-coexist and auto-narrow)."""
        return tuple(h.id for h in self.coexisting) + tuple(n.holder.id for n in self.narrowed)

    def to_active_claim(
        self, claim_id: str, request: ClaimRequest, description: str | None = None
    ) -> ActiveClaim:
        """The claim this grant becomes once stored under `claim_id`."""
        return ActiveClaim(
            id=claim_id,
            engineer=request.engineer,
            session_id=request.session_id,
            repo=request.repo,
            claim_type=self.item.type,
            pattern=self.item.pattern,
            symbols=self.item.symbols,
            narrowable=self.narrowable,
            shared=self.shared,
            severity=self.severity,
            description=description,
            expires_at=self.expires_at,
        )


@dataclass(frozen=True, slots=True)
class ConflictEntry:
    """One requested item blocked by one held claim.

    `witness` is a path both patterns match. `symbol_overlap` lists the colliding symbols: the
    common declarations when both sides are symbol-scoped, the holder's symbols when only the holder
    is, and `None` when the holder holds whole files.
    """

    item: ClaimItem
    holder: ActiveClaim
    witness: str
    symbol_overlap: tuple[str, ...] | None

    @property
    def your_symbols(self) -> tuple[str, ...] | None:
        """The symbols the requester asked for, if the item was symbol-scoped."""
        return self.item.symbols


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to a claim batch: every item granted, or none and the conflicts that say why."""

    grants: tuple[Grant, ...]
    conflicts: tuple[ConflictEntry, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def granted(self) -> bool:
        """True when the whole batch was granted."""
        return not self.conflicts

    @property
    def blocking_claim_ids(self) -> tuple[str, ...]:
        """Ids of the claims in the way, each once, in the order first met."""
        return tuple(dict.fromkeys(c.holder.id for c in self.conflicts))


def decide(
    request: ClaimRequest,
    candidates: Iterable[ActiveClaim],
    policy: Policy,
    now: datetime,
    work: Work | None = None,
) -> Decision:
    """Grant `request` against `candidates` (a superset of the claims it could overlap).

    Candidates outside the request's repo bucket, held by the same engineer or session, or
    expired at `now` are ignored. The batch is all-or-nothing (SPEC §4.2). Raises
    `PatternError`, `SymbolPathError` or `ValueError` (lifetime out of range) on invalid input,
    and `PatternTooComplex` when an overlap, or the request's checks together (`work.limit`),
    would pass their work budget.
    """
    _check_ttl(request.ttl_hours)
    items = prepare_items(request.items)
    adversaries = _adversaries(request, candidates, now)
    assessments = [_assess(item, adversaries, policy, work) for item in items]
    warnings = tuple(a.warning for a in assessments if a.warning)
    conflicts = tuple(c for a in assessments for c in a.conflicts)
    if conflicts:
        return Decision(grants=(), conflicts=conflicts, warnings=warnings)
    grants = tuple(_grant(a, request, policy, now, work) for a in assessments)
    return Decision(grants=grants, warnings=warnings)


def prepare_items(items: Iterable[ClaimItem]) -> tuple[ClaimItem, ...]:
    """Canonical items in request order: patterns and symbols normalised, identical items merged.

    Items are identical when type, pattern and symbol set agree; a merged item is narrowable only
    if every copy was.
    """
    merged: dict[tuple[ClaimType, str, tuple[str, ...] | None], ClaimItem] = {}
    for raw in items:
        item = _canonical(raw)
        key = (item.type, item.pattern, item.symbols)
        earlier = merged.get(key)
        if earlier is None or (earlier.narrowable and not item.narrowable):
            merged[key] = item
    return tuple(merged.values())


def shared_entry_for(pattern: str, policy: Policy, work: Work | None = None) -> str | None:
    """The `shared_files` entry that contains canonical `pattern`, if any (SPEC §4.4)."""
    if not policy.shared_patterns:
        return None
    prefix = literal_prefix(pattern)
    for entry in policy.shared_patterns:
        if _may_overlap(prefix, literal_prefix(entry)) and _surely_covers(entry, pattern, work):
            return entry
    return None


def _surely_covers(entry: str, pattern: str, work: Work | None) -> bool:
    """`covers`, with an undecided (over budget) inclusion read as not shared: stricter."""
    try:
        return covers(entry, pattern, work)
    except PatternTooComplex as error:
        if error.request_bound:
            raise  # the request is over its total: refuse it rather than guess
        return False


def severity_for(pattern: str, policy: Policy, work: Work | None = None) -> Severity:
    """`hard` when any hard ownership area overlaps canonical `pattern`."""
    if not policy.hard_patterns:
        return Severity.SOFT
    prefix = literal_prefix(pattern)
    for area in policy.hard_patterns:
        if _may_overlap(prefix, literal_prefix(area)) and _maybe_overlaps(area, pattern, work):
            return Severity.HARD
    return Severity.SOFT


def _maybe_overlaps(area: str, pattern: str, work: Work | None) -> bool:
    """`overlaps`, with an undecided (over budget) overlap read as hard: stricter."""
    try:
        return overlaps(area, pattern, work)
    except PatternTooComplex as error:
        if error.request_bound:
            raise
        return True


# Items repeat across requests (retries, queue re-checks, hooks asking about the same files), and
# normalisation parses every segment: memoising it keeps it off decide()'s hot path.
_normalized_pattern = lru_cache(maxsize=16384)(normalize_pattern)


class _Relation(Enum):
    CONFLICT = "conflict"
    COEXIST = "coexist"
    NARROW = "narrow"


@dataclass(slots=True)
class _Assessment:
    """What one item met among the adversaries (mutable while being collected)."""

    item: ClaimItem
    shared: bool
    warning: str | None = None
    conflicts: list[ConflictEntry] = field(default_factory=list)
    coexisting: list[ActiveClaim] = field(default_factory=list)
    narrowed: list[AutoNarrow] = field(default_factory=list)
    shared_with: list[ActiveClaim] = field(default_factory=list)


def _canonical(raw: ClaimItem) -> ClaimItem:
    symbols = None
    if raw.symbols is not None:
        if not raw.symbols:
            raise SymbolPathError(
                "",
                "no_symbols",
                f"item {raw.pattern!r} has an empty symbol list; "
                "name at least one symbol, or omit `symbols` to claim the whole file",
            )
        symbols = normalize_symbols(raw.symbols)
    narrowable = raw.type is ClaimType.FILE and raw.narrowable is not False
    pattern = _normalized_pattern(raw.pattern)
    if pattern == raw.pattern and symbols == raw.symbols and narrowable is raw.narrowable:
        return raw  # already canonical: the server canonicalises a request before deciding it
    return ClaimItem(raw.type, pattern, symbols, narrowable)


def _adversaries(
    request: ClaimRequest, candidates: Iterable[ActiveClaim], now: datetime
) -> list[tuple[ActiveClaim, tuple[str, ...] | None]]:
    """Claims that can block this request, each once, with their literal prefix precomputed."""
    seen: set[str] = set()
    found: list[tuple[ActiveClaim, tuple[str, ...] | None]] = []
    for claim in candidates:
        if claim.id in seen or not _opposes(request, claim, now):
            continue
        seen.add(claim.id)
        found.append((claim, literal_prefix(claim.pattern)))
    return found


def _opposes(request: ClaimRequest, claim: ActiveClaim, now: datetime) -> bool:
    return (
        claim.repo == request.repo
        and claim.engineer != request.engineer
        and (request.session_id is None or claim.session_id != request.session_id)
        and claim.expires_at > now
    )


def _assess(
    item: ClaimItem,
    adversaries: Sequence[tuple[ActiveClaim, tuple[str, ...] | None]],
    policy: Policy,
    work: Work | None,
) -> _Assessment:
    entry = shared_entry_for(item.pattern, policy, work)
    shared = item.type is ClaimType.SHARED_FILE or entry is not None
    found = _Assessment(item=item, shared=shared)
    if entry is not None and item.type is not ClaimType.SHARED_FILE:
        found.warning = (
            f"{item.pattern} lies inside the shared_files entry {entry!r}: granted as a shared "
            "claim that blocks no one and is blocked by no one"
        )
    prefix = literal_prefix(item.pattern)
    for holder, holder_prefix in adversaries:
        if not _may_overlap(prefix, holder_prefix):
            continue
        witness = overlap_witness(item.pattern, holder.pattern, work)
        if witness is not None:
            _record(found, holder, witness)
    return found


def _record(found: _Assessment, holder: ActiveClaim, witness: str) -> None:
    if found.shared or holder.cooperative:
        found.shared_with.append(holder)
        return
    relation, symbol_overlap = _relate(found.item, holder)
    if relation is _Relation.CONFLICT:
        found.conflicts.append(ConflictEntry(found.item, holder, witness, symbol_overlap))
    elif relation is _Relation.COEXIST:
        found.coexisting.append(holder)
    else:
        found.narrowed.append(AutoNarrow(holder, found.item.symbols or ()))


def _relate(item: ClaimItem, holder: ActiveClaim) -> tuple[_Relation, tuple[str, ...] | None]:
    """The SPEC §4.2 table for two exclusive claims whose patterns overlap."""
    if item.symbols is None:
        return _Relation.CONFLICT, holder.symbols
    if holder.symbols is not None:
        common = overlapping_symbols(item.symbols, holder.symbols)
        return (_Relation.CONFLICT, common) if common else (_Relation.COEXIST, None)
    if holder.claim_type is ClaimType.FILE and holder.narrowable:
        return _Relation.NARROW, None
    return _Relation.CONFLICT, None


def _grant(
    found: _Assessment, request: ClaimRequest, policy: Policy, now: datetime, work: Work | None
) -> Grant:
    hours = policy.shared_ttl_hours if found.shared else request.ttl_hours
    hours = policy.default_ttl_hours if hours is None else hours
    _check_ttl(hours)
    return Grant(
        item=found.item,
        shared=found.shared,
        severity=severity_for(found.item.pattern, policy, work),
        expires_at=now + timedelta(hours=hours),
        coexisting=tuple(found.coexisting),
        narrowed=tuple(found.narrowed),
        shared_with=tuple(found.shared_with),
        notices=_notices(found),
    )


def _notices(found: _Assessment) -> tuple[str, ...]:
    notices = [
        f"auto-narrow: {n.holder.engineer}'s file claim {n.holder.pattern} ({n.holder.id}) now "
        f"excludes your symbols {', '.join(n.symbols)}; they have been told"
        for n in found.narrowed
    ]
    notices.extend(
        f"auto-coexist: {h.engineer} holds other symbols of {h.pattern} "
        f"({', '.join(h.symbols or ())}; claim {h.id})"
        for h in found.coexisting
    )
    if found.shared_with:
        holders = "; ".join(f"{h.engineer} ({h.pattern}, claim {h.id})" for h in found.shared_with)
        if found.shared:
            notices.append(f"shared scope {found.item.pattern} is also held by: {holders}")
        else:
            notices.append(f"{found.item.pattern} overlaps shared claims held by: {holders}")
    return tuple(notices)


def _check_ttl(hours: float | None) -> None:
    if hours is not None and not 0 < hours <= MAX_TTL_HOURS:
        raise ValueError(
            f"ttl_hours {hours} is out of range; give a number of hours in (0, {MAX_TTL_HOURS:g}]"
        )


def _may_overlap(a: tuple[str, ...] | None, b: tuple[str, ...] | None) -> bool:
    """Cheap necessary condition for overlap: one literal prefix extends the other."""
    if not a or not b:
        return True
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    return longer[: len(shorter)] == shorter
