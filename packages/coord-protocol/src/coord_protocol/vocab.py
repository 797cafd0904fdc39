"""Fixed vocabularies of the wire: every package spells these values the same way."""

from enum import StrEnum


class ClaimType(StrEnum):
    """What kind of hold a claim is (SPEC §2)."""

    FILE = "file"
    """Exclusive; narrowable around other engineers' symbols unless `narrowable` is false."""
    MODULE = "module"
    """Exclusive and never narrowable."""
    SHARED_FILE = "shared_file"
    """Cooperative: never conflicts, only tells other holders (SPEC §4.4)."""


class ScopeType(StrEnum):
    """Whether a claim holds whole files or only named symbols inside them."""

    FILE = "file"
    SYMBOL = "symbol"


class Severity(StrEnum):
    """Ownership severity of a pattern, from owners.yaml areas (SPEC §8)."""

    SOFT = "soft"
    HARD = "hard"


class Urgency(StrEnum):
    """Priority of a queued claim or a release request; listed from lowest to highest."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    BLOCKING = "blocking"

    @property
    def rank(self) -> int:
        """0 for `low` up to 3 for `blocking`: higher is served first."""
        return _URGENCY_ORDER.index(self)

    @classmethod
    def from_rank(cls, rank: int) -> "Urgency":
        """The urgency at `rank`, clamped to the vocabulary's range."""
        return _URGENCY_ORDER[max(0, min(rank, len(_URGENCY_ORDER) - 1))]


_URGENCY_ORDER = (Urgency.LOW, Urgency.NORMAL, Urgency.HIGH, Urgency.BLOCKING)


class RequestDecision(StrEnum):
    """A holder's answer to a release request (SPEC §7)."""

    APPROVED = "approved"
    DENIED = "denied"
    NARROWED = "narrowed"
    COEXIST = "coexist"


class QueueState(StrEnum):
    """Life cycle of a queue entry (SPEC §6)."""

    WAITING = "waiting"
    GRANTED = "granted"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class EventType(StrEnum):
    """Events written to the outbox, the webhook and the live stream (SPEC §9)."""

    CLAIM_GRANTED = "claim_granted"
    CLAIM_RELEASED = "claim_released"
    CLAIM_EXPIRED = "claim_expired"
    AUTO_COEXIST = "auto-coexist"
    AUTO_NARROW = "auto-narrow"
    AUTO_PROMOTE = "auto-promote"
    AUTO_DEMOTE = "auto-demote"
    QUEUE_GRANT = "queue_grant"
    QUEUE_CANCEL = "queue_cancel"
    REQUEST_FILED = "request_filed"
    REQUEST_DECIDED = "request_decided"
    ADHERENCE_LOW = "adherence_low"
    """A repo's share of pushed changes made under a valid claim fell below the alert level."""


class SuggestedAction(StrEnum):
    """What a hotspot report suggests doing about a contended file (SPEC §8)."""

    SPLIT = "split"
    SHARED_FILE = "shared_file"
    MONITOR = "monitor"


class PromoteAction(StrEnum):
    """The rules `POST /metrics/hotspots/promote` can write."""

    SHARED_FILE = "shared_file"
    SPLIT = "split"


class ConflictOption(StrEnum):
    """Next steps offered with a 409 on POST /claims."""

    WAIT = "wait"
    NARROW_CLAIM = "narrow_claim"
    ESCALATE = "escalate"


class FenceStatus(StrEnum):
    """The verdict of the fence check on one changed path (SPEC §16)."""

    VALID = "valid"
    """The named claim was the caller's, covers the path, and nobody else was granted it since."""
    SUPERSEDED = "superseded"
    """The named claim was valid, but another engineer has since been granted the path."""
    NOT_COVERED = "not_covered"
    """The named claim does not cover the path."""
    NOT_YOURS = "not_yours"
    """The named claim belongs to another engineer."""
    FENCE_MISMATCH = "fence_mismatch"
    """The named fence is newer than any the claim ever had: coord did not write that trailer."""
    WRONG_REPO = "wrong_repo"
    """The named claim is in another repo than the one checked."""
    UNKNOWN_CLAIM = "unknown_claim"
    """No claim has that id (never made, or purged by retention)."""
    COVERED = "covered"
    """No claim was named, and one of the caller's claims covered the path at that time."""
    UNCLAIMED = "unclaimed"
    """No claim was named, and none of the caller's claims covered the path at that time."""


class AdherenceSource(StrEnum):
    """Who saw what an adherence report tells (SPEC §16)."""

    PRE_PUSH = "pre_push"
    """The pre-push hook: the commits of a push, file by file against their trailers."""
    CI = "ci"
    """The CI check: the same table, for the commits a job checks."""
    RECONCILE = "reconcile"
    """`coord reconcile` (or the MCP tool): changed files no claim of the engineer covers."""
    SHELL_HOOK = "shell_hook"
    """The Bash hooks: files a shell command changed that could not be claimed."""

    @property
    def reports_commits(self) -> bool:
        """Whether this source reports pushed commits (else undeclared edits)."""
        return self in (AdherenceSource.PRE_PUSH, AdherenceSource.CI)
