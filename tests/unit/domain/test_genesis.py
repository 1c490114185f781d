"""Genesis phases, quotas and the age band (rules.md §3)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from shared.domain import genesis
from shared.domain.accounts import GOVT_GENESIS_POOL, POOL_ALLOCATIONS, USER_GENESIS_POOL, coins
from shared.domain.errors import RuleViolation


def test_phase_table_matches_the_pools() -> None:
    assert sum(p.users for p in genesis.PHASES) == 5_000_000_000
    assert sum(p.users * p.user_amount for p in genesis.PHASES) == POOL_ALLOCATIONS[USER_GENESIS_POOL]
    assert sum(p.users * p.treasury_amount for p in genesis.PHASES) == POOL_ALLOCATIONS[GOVT_GENESIS_POOL]
    assert genesis.max_pool_need(Fraction(1)) == (POOL_ALLOCATIONS[USER_GENESIS_POOL],
                                                  POOL_ALLOCATIONS[GOVT_GENESIS_POOL])


def test_allocations_floor_the_share() -> None:
    share = genesis.parse_share("0.03384748")
    assert genesis.phase_allocations(share) == [3_384_748, 6_769_496, 10_154_244, 13_538_992,
                                                52_463_594, 82_926_326]
    assert genesis.phase_allocations(genesis.parse_share(0.000000001)) == [0, 0, 0, 0, 1, 2]


@pytest.mark.parametrize("bad", ["abc", "-0.1", "1.01", "", None])
def test_share_must_be_between_zero_and_one(bad: object) -> None:
    with pytest.raises(RuleViolation):
        genesis.parse_share(bad)


def test_grant() -> None:
    full = [5, 5, 5, 5, 5, 5]
    assert genesis.grant(30, full, min_age=13, max_age=73) == genesis.Grant(1, True, coins(500), coins(50))
    assert genesis.grant(13, [0, 0, 0, 0, 0, 1], min_age=13, max_age=73) == genesis.Grant(
        6, True, coins(50), coins(10))
    assert genesis.grant(73, [0, 3, 0, 0, 0, 0], min_age=13, max_age=73).phase == 2
    assert genesis.grant(12, full, min_age=13, max_age=73) == genesis.Grant(0, False, 0, 0)
    assert genesis.grant(74, full, min_age=13, max_age=73).phase == 0
    assert genesis.grant(30, [0] * 6, min_age=13, max_age=73) == genesis.Grant(0, False, 0, 0)
