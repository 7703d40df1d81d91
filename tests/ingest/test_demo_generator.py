"""The demo generator: same seed, same bytes; files match the manifest; rules hold."""
from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]

from ingest.demo import generate  # noqa: E402
from ingest.demo.__main__ import main  # noqa: E402
from ingest.demo.ids import check_digit, is_valid_id  # noqa: E402
from ingest.demo.plan import load_registry  # noqa: E402

SEED = 20220601
REASONS = {"bad_id_number", "hours_out_of_range", "date_in_future", "missing_required",
           "unknown_department", "missing_rectified_date"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    landing = tmp_path_factory.mktemp("landing")
    return landing, generate(landing, SEED)


def files_of(manifest: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [f for f in manifest["files"] if f["kind"] == kind and f["status"] == "accepted"]


def bad_lines(f: dict[str, Any]) -> dict[int, str]:
    return {b["row"]: b["reason"] for b in f["bad_rows"]}


def csv_rows(path: Path, encoding: str) -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh))


def xlsx_rows(path: Path) -> list[tuple[int, tuple[Any, ...]]]:
    """(sheet row number, values) of project rows: between the header and 合计, non-blank."""
    ws = openpyxl.load_workbook(path, read_only=True)["投资台账"]
    out = []
    for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
        if n <= 3 or row[0] is None:
            continue
        if row[0] == "合计":
            break
        out.append((n, row))
    return out


def parse_date(text: str) -> tuple[int, int, int]:
    y, m, d = (int(x) for x in re.split(r"[/年月日-]", text)[:3])
    return y, m, d


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    ma, mb, mc = generate(a, SEED), generate(b, SEED), generate(c, SEED + 1)
    assert ma == mb and ma["expected"] != mc["expected"]
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files_a == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    assert any((a / rel).read_bytes() != (c / rel).read_bytes()
               for rel in files_a if (c / rel).exists()), "another seed, other data"
    assert openpyxl.load_workbook(next(a.rglob("*.xlsx"))).properties.created.year == 2022


def test_cli_writes_same_manifest(tmp_path: Path, demo: tuple[Path, dict[str, Any]]) -> None:
    out, manifest = tmp_path / "landing", tmp_path / "m" / "manifest.json"
    assert main(["--out", str(out), "--manifest", str(manifest)]) == 0
    assert json.loads(manifest.read_text(encoding="utf-8")) == demo[1]


def test_same_bytes_in_another_process(tmp_path: Path, demo: tuple[Path, dict[str, Any]]) -> None:
    """Another interpreter with another hash seed writes the very same files."""
    landing, m = demo
    out = tmp_path / "landing"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-m", "ingest.demo", "--out", str(out), "--seed", str(SEED)],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    for f in m["files"]:
        assert (out / f["path"]).read_bytes() == (landing / f["path"]).read_bytes(), f["path"]


def test_manifest_lists_every_file(demo: tuple[Path, dict[str, Any]]) -> None:
    landing, m = demo
    on_disk = {p.relative_to(landing).as_posix() for p in landing.rglob("*") if p.is_file()}
    assert on_disk == {f["path"] for f in m["files"]}
    assert sum(f["rows"] for f in m["files"]) < 4000
    registry = load_registry()
    for f in m["files"]:
        city, folder, kind, _ = f["path"].split("/")
        dept = registry[f["department_code"]]
        assert dept.city == city == f["city"] and folder in (dept.name, *dept.aliases)
        if f["status"] == "accepted":
            assert kind == f["kind"] and re.fullmatch(r"2022-0[456]", f["period"])
    cities = {k.split("|")[0] for k in m["expected"]}
    assert cities == {"格尔木市", "寿光市", "射洪市", "毕节市"}
    for city in cities:
        for kind in ("investment", "volunteer", "issue"):
            assert {f"{city}|{kind}|2022-04", f"{city}|{kind}|2022-05"} <= set(m["expected"])


def test_row_counts_read_back(demo: tuple[Path, dict[str, Any]]) -> None:
    landing, m = demo
    for f in m["files"]:
        path = landing / f["path"]
        if f["format"] == "xlsx":
            df = pd.read_excel(path, sheet_name="投资台账", header=2, dtype=str)
            df = df[df["项目编号"].notna() & (df["序号"] != "合计")]
            assert len(df) == f["rows"] == len(xlsx_rows(path)), f["path"]
            assert pd.ExcelFile(path).sheet_names == ["投资台账", "填报说明"]
        elif f["format"] == "csv":
            assert len(pd.read_csv(path, encoding=f["encoding"], dtype=str)) == f["rows"]
        else:
            assert len(json.loads(path.read_text(encoding="utf-8"))["records"]) == f["rows"]


