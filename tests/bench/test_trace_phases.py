"""Self time by event name: nested events are taken out of their parent, siblings are not."""

from tradefast.bench.trace_phases import self_times

MAIN = (1, 1)


def event(name: str, ts: float, dur: float, thread: tuple[int, int] = MAIN) -> dict[str, object]:
    return {"ph": "X", "name": name, "ts": ts, "dur": dur, "pid": thread[0], "tid": thread[1]}


def test_nested_time_is_taken_out_of_the_parent_once() -> None:
    events = [
        event("RunTask", 0, 10_000),
        event("FunctionCall", 1_000, 4_000),
        event("Layout", 2_000, 1_000),  # forced inside the script
        event("Paint", 6_000, 2_000),
        event("RunTask", 20_000, 1_000),
        event("RunTask", 0, 50_000, thread=(2, 2)),  # another thread
        {"ph": "I", "name": "DrawFrame", "ts": 9_000, "pid": 1, "tid": 1},
    ]
    assert self_times(events, MAIN) == {
        "RunTask": 4.0 + 1.0,
        "FunctionCall": 3.0,
        "Layout": 1.0,
        "Paint": 2.0,
    }


def test_an_event_starting_as_its_parent_ends_is_not_nested() -> None:
    events = [event("RunTask", 0, 1_000), event("RunTask", 1_000, 1_000)]
    assert self_times(events, MAIN) == {"RunTask": 2.0}
