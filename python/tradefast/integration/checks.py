"""What the WebSocket client must have seen, as lists of problems (empty: all good). Each problem
says what differed, so a failing run explains itself."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from tradefast.proto.tradefast_pb2 import Inquiry, Position, Side, Status

# Show at most this many examples of one kind of problem.
EXAMPLES = 5
# (notional cents, quantity, sequence): what a position is, independently recomputed.
Totals = tuple[int, int, int]


def key_of(inquiry: Inquiry) -> str:
    return f"{inquiry.book_id}|{inquiry.instrument_id}"


def signed(inquiry: Inquiry) -> tuple[int, int]:
    """Signed notional (cents) and quantity: negative for SELL."""
    sign = -1 if inquiry.side == Side.SELL else 1
    return sign * inquiry.quantity * inquiry.price, sign * inquiry.quantity


def _examples(items: Iterable[str]) -> str:
    listed = list(items)
    more = f" (and {len(listed) - EXAMPLES} more)" if len(listed) > EXAMPLES else ""
    return "; ".join(listed[:EXAMPLES]) + more


def missing_finals(finals: list[Inquiry], expected_ids: Iterable[int]) -> list[str]:
    seen = {i.inquiry_id for i in finals}
    expected = set(expected_ids)
    problems = []
    lost = sorted(expected - seen)
    if lost:
        problems.append(
            f"{len(lost)} of {len(expected)} inquiries never reached a final state at the "
            f"client, e.g. ids {lost[:EXAMPLES]}"
        )
    extra = sorted(seen - expected)
    if extra:
        problems.append(f"{len(extra)} final updates for ids never sent, e.g. {extra[:EXAMPLES]}")
    return problems


def conflicting_finals(finals: list[Inquiry]) -> list[str]:
    """A final state shown twice must be shown with the same content."""
    first: dict[int, Inquiry] = {}
    conflicts = []
    for inquiry in finals:
        held = first.setdefault(inquiry.inquiry_id, inquiry)
        if held != inquiry:
            conflicts.append(f"id {inquiry.inquiry_id}: {_brief(held)} then {_brief(inquiry)}")
    if not conflicts:
        return []
    return [
        f"{len(conflicts)} final states shown twice with different content: {_examples(conflicts)}"
    ]


def out_of_order(finals: list[Inquiry]) -> list[str]:
    """Per key, the first final update of each inquiry arrives in id order."""
    last: dict[str, int] = {}
    seen: set[int] = set()
    problems = []
    for inquiry in finals:
        if inquiry.inquiry_id in seen:
            continue
        seen.add(inquiry.inquiry_id)
        key = key_of(inquiry)
        if inquiry.inquiry_id < last.get(key, -1):
            problems.append(f"{key}: id {inquiry.inquiry_id} arrived after id {last[key]}")
        last[key] = max(last.get(key, -1), inquiry.inquiry_id)
    if not problems:
        return []
    return [f"{len(problems)} final updates out of id order per key: {_examples(problems)}"]


def done_totals(finals: list[Inquiry]) -> dict[str, Totals]:
    """Each key's position recomputed from the DONE inquiries the client saw."""
    unique = {i.inquiry_id: i for i in finals if i.status == Status.DONE}
    totals: dict[str, Totals] = defaultdict(lambda: (0, 0, 0))
    for inquiry in unique.values():
        notional, quantity, count = totals[key_of(inquiry)]
        delta_notional, delta_quantity = signed(inquiry)
        totals[key_of(inquiry)] = (notional + delta_notional, quantity + delta_quantity, count + 1)
    return dict(totals)


def enriched_positions_are_prefix_sums(finals: list[Inquiry]) -> list[str]:
    """Each inquiry was enriched with the sum of the first `sequence` DONE inquiries (by id) of
    its key: the position it carries is exactly what those DONEs add up to."""
    dones: dict[str, list[Inquiry]] = defaultdict(list)
    for inquiry in sorted({i.inquiry_id: i for i in finals}.values(), key=lambda i: i.inquiry_id):
        if inquiry.status == Status.DONE:
            dones[key_of(inquiry)].append(inquiry)
    prefix: dict[str, list[tuple[int, int]]] = {}
    for key, inquiries in dones.items():
        sums = [(0, 0)]
        for inquiry in inquiries:
            notional, quantity = signed(inquiry)
            sums.append((sums[-1][0] + notional, sums[-1][1] + quantity))
        prefix[key] = sums
    problems = []
    for inquiry in {i.inquiry_id: i for i in finals}.values():
        sums = prefix.get(key_of(inquiry), [(0, 0)])
        if inquiry.sequence >= len(sums):
            problems.append(
                f"id {inquiry.inquiry_id}: sequence {inquiry.sequence} but only "
                f"{len(sums) - 1} DONE inquiries of {key_of(inquiry)} exist"
            )
        elif (inquiry.position, inquiry.position_quantity) != sums[inquiry.sequence]:
            problems.append(
                f"id {inquiry.inquiry_id}: enriched position {inquiry.position} cents / "
                f"{inquiry.position_quantity}, expected {sums[inquiry.sequence]} (sum of the "
                f"first {inquiry.sequence} DONE of {key_of(inquiry)})"
            )
    if not problems:
        return []
    return [f"{len(problems)} enriched positions differ: {_examples(problems)}"]


def positions_differ(
    expected: Mapping[str, Totals], actual: Mapping[str, Totals], where: str
) -> list[str]:
    """Positions `where` (Redis, the client's position updates) against the recomputation."""
    problems = [
        f"{key}: {where} has {actual.get(key)}, recomputed {totals}"
        for key, totals in sorted(expected.items())
        if actual.get(key) != totals
    ]
    if not problems:
        return []
    return [
        f"{len(problems)} positions in {where} differ (notional, quantity, count): "
        f"{_examples(problems)}"
    ]


def client_positions(positions: Mapping[str, Position]) -> dict[str, Totals]:
    return {k: (p.notional, p.quantity, p.sequence) for k, p in positions.items()}


def _brief(inquiry: Inquiry) -> str:
    return (
        f"{Status.Name(inquiry.status)} v{inquiry.version} position {inquiry.position} "
        f"sequence {inquiry.sequence}"
    )
