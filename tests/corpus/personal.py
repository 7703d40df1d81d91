"""Personal numbers hidden in every place a submission's text can surface: free-text cells (team,
activity, category, project name, point name, remarks), a file name, a folder-free name with an
ID, a sheet name, a header, a title row, values the row rules quote in their messages, an
envelope value a refusal names, a zip member name an exception quotes. In every form the
redaction knows. Beside them, codes shaped like phone numbers, which must keep their value.

``write(landing)`` builds the files (tests/corpus/files.py) and returns what was planted."""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.corpus import files as F

MONTH = "2022年3月"          # no demo file reports March: nothing here supersedes a demo submission
CODES = ("15020210001", "15020210002")   # a project and an issue code shaped like mobile numbers


@dataclass
class Planted:
    forms: list[str] = field(default_factory=list)    # exactly as written into the files
    digits: list[str] = field(default_factory=list)   # the bare numbers (ASCII, ID check char upper)

    def add(self, form: str, number: str) -> str:
        self.forms.append(form)
        self.digits.append(number.upper())
        return form


def _id(n: int) -> str:
    return F.person_id(n, "510981")


def write(landing: Path) -> Planted:
    p = Planted()
    ph = [f"1390000{n:04d}" for n in range(40)]          # one mobile number per place
    id_groups, id_x = _id(50), _id(7)                     # person_id(7) ends with X
    assert id_x.endswith("X")
    old_id = "510981710203123"                             # 15 digits: 1971-02-03
    bad_id = _id(9)[:17] + ("1" if _id(9)[17] != "1" else "2")   # a wrong check character

    # ---- an accepted volunteer workbook: sheet, title, header, free text, quarantined values
    header = F.VOL_HEADER[:4] + [f"活动名称(负责人{p.add('139-0000-0003', ph[3])})"] + F.VOL_HEADER[5:]
    def row(name: str, n: int, team: str, activity: str | None, category: str = "文明交通",
            day: object = "2022-03-05", hours: object = 2, phone: str = "13812345678", id_=None) -> list:
        return [name, id_ or _id(n), phone, team, activity, category, day, hours]
    rows = [
        row("王小明", 1, f"青年队{p.add('１３９０００００００４', ph[4])}", f"文明交通 {p.add('0086 139 0000 0005', ph[5])}"),
        row("李四", 2, p.add(f"abc{ph[6]}xyz", ph[6]), f"敬老助残 {p.add(' '.join([id_groups[:6], id_groups[6:14], id_groups[14:]]), id_groups)}"),
        row("赵五", 3, f"环保队 {p.add(id_x.lower(), id_x)}", "清扫街道", category=f"环境保护{p.add('139.0000.0008', ph[8])}"),
        row("钱六", 4, f"宣讲队{p.add('+8613900000020', ph[20])}", "理论宣讲", phone=p.add("+86 139 0000 0010", ph[10])),
        row("孙七", 5, "青年队", None),                                                  # quarantined: the header shows
        row("周八", 6, "青年队", "文明交通", hours=p.add("13900000007", ph[7])),          # hours_out_of_range quotes it
        row("吴九", 7, "青年队", "文明交通", day=p.add("１３９０００００００９", ph[9])),    # bad_date quotes it
        row("郑十", 8, "青年队", "文明交通", id_=p.add(bad_id, bad_id)),                  # bad_id_number shows it masked
        row(f"张{p.add('13900000011', ph[11])}", 10, "青年队", "文明交通"),                # a name: masked to 张*
    ]
    title = [[f"射洪市志愿服务记录({MONTH}) 联系人 {p.add('+86 139 0000 0002', ph[2])}"]]
    F.put(landing, f"射洪市/市文明办/volunteer/{MONTH}志愿服务.xlsx",
          F.xlsx_bytes([{"name": f"志愿者{p.add('13900000001', ph[1])}", "rows": title + [header, *rows]}]))

    # ---- an accepted issue ledger: point name, remarks, district, street; a phone-shaped code
    F.put(landing, f"格尔木市/市城管局/issue/{MONTH}.csv", F.csv_bytes([
        ["问题编号", "发现日期", "问题类别", "点位类型", "点位名称", "所属区县", "街道", "责任单位", "问题描述", "整改时限", "整改状态"],
        [CODES[1], "2022-03-02", "治脏", "背街小巷", f"江源路 {p.add('86-139-0000-0012', ph[12])} 门前",
         "格尔木市", f"昆仑路街道{p.add('1 3 9 0 0 0 0 0 0 2 1', ph[21])}", "市城管局",
         f"群众举报(身份证 {p.add(old_id, old_id)})", "2022-03-20", "未整改"]]))

    # ---- an accepted investment ledger: project name, category; a phone-shaped project code
    F.put(landing, f"毕节市/市住建局/investment/{MONTH}.xlsx", F.xlsx_bytes([{"name": "投资台账", "rows": [
        ["项目编号", "项目名称", "责任单位", "项目类别", "计划总投资(万元)", "项目进度"],
        [CODES[0], f"公厕提升(联系人 {p.add('(+86)13900000013', ph[13])})", "市住建局",
         f"环境卫生 {p.add('139 0000 0014', ph[14])}", 120, "编制方案/可研"],
        ["BJ-PII-2", "站台升级", "市住建局", f"交通设施{p.add('１３９－００００－００２２', ph[22])}", 300, "编制方案/可研"]]}]))

    # ---- refused files: the number is in the name, a title row, an envelope, an exception text
    F.put(landing, f"寿光市/团市委/volunteer/{MONTH} 联系人{p.add('13900000015', ph[15])}.csv",
          F.csv_bytes([F.VOL_HEADER, row("王", 11, "青年队", "文明交通")]))
    F.put(landing, f"寿光市/市新时代文明实践中心/volunteer/志愿者{p.add(_id(12), _id(12))}.csv",
          F.csv_bytes([F.VOL_HEADER, row("王", 12, "青年队", "文明交通")]))
    F.put(landing, f"格尔木市/团市委/volunteer/{MONTH}.xlsx", F.xlsx_bytes([{"name": "Sheet1", "rows": [
        [f"填报单位:格尔木市团市委{p.add('13900000016', ph[16])}"], F.VOL_HEADER, row("王", 13, "青年队", "文明交通")]}]))
    F.put(landing, f"毕节市/团市委/volunteer/{MONTH}.json", F.json_bytes({
        "city": f"毕节市{p.add('13900000017', ph[17])}", "department": "团市委", "period": "2022-03",
        "records": [dict(zip(F.VOL_HEADER, row("王", 14, "青年队", "文明交通")))]}))
    F.put(landing, f"射洪市/教育局/volunteer/{MONTH}.xlsx", _broken_workbook(p.add("13900000018", ph[18])))
    return p


def _broken_workbook(number: str) -> bytes:
    """A workbook package whose member (named after a person) fails its checksum: the refusal
    quotes zipfile's error, which names the member."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        stamp = F.FIXED_TIME.timetuple()[:6]
        z.writestr(zipfile.ZipInfo("[Content_Types].xml", stamp), "<Types/>")
        z.writestr(zipfile.ZipInfo(f"xl/worksheets/{number}.xml", stamp), "<worksheet>AAAA</worksheet>")
    return buf.getvalue().replace(b"<worksheet>AAAA", b"<worksheet>BBBB")