def test_encodings(demo: tuple[Path, dict[str, Any]]) -> None:
    landing, m = demo
    encodings = defaultdict(set)
    for f in m["files"]:
        if f["format"] != "csv":
            continue
        raw = (landing / f["path"]).read_bytes()
        encodings[f["encoding"]].add(f["city"])
        if f["encoding"] == "gbk":
            raw.decode("gb18030")
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
            assert raw.count(b"\r\n") == raw.count(b"\n")
        else:
            assert f["encoding"] == "utf-8-sig" and raw.startswith(b"\xef\xbb\xbf")
            assert b"\r" not in raw
    assert encodings["gbk"] and encodings["utf-8-sig"]
    assert not encodings["gbk"] & encodings["utf-8-sig"]


def test_id_numbers_and_phones(demo: tuple[Path, dict[str, Any]]) -> None:
    landing, m = demo
    bad_ids = 0
    for f in files_of(m, "volunteer"):
        bad = bad_lines(f)
        for line, r in enumerate(csv_rows(landing / f["path"], f["encoding"]), start=2):
            assert len(r["身份证号"]) == 18
            if bad.get(line) == "bad_id_number":
                bad_ids += 1
                assert not is_valid_id(r["身份证号"])
                continue
            assert is_valid_id(r["身份证号"]), (f["path"], line)
            assert 1955 <= int(r["身份证号"][6:10]) <= 2004
            assert re.fullmatch(r"1[3-9]\d{9}", r["联系电话"])
    assert bad_ids == 1
    assert check_digit("11010519491231002") == "X"


def test_deliberately_bad_rows(demo: tuple[Path, dict[str, Any]]) -> None:
    landing, m = demo
    seen: list[str] = []
    for f in m["files"]:
        assert len(f["bad_rows"]) <= 1, "one bad row per file"
        for b in f["bad_rows"]:
            seen.append(b["reason"])
            path = landing / f["path"]
            if f["format"] == "csv":
                row = csv_rows(path, f["encoding"])[b["row"] - 2]
                hours = Decimal(row["服务时长(小时)"])
                assert {"hours_out_of_range": not 0 < hours <= 24,
                        "date_in_future": parse_date(row["服务日期"])[0] == 2031,
                        "missing_required": row["志愿者姓名"] == "",
                        "bad_id_number": not is_valid_id(row["身份证号"])}[b["reason"]]
            elif f["format"] == "xlsx":
                ws = openpyxl.load_workbook(path)["投资台账"]
                assert ws.cell(b["row"], 4).value == "市天文局"
            else:
                rec = json.loads(path.read_text(encoding="utf-8"))["records"][b["row"] - 1]
                assert rec["整改状态"] == "已整改" and not rec["整改完成日期"]
    assert set(seen) == REASONS and seen.count("hours_out_of_range") == 2 and len(seen) == 7
    refused = [f for f in m["files"] if f["status"] == "refused"]
    assert [(f["reason"], f["path"].endswith("联系人名单.csv")) for f in refused] == [("unknown_kind", True)]
    header = (landing / refused[0]["path"]).read_bytes().decode("gb18030").splitlines()[0]
    assert header == "姓名,职务,电话"


def test_investment_files(demo: tuple[Path, dict[str, Any]]) -> None:
    landing, m = demo
    registry = load_registry()
    names = {(d.city, n.strip()): d.code for d in registry.values() for n in (d.name, *d.aliases)}
    stages = ["编制方案/可研", "施工图设计", "招投标", "开工建设", "已完工"]
    history: dict[tuple[str, str], list[tuple[str, Decimal, int]]] = defaultdict(list)
    for f in sorted(files_of(m, "investment"), key=lambda f: f["period"]):
        path = landing / f["path"]
        y, mo = f["period"].split("-")
        assert path.name == f"{y}年{int(mo)}月创建项目投资台账.xlsx"
        ws = openpyxl.load_workbook(path)["投资台账"]
        assert [str(r) for r in ws.merged_cells.ranges] == ["A1:K1"]
        assert ws["A1"].value == f"{f['city']}创建全国文明城市项目投资情况表({y}年{int(mo)}月)"
        assert names[(f["city"], ws["A2"].value.split(":")[1])] == f["department_code"]
        rows = xlsx_rows(path)
        assert rows[-1][0] - rows[0][0] == len(rows), "exactly one blank row inside the data"
        bad = bad_lines(f)
        for n, r in rows:
            if n in bad:
                continue
            assert (f["city"], r[3].strip()) in names
            assert r[8] in stages and 0 <= r[6] <= r[7] <= r[5]
            history[(f["city"], r[1])].append((f["period"], Decimal(str(r[7])), stages.index(r[8])))
        total = [c.value for c in next(x for x in ws.iter_rows() if x[0].value == "合计")]
        assert total[5] == pytest.approx(sum(r[5] for _, r in rows))
    for seq in history.values():
        assert [c for _, c, _ in seq] == sorted(c for _, c, _ in seq)
        assert [s for _, _, s in seq] == sorted(s for _, _, s in seq)
    assert m["expected"]["格尔木市|investment|2022-05"]["projects"] == 41
    assert m["expected"]["格尔木市|investment|2022-05"]["planned_yuan"] == "380000000.00"


