"""Schedules against values worked out by hand from their formulas."""
import numpy as np
import pytest

import gdcore as gd

S = gd.schedules

# (schedule, the first rates written out by hand)
HAND = [
    (S.constant(0.3), [0.3, 0.3, 0.3, 0.3]),
    (S.step_decay(0.1, 0.5, 2), [0.1, 0.1, 0.05, 0.05, 0.025]),
    (S.step_decay(1.0, 0.1, 3), [1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.01]),
    (S.exponential(0.8, 0.5), [0.8, 0.4, 0.2, 0.1, 0.05]),
    (S.inverse_time(1.0, 0.5), [1.0, 1 / 1.5, 0.5, 0.4, 1 / 3]),
    # cosine(1, T=4): 0.5 * (1 + cos(pi t / 4)) = 1, (2+sqrt2)/4, 1/2, (2-sqrt2)/4, 0, then held at 0
    (S.cosine(1.0, 4), [1.0, 0.8535533905932737, 0.5, 0.14644660940672624, 0.0, 0.0]),
    (S.cosine(1.0, 2, lr_min=0.2), [1.0, 0.6, 0.2, 0.2]),
    # warmup over W=4 steps to 0.4: 0.1, 0.2, 0.3, 0.4, then the base schedule from its step 0
    (S.warmup(0.4, 4), [0.1, 0.2, 0.3, 0.4, 0.4, 0.4]),
    (S.warmup(S.exponential(0.2, 0.5), 2), [0.1, 0.2, 0.2, 0.1, 0.05]),
]


@pytest.mark.parametrize("sched,want", HAND, ids=[repr(s) for s, _ in HAND])
def test_hand_listed_values(sched, want):
    got = [sched(t) for t in range(len(want))]
    assert all(isinstance(v, float) for v in got)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("sched,want", HAND, ids=[repr(s) for s, _ in HAND])
def test_vector_call_equals_scalar_calls(sched, want):
    T = 50
    vec = sched(np.arange(T))
    assert isinstance(vec, np.ndarray) and vec.shape == (T,)
    # bit-for-bit: fit reads a whole epoch of rates with one vector call
    assert vec.tolist() == [sched(t) for t in range(T)]


def test_schedules_are_immutable_and_calls_do_not_change_them():
    s = S.step_decay(0.1, 0.5, 2)
    before = repr(s)
    for t in range(10):
        s(t)
    s(np.arange(10))
    assert repr(s) == before == "step_decay(lr0=0.1, factor=0.5, every=2)"
    assert s == S.step_decay(0.1, 0.5, 2) and hash(s) == hash(S.step_decay(0.1, 0.5, 2))
    assert s != S.step_decay(0.1, 0.5, 3)
    for field, value in (("lr0", 1.0), ("factor", 0.9), ("every", 5)):
        with pytest.raises(AttributeError, match="immutable"):
            setattr(s, field, value)
    assert s(2) == 0.05


def test_get_by_name_and_as_schedule():
    assert S.get("cosine", lr0=0.1, total_steps=10) == S.cosine(0.1, 10)
    assert S.as_schedule(0.5, "sgd") == S.constant(0.5)
    c = S.cosine(0.1, 10)
    assert S.as_schedule(c, "sgd") is c
    wrapped = S.as_schedule(lambda t: 1.0 / (t + 1), "sgd")
    assert wrapped(3) == 0.25
    np.testing.assert_allclose(wrapped(np.arange(3)), [1.0, 0.5, 1 / 3])


def test_starts_at_lr0():
    for sched in (S.constant(0.2), S.step_decay(0.2, 0.5, 1), S.exponential(0.2, 0.9),
                  S.inverse_time(0.2, 3.0), S.cosine(0.2, 7)):
        assert sched(0) == 0.2
    assert S.warmup(0.2, 5)(0) == pytest.approx(0.04)


def test_each_schedule_declares_its_constraints_once_and_they_are_its_fields():
    for sched in (S.constant(0.2), S.step_decay(0.2, 0.5, 1), S.exponential(0.2, 0.9), S.inverse_time(0.2, 3.0),
                  S.cosine(0.2, 7), S.warmup(0.2, 5)):
        assert sched._fields == tuple(type(sched)._parameter_constraints)
    # lr0 > 0 is one object shared by every schedule that has an lr0
    ids = {id(c._parameter_constraints["lr0"]) for c in (S.constant, S.step_decay, S.exponential,
                                                          S.inverse_time, S.cosine)}
    assert len(ids) == 1


def test_constructors_convert_numpy_and_int_arguments():
    s = S.step_decay(np.float32(0.5), 1, np.int64(2))
    assert type(s.lr0) is float and type(s.factor) is float and type(s.every) is int
    assert s.factor == 1.0 and s(5) == 0.5
    w = S.warmup(1, 2)
    assert w.schedule == S.constant(1.0) and w(0) == 0.5


def test_callable_rates_are_checked_at_every_call():
    wrapped = S.as_schedule(lambda t: 0.1 if t < 2 else "oops", "adam")
    assert wrapped(1) == 0.1
    with pytest.raises(TypeError, match=r"^The 'lr' parameter of adam must be a schedule returning floats > 0 "
                                        r"\(at step 2\); got 'oops' instead\.$"):
        wrapped(2)
    with pytest.raises(TypeError, match=r"at step 2\)"):
        wrapped(np.arange(3))
    neg = S.as_schedule(lambda t: -1.0, "sgd")
    with pytest.raises(ValueError, match=r"got -1\.0 instead"):
        neg(0)
    nan = S.as_schedule(lambda t: float("nan"), "sgd")
    with pytest.raises(ValueError, match=r"got nan instead"):
        nan(0)
