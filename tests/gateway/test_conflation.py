"""The gateway without a network: the inquiry window, per-client conflation and who may connect
in which format."""

from __future__ import annotations

import pytest
from tradefast.core import MODULES, load
from tradefast.core_types import CoreError
from tradefast.gateway.access import (
    BATCH_PROTOCOL,
    AccessPolicy,
    Admission,
    Refusal,
    offered_protocols,
    origins_of,
)
from tradefast.gateway.state import PendingUpdates


@pytest.mark.parametrize("name", sorted(MODULES))
def test_window_keeps_the_highest_version_evicts_the_oldest_and_conflates_pending(
    name: str,
) -> None:
    window = load(name).InquiryWindow(3)

    def offer(inquiry_id: int, version: int, encoded: bytes) -> bool:
        return window.offer([b"other", encoded], [1], [inquiry_id], [version]) == 1

    assert offer(1, 1, b"1v1")
    assert offer(1, 3, b"1v3")
    assert not offer(1, 2, b"1v2")
    assert not offer(1, 3, b"1v3-again")
    assert window.take_pending() == ([1], [3], [b"1v3"])
    for inquiry_id in (2, 3, 4):
        assert offer(inquiry_id, 1, f"{inquiry_id}v1".encode())
    assert window.snapshot() == [b"2v1", b"3v1", b"4v1"]
    assert window.versions() == [(2, 1), (3, 1), (4, 1)]
    assert len(window) == 3
    assert window.pending_count() == 3
    # Inquiry 1 was evicted: an older version is held anew, and pending as the newest seen since.
    assert offer(1, 2, b"1v2")
    assert window.take_pending() == ([1, 2, 3, 4], [2, 1, 1, 1], [b"1v2", b"2v1", b"3v1", b"4v1"])
    assert window.pending_count() == 0


@pytest.mark.parametrize("name", sorted(MODULES))
def test_window_refuses_bad_arguments(name: str) -> None:
    core = load(name)
    with pytest.raises(ValueError, match="at least one"):
        core.InquiryWindow(0)
    window = core.InquiryWindow(2)
    with pytest.raises(CoreError, match="differ in length"):
        window.offer([b"x"], [0], [1, 2], [1])
    with pytest.raises(CoreError, match="outside"):
        window.offer([b"x"], [1], [1], [1])


def test_pending_updates_conflate_by_id_and_key() -> None:
    pending = PendingUpdates()
    pending.add_inquiry(5, 2, b"5v2")
    pending.add_inquiry(5, 1, b"5v1")
    pending.add_inquiry(4, 1, b"4v1")
    pending.add_inquiry(5, 3, b"5v3")
    pending.add_position("BOOK1|AAPL", b"old")
    pending.add_position("BOOK1|AAPL", b"new")
    assert pending.take() == ([b"4v1", b"5v3"], [b"new"])
    assert not pending


ORIGINAL = Admission(batched=False, protocol=None)
BATCHED = Admission(batched=True, protocol=BATCH_PROTOCOL)


def test_access_policy_answers() -> None:
    origins = origins_of("127.0.0.1", 8081)
    assert origins == {"http://127.0.0.1:8081", "http://localhost:8081"}
    open_policy = AccessPolicy(token=None, allowed_origins=origins)
    assert open_policy.check("/ws/inquiries", {}) == ORIGINAL
    assert open_policy.check("/ws/other", {}) == Refusal(
        404, "not found: the feed is at /ws/inquiries"
    )
    refused = open_policy.check("/ws/inquiries", {"Origin": "http://evil.example"})
    assert isinstance(refused, Refusal) and refused.status == 403
    anyone = AccessPolicy(token=None, allowed_origins=frozenset({"*"}))
    assert anyone.check("/ws/inquiries", {"Origin": "http://evil.example"}) == ORIGINAL

    guarded = AccessPolicy(token="t0k", allowed_origins=frozenset({"*"}))
    missing = guarded.check("/ws/inquiries", {})
    assert isinstance(missing, Refusal) and missing.status == 401
    wrong = guarded.check("/ws/inquiries?token=nope", {})
    assert isinstance(wrong, Refusal) and wrong.status == 403
    assert guarded.check("/ws/inquiries?token=t0k", {}) == ORIGINAL
    offered = offered_protocols(["tradefast, token.t0k"])
    assert guarded.check("/ws/inquiries", {}, offered) == Admission(False, "token.t0k")
    # Both: the format's sub-protocol is the one echoed (a response names exactly one).
    both = offered_protocols([f"token.t0k, {BATCH_PROTOCOL}"])
    assert guarded.check("/ws/inquiries", {}, both) == BATCHED
    no_token = guarded.check("/ws/inquiries", {}, [BATCH_PROTOCOL])
    assert isinstance(no_token, Refusal) and no_token.status == 401


def test_the_format_is_chosen_by_sub_protocol() -> None:
    policy = AccessPolicy(token=None, allowed_origins=frozenset())
    assert policy.check("/ws/inquiries?clientId=test", {}) == ORIGINAL
    assert policy.check("/ws/inquiries", {}, [BATCH_PROTOCOL]) == BATCHED
    assert policy.check("/ws/inquiries", {}, ["graphql-ws", BATCH_PROTOCOL]) == BATCHED
    assert policy.check("/ws/inquiries", {}, ["graphql-ws"]) == ORIGINAL
    # A client may send the header more than once, each a comma list.
    assert offered_protocols(["a, b", "", f" {BATCH_PROTOCOL} "]) == ["a", "b", BATCH_PROTOCOL]


def test_same_origin_clients_are_accepted_cross_origin_browsers_are_not() -> None:
    policy = AccessPolicy(
        token=None,
        allowed_origins=origins_of("127.0.0.1", 8081),
        own_origins=origins_of("127.0.0.1", 8080),
    )
    # A Vert.x client connecting to localhost:8080 sends its own host as Origin.
    assert policy.check("/ws/inquiries", {"Origin": "http://localhost:8080"}) == ORIGINAL
    assert policy.check("/ws/inquiries", {"Origin": "http://127.0.0.1:8080"}) == ORIGINAL
    for foreign in ("http://evil.example", "http://localhost:9999", "https://localhost:8080"):
        refused = policy.check("/ws/inquiries", {"Origin": foreign})
        assert isinstance(refused, Refusal) and refused.status == 403, foreign