def test_volunteer_rules(demo: tuple[Path, dict[str, Any]]) -> None:
    landing, m = demo
    day_hours: dict[tuple[str, tuple[int, int, int]], Decimal] = defaultdict(Decimal)
    for f in files_of(m, "volunteer"):
        assert re.fullmatch(r"\d{1,2}月志愿服务(记录|时长统计)\.csv", Path(f["path"]).name)
        bad = bad_lines(f)
        per_id: dict[str, int] = defaultdict(int)
        for line, r in enumerate(csv_rows(landing / f["path"], f["encoding"]), start=2):
            if line in bad:
                continue
            day = parse_date(r["服务日期"])
            assert f"{day[0]}-{day[1]:02d}" == f["period"]
            assert ("年" in r["服务日期"]) == (f["encoding"] == "utf-8-sig")
            hours = Decimal(r["服务时长(小时)"])
            assert 0 < hours <= 24 and (hours * 2) % 1 == 0
            day_hours[(r["身份证号"], day)] += hours
            per_id[r["身份证号"]] += 1
        assert max(per_id.values()) > 1, "several records per volunteer"
    assert max(day_hours.values()) <= 24


def test_issue_ledgers(demo: tuple[Path, dict[str, Any]]) -> None:
    landing, m = demo
    registry = load_registry()
    names = {(d.city, n): d.code for d in registry.values() for n in (d.name, *d.aliases)}
    by_dept: dict[str, list[tuple[str, dict[str, dict[str, Any]]]]] = defaultdict(list)
    for f in files_of(m, "issue"):
        doc = json.loads((landing / f["path"]).read_text(encoding="utf-8"))
        assert [doc[k] for k in ("city", "kind", "period")] == [f["city"], "issue", f["period"]]
        assert names[(f["city"], doc["department"])] == f["department_code"]
        assert re.fullmatch(r"2022-0\d-\d\dT\d\d:\d\d:00\+08:00", doc["submitted_at"])
        bad = bad_lines(f)
        for i, r in enumerate(doc["records"], start=1):
            assert r["整改时限"] >= r["发现日期"] and (f["city"], r["责任单位"]) in names
            if r["整改状态"] in ("已整改", "已销号") and i not in bad:
                assert r["整改完成日期"] and r["整改完成日期"] >= r["发现日期"]
            if r["复核结果"] == "未通过":
                assert r["整改状态"] == "整改中"
        by_dept[f["department_code"]].append((f["period"], {r["问题编号"]: r for r in doc["records"]}))
    for months in by_dept.values():
        months.sort(key=lambda x: x[0])
        for (_, before), (_, after) in zip(months, months[1:], strict=False):
            assert set(before) < set(after), "the ledger only grows"
    assert sum(v["reopened"] for k, v in m["expected"].items() if "|issue|" in k) > 0


def test_expected_figures_match_files(demo: tuple[Path, dict[str, Any]]) -> None:
    """Recompute the manifest's figures from the files, skipping the bad rows."""
    landing, m = demo
    got: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(Decimal))
    ids: dict[str, set[str]] = defaultdict(set)
    for f in m["files"]:
        if f["status"] != "accepted":
            continue
        key, bad, path = f"{f['city']}|{f['kind']}|{f['period']}", bad_lines(f), landing / f["path"]
        fig = got[key]
        if f["kind"] == "investment":
            for n, values in xlsx_rows(path):
                if n not in bad:
                    fig["projects"] += 1
                    fig["planned"] += Decimal(str(values[5])) * 10000
                    fig["cumulative"] += Decimal(str(values[7])) * 10000
        elif f["kind"] == "volunteer":
            for line, r in enumerate(csv_rows(path, f["encoding"]), start=2):
                if line not in bad:
                    fig["records"] += 1
                    fig["hours"] += Decimal(r["服务时长(小时)"])
                    ids[key].add(r["身份证号"])
        else:
            records = json.loads(path.read_text(encoding="utf-8"))["records"]
            for i, r in enumerate(records, start=1):
                if i not in bad:
                    fig["issues"] += 1
                    fig["rectified"] += bool(r["整改完成日期"])
    assert set(got) == set(m["expected"])
    for key, exp in m["expected"].items():
        fig = got[key]
        if "|investment|" in key:
            assert (fig["projects"], f"{fig['planned']:.2f}", f"{fig['cumulative']:.2f}") == \
                (exp["projects"], exp["planned_yuan"], exp["cumulative_yuan"])
            assert sum(exp["stages"].values()) == exp["projects"]
        elif "|volunteer|" in key:
            assert (fig["records"], len(ids[key]), f"{fig['hours']:.2f}") == \
                (exp["records"], exp["volunteers"], exp["hours"])
        else:
            assert (fig["issues"], fig["rectified"]) == (exp["issues"], exp["rectified"])
            assert 0 <= exp["overdue"] <= exp["issues"]


def test_no_airflow_import() -> None:
    src = "".join(p.read_text(encoding="utf-8")
                  for p in (Path(__file__).parents[2] / "ingest" / "demo").glob("*.py"))
    assert "airflow" not in src.lower()
