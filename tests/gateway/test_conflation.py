"""The gateway without a network: the inquiry window, per-client conflation and who may connect
in which format."""

from __future__ import annotations

import pytest
from tradefast.gateway.access import (
    BATCH_PROTOCOL,
    AccessPolicy,
    Admission,
    Refusal,
    offered_protocols,
    origins_of,
)
from tradefast.gateway.state import InquiryWindow, PendingUpdates


def test_window_keeps_the_highest_version_and_evicts_the_oldest() -> None:
    window = InquiryWindow(capacity=3)
    assert window.offer(1, 1, b"1v1")
    assert window.offer(1, 3, b"1v3")
    assert not window.offer(1, 2, b"1v2")
    assert not window.offer(1, 3, b"1v3-again")
    for inquiry_id in (2, 3, 4):
        assert window.offer(inquiry_id, 1, f"{inquiry_id}v1".encode())
    assert window.snapshot() == [b"2v1", b"3v1", b"4v1"]


def test_window_needs_room() -> None:
    with pytest.raises(ValueError, match="at least one"):
        InquiryWindow(capacity=0)


def test_pending_updates_conflate_by_id_and_key() -> None:
    pending = PendingUpdates()
    pending.add_inquiry(5, 2, b"5v2")
    pending.add_inquiry(5, 1, b"5v1")
    pending.add_inquiry(4, 1, b"4v1")
    pending.add_position("BOOK1|AAPL", b"old")
    pending.add_position("BOOK1|AAPL", b"new")
    later = PendingUpdates()
    later.add_inquiry(5, 3, b"5v3")
    later.add_inquiry(4, 0, b"4v0")
    pending.merge(later)
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
