"""Between the wire and the engine: requests in, conflicts out, engine errors as wire errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from coord_engine.claims import ClaimItem, ClaimRequest
from coord_engine.decide import ConflictEntry, prepare_items
from coord_engine.patterns import PatternError, PatternTooComplex
from coord_engine.symbol_paths import SymbolPathError, symbol_paths_overlap
from coord_protocol.claims import CreateClaimsRequest
from coord_protocol.conflicts import Conflict, SymbolOverlap
from coord_protocol.errors import CoordError, ErrorCode
from coord_server.service.records import ClaimRecord

OverlapLister = Callable[[str, str], list[str]]
"""Tracked files matched by both patterns (empty when there is no checkout)."""


@contextmanager
def engine_errors() -> Iterator[None]:
    """Turn the engine's input errors into 400 answers that name the rule broken."""
    try:
        yield
    except PatternTooComplex as exc:
        raise CoordError(
            ErrorCode.PATTERN_TOO_COMPLEX, exc.message, pattern=exc.pattern, what=exc.what,
            limit=exc.limit,
        ) from None  # fmt: skip
    except PatternError as exc:
        raise CoordError(
            ErrorCode.INVALID_PATTERN, exc.message, pattern=exc.pattern, rule=exc.rule
        ) from None
    except SymbolPathError as exc:
        raise CoordError(ErrorCode.INVALID_SYMBOL, str(exc)) from None
    except ValueError as exc:  # the engine's other input errors (e.g. an empty symbol list)
        raise CoordError(ErrorCode.BAD_REQUEST, str(exc)) from None


def engine_request(body: CreateClaimsRequest, engineer: str) -> ClaimRequest:
    """The engine's request for a `POST /claims` body, canonical (raises 400 on bad patterns)."""
    raw_items = (
        ClaimItem(
            type=spec.type,
            pattern=spec.pattern,
            symbols=tuple(spec.symbols) if spec.symbols is not None else None,
            narrowable=spec.narrowable,
        )
        for spec in body.claims
    )
    with engine_errors():
        items = prepare_items(raw_items)
    return ClaimRequest(
        engineer=engineer,
        session_id=body.session_id,
        repo=body.repo,
        items=items,
        ttl_hours=body.ttl_hours,
    )


def wire_conflicts(
    entries: Sequence[ConflictEntry],
    records: dict[str, ClaimRecord],
    tracked_overlap: OverlapLister,
) -> list[Conflict]:
    """Conflict entries as the API shows them, with tracked files or the witness as `overlap`."""
    conflicts = []
    for entry in entries:
        record = records.get(entry.holder.id)
        if record is None:  # the holder went away between decision and answer
            continue
        files = tracked_overlap(entry.item.pattern, entry.holder.pattern) or [entry.witness]
        conflicts.append(
            Conflict(
                your_pattern=entry.item.pattern,
                conflicting_claim=record.to_conflicting(),
                overlap=files,
                your_symbols=list(entry.your_symbols) if entry.your_symbols else None,
                symbol_overlap=symbol_overlap(entry, files),
            )
        )
    return conflicts


def symbol_overlap(entry: ConflictEntry, files: Sequence[str]) -> list[SymbolOverlap] | None:
    """Per file both claims cover, the requester's symbol paths that collide with the holder's:
    what the requester would drop to coexist. None unless both sides name symbols."""
    mine, held = entry.your_symbols, entry.holder.symbols
    if not mine or not held:
        return None
    colliding = [path for path in mine if any(symbol_paths_overlap(path, h) for h in held)]
    return [SymbolOverlap(file=file, symbols=colliding) for file in files] if colliding else None


def next_step(conflicts: Sequence[Conflict]) -> str | None:
    """One sentence an agent can act on after a conflict."""
    if not conflicts:
        return None
    first = conflicts[0].conflicting_claim
    holder = f"{first.engineer} holds {first.pattern!r} until {first.expires_at:%Y-%m-%d %H:%M}Z"
    if first.symbols:
        return (
            f"{holder} (symbols {', '.join(first.symbols)}): claim other symbols of the file, "
            f"or retry with wait_seconds to queue behind claim {first.id}."
        )
    return (
        f"{holder}: retry with wait_seconds to queue behind claim {first.id}, narrow your "
        f"claim to symbols the holder does not need, or ask {first.engineer} to release it."
    )
