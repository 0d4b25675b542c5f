"""Tab counts are bounded: beyond the cap a tab says "1000+" instead of counting on."""

from runtime.services.pages import COUNT_CAP, Tab


def test_a_tab_shows_its_count_up_to_the_cap_then_a_plus() -> None:
    assert Tab("done", "已办结", 0).shown == "0"
    assert Tab("done", "已办结", COUNT_CAP).shown == str(COUNT_CAP)
    assert Tab("done", "已办结", COUNT_CAP + 1).shown == f"{COUNT_CAP}+"
