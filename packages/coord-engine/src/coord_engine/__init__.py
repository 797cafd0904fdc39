"""coord-engine: the pure decision logic of coord.

Patterns and exact overlap, symbol paths, the claim index, `decide()`, queue order, owners.yaml
and hotspots. No clock, no I/O, no async: `now` and the data come in as arguments. Symbol
extraction lives in `coord_engine.symbols` (extra `symbols`), imported on demand.
"""

from coord_engine.budget import Work
from coord_engine.claims import ActiveClaim, ClaimItem, ClaimRequest, Policy, QueuePolicy
from coord_engine.decide import AutoNarrow, ConflictEntry, Decision, Grant, decide, prepare_items
from coord_engine.hotspots import (
    BlockedAttempt,
    Hotspot,
    auto_promote_due,
    demote_due,
    rank_hotspots,
)
from coord_engine.index import ClaimIndex, RepoIndexes
from coord_engine.matching import matches
from coord_engine.overlap import covers, overlap_witness, overlaps
from coord_engine.owners import OwnersConfig, OwnersError, parse_owners
from coord_engine.owners_edit import (
    OwnersEditError,
    collapse_subtree,
    demote_shared_file,
    promote_shared_file,
    promote_split,
)
from coord_engine.patterns import PatternError, PatternTooComplex, literal_prefix, normalize_pattern
from coord_engine.queue import QueueEntry, effective_rank, order_waiters, select_grants
from coord_engine.symbol_paths import SymbolPathError, parse_symbol_path, symbol_paths_overlap

__all__ = [
    "ActiveClaim",
    "AutoNarrow",
    "BlockedAttempt",
    "ClaimIndex",
    "ClaimItem",
    "ClaimRequest",
    "ConflictEntry",
    "Decision",
    "Grant",
    "Hotspot",
    "OwnersConfig",
    "OwnersEditError",
    "OwnersError",
    "PatternError",
    "PatternTooComplex",
    "Policy",
    "QueueEntry",
    "QueuePolicy",
    "RepoIndexes",
    "SymbolPathError",
    "Work",
    "auto_promote_due",
    "collapse_subtree",
    "covers",
    "decide",
    "demote_due",
    "demote_shared_file",
    "effective_rank",
    "literal_prefix",
    "matches",
    "normalize_pattern",
    "order_waiters",
    "overlap_witness",
    "overlaps",
    "parse_owners",
    "parse_symbol_path",
    "prepare_items",
    "promote_shared_file",
    "promote_split",
    "rank_hotspots",
    "select_grants",
    "symbol_paths_overlap",
]
