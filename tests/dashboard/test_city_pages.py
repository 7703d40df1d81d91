"""The city pages of the scorecard dashboard in Chromium: every chart drawn, every figure equal to
SQL over the marts written here independently, the ranking month switch."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from ingest.contracts import stages

from tests.conftest import query
from tests.dashboard.pages import (
    assert_drawn, cities, db, expected_city, has_mart, open_page, pct, screenshot, trace, ym,
)

pytestmark = pytest.mark.slow

STAGES = list(stages())


def test_city_pages_draw_every_chart_with_the_marts_figures(browser, home, tmp_path):
    from selenium.webdriver.common.by import By

    for city, code in cities(home):
        page = home / "site" / "city" / f"{code}.html"
        charts = open_page(browser, page)
        for chart in charts.values():
            assert_drawn(chart)
        exp = expected_city(home, city)

        inv = charts[f"chart-investment-{code}"]
        planned, spent = trace(inv, "计划总投资"), trace(inv, "累计完成投资")
        assert planned["x"] == STAGES
        for i, stage in enumerate(STAGES):
            p, s, n = exp["stage"].get(stage, (Decimal(0), Decimal(0), 0))
            assert (Decimal(str(planned["customdata"][i][0])), planned["customdata"][i][1]) == (p, n), (city, stage)
            assert Decimal(str(spent["customdata"][i][0])) == s, (city, stage)
            assert planned["y"][i] == pytest.approx(float(p) / 10000, abs=0.005)

        vol = charts[f"chart-volunteer-{code}"]
        hours, people = trace(vol, "服务时长（小时）"), trace(vol, "参与志愿者（人）")
        assert hours["x"] == [m for m, _, _ in exp["volunteer"]]
        assert [Decimal(str(h)) for h in hours["customdata"]] == [h for _, h, _ in exp["volunteer"]]
        assert people["y"] == [n for _, _, n in exp["volunteer"]]

        stars = trace(charts[f"chart-stars-{code}"], "星级志愿者")
        assert stars["x"] == ["一星", "二星", "三星", "四星", "五星"]
        assert stars["y"] == [exp["stars"].get(level, 0) for level in range(1, 6)]

        rect = charts[f"chart-rectification-{code}"]
        rate, overdue = trace(rect, "整改率"), trace(rect, "逾期问题（件）")
        assert rate["x"] == overdue["x"] == [m for m, _, _ in exp["ledger"]]
        assert [Decimal(str(r)) for r in rate["customdata"]] == [r for _, _, r in exp["ledger"]]
        assert overdue["y"] == [o for _, o, _ in exp["ledger"]]

        # 红黑榜: the table on show is the ranking month's, row for row; the chart shows its overdue issues
        select = browser.find_element(By.CSS_SELECTOR, "select.month-switch")
        assert select.get_attribute("value") == ym(exp["ranking_month"])
        shown = [t for t in browser.find_elements(By.CSS_SELECTOR, "table.ranking") if t.is_displayed()]
        assert len(shown) == 1
        got = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")][:7]
               for tr in shown[0].find_elements(By.CSS_SELECTOR, "tbody tr")]
        assert got == [[str(rank), name, pct(rate_), str(in_ledger), str(over), pct(inv_rate), f"{vh:,.2f}"]
                       for rank, name, rate_, in_ledger, over, inv_rate, vh in exp["ranking"]], city
        bars = trace(charts[f"chart-overdue-{code}"], "逾期问题（件）")     # departments with a ledger
        with_ledger = [row for row in exp["ranking"] if row[3] > 0]
        assert bars["y"] == [f"{rank}. {name}" for rank, name, *_ in with_ledger]
        assert bars["x"] == [row[4] for row in with_ledger]

        kpi = {e.get_attribute("data-kpi"): e.text for e in browser.find_elements(By.CSS_SELECTOR, "[data-kpi]")}
        assert kpi["overdue_issues"] == kpi["overdue_list_count"] == str(exp["overdue_now"])
        assert kpi["star_volunteers"] == str(sum(exp["stars"].values()))
        assert kpi["rectification_rate"] == pct(exp["ledger"][-1][2])

        check_optional_sections(home, browser, charts, city, code)
        if code == "golmud":
            screenshot(browser, tmp_path / f"dashboard-city-{code}.png")


def check_optional_sections(home: Path, browser, charts: dict, city: str, code: str) -> None:
    from selenium.webdriver.common.by import By

    section = {s: browser.find_element(By.ID, s) for s in ("submissions", "quality")}
    if not has_mart(home, "mart_submission_status"):
        assert "暂无数据" in section["submissions"].text
    else:
        chart = charts[f"chart-submissions-{code}"]
        rows = query(db(home), """select strftime(period_month, '%Y-%m') as m,
                                         count(*) filter (where status = 'on_time'),
                                         count(*) filter (where status = 'late'),
                                         count(*) filter (where status = 'missing'),
                                         count(*) filter (where status = 'pending')
                                  from marts.mart_submission_status where city = ? group by m order by m""", [city])
        for i, name in enumerate(["按时报送", "迟报", "缺报", "未到截止日"], start=1):
            t = trace(chart, name)
            assert t["x"] == [r[0] for r in rows] and t["y"] == [r[i] for r in rows], (city, name)
        gaps = query(db(home), "select count(*) from marts.mart_submission_status where city = ? "
                               "and status in ('late', 'missing')", [city])[0][0]
        assert section["submissions"].find_element(By.CSS_SELECTOR, '[data-kpi="gap_count"]').text == str(gaps)
    if not has_mart(home, "mart_data_quality"):
        assert "暂无数据" in section["quality"].text
    else:
        chart = charts[f"chart-quality-{code}"]
        rows = [(m, failed, (Decimal(n - failed) / Decimal(n)).quantize(Decimal("0.0001"), ROUND_HALF_UP))
                for m, n, failed in query(db(home), """
                    select strftime(period_month, '%Y-%m') as m, count(*), count(*) filter (where not success)
                    from marts.mart_data_quality where city = ? and gate = 'submission' and period_month is not null
                    group by m order by m""", [city])]
        failed, rate = trace(chart, "未通过检查（项）"), trace(chart, "检查通过率")
        assert failed["x"] == rate["x"] == [r[0] for r in rows]
        assert failed["y"] == [r[1] for r in rows]
        assert [Decimal(str(v)) for v in rate["customdata"]] == [r[2] for r in rows]
        failures = query(db(home), "select count(*) from marts.mart_data_quality where city = ? and not success",
                         [city])[0][0]
        assert section["quality"].find_element(By.CSS_SELECTOR, '[data-kpi="quality_failures"]').text == str(failures)


def test_ranking_month_switch_shows_that_months_table(browser, home):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    city, code = cities(home)[0]
    open_page(browser, home / "site" / "city" / f"{code}.html")
    select = Select(browser.find_element(By.CSS_SELECTOR, "select.month-switch"))
    months = [o.get_attribute("value") for o in select.options]
    assert len(months) > 1
    select.select_by_value(months[-1])
    shown = [t for t in browser.find_elements(By.CSS_SELECTOR, "table.ranking") if t.is_displayed()]
    assert [t.get_attribute("data-month") for t in shown] == [months[-1]]
    first = query(db(home), """select department_name from marts.mart_department_scorecard
                               where city = ? and strftime(period_month, '%Y-%m') = ?
                               order by rank_in_city, department_code limit 1""", [city, months[-1]])[0][0]
    assert shown[0].find_element(By.CSS_SELECTOR, "tbody tr td:nth-child(2)").text == first
