"""What a clerk reads about a row: the reasons a row is refused and the cautions on a loaded row
(in Chinese), and how a refused value is shown (personal numbers masked, shortened)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ingest.rows import pii
from ingest.rows.values import clean_text

SHOWN_CHARS = 60                 # a refused value is shown at most this long
# Control characters (tab and line breaks aside) and bidirectional overrides: never loaded.
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
MESSAGES = {
    "missing_required": "必填项“{field}”为空",
    "bad_number": "“{field}”不是有效的数字:{value}",
    "negative_amount": "“{field}”不能为负数:{value}",
    "bad_date": "“{field}”不是有效的日期:{value}(应如 2022-05-20 或 2022年5月20日)",
    "date_in_future": "“{field}”晚于今天:{value}",
    "bad_value": "“{field}”的值“{value}”不在允许范围内({allowed})",
    "bad_code": "“{field}”过长或含有非法字符:{value}",
    "unknown_department": "“{field}”中的单位“{value}”不在单位名册中(相近的单位:{allowed})",
    "hours_out_of_range": "“{field}”须大于 0 且不超过 24 小时:{value}",
    "bad_id_number": "身份证号码校验不通过(应为 18 位且校验位正确):{value}",
    "id_not_text": "身份证号码被 Excel 存成了数字或科学计数法,末尾数字可能已丢失,"
                   "请将该列设为“文本”格式后重新填写:{value}",
    "bad_phone": "手机号码应为 11 位且以 13–19 开头:{value}",
    "date_order": "“{field}”({value})早于“{other}”",
    "missing_rectified_date": "整改状态为“{value}”时必须填写“{field}”",
    "duplicate_key": "“{field}”重复:{value}(本文件中已出现过,只保留第一次出现的行)",
    "daily_hours_exceeded": "同一志愿者同一天的服务时长合计超过 24 小时(当天合计 {value} 小时)",
    "cell_too_long": "“{field}”内容过长(超过 {allowed} 个字符),请精简:{value}",
    "not_a_value": "“{field}”应为单个值,而不是列表或对象:{value}",
    "outside_period": "“{field}”({value})不在填报期间 {allowed} 内,无法归入任何月份",
    "ambiguous_number": "“{field}”的“{value}”有歧义,不作猜测:{allowed}",
    "rounds_to_zero": "“{field}”的值“{value}”按 {allowed} 四舍五入后为 0,请核实单位或数值",
    "wrong_type": "“{field}”应填写具体的值,而不是真/假值:{value}",
    "control_character": "“{field}”含有看不见的控制字符,请删除后重新填写:{value}",
    "formula_not_calculated": "“{field}”是公式,文件中没有 Excel 计算出的结果(公式未计算):"
                              "请用 Excel 或 WPS 打开并保存后重新提交,或直接填写数值",
    "duplicate_field": "这条记录中“{field}”出现了不止一次,无法确定以哪个为准",
    "date_outside_calendar": "“{field}”({value})不在统计范围 {allowed} 内",
    "ratio_out_of_range": "“{field}”({value})超过“{other}”的 {allowed} 倍,请核实金额和单位",
    "unreadable_value": "“{field}”的值无法识别:{value}",
    "bad_character": "这条记录含有无效的字符(不成对的 Unicode 代理项),请从表单系统重新导出",
    "after_footer": "这一行在表尾说明(填表人、审核人、注等)之后,未作为数据入库:请把数据行移到表尾说明之前",
}
WARNINGS = {
    "above_other": "“{field}”({value})大于“{other}”,请核实",
    "cumulative_decreased": "“{field}”少于 {other}(本期 {value}),累计数不应减少,请核实",
    "stage_regressed": "“{field}”从此前的“{other}”倒退为“{value}”,请核实",
    "reported_by_other_department": "项目“{value}”本月也由{other}报送,以最后提交的为准,请核实是否重复",
    "outside_period": "“{field}”({value})不在填报月份 {other} 内,已按原日期入库,请核实",
    "unexpected_value": "整改状态为“{other}”却填写了“{field}”({value}),请核实",
    "status_regressed": "“{field}”从此前的“{other}”倒退为“{value}”且复核结果不是“未通过”,请核实",
}


@dataclass
class Rejected:
    """A row that did not load (or, in a receipt's warnings, loaded with a caution)."""
    row: int
    field: str          # header as the clerk wrote it
    value: str          # masked when personal data; shortened
    reason_code: str
    message: str

    def doc(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "value": self.value, "reason_code": self.reason_code,
                "message": self.message}


class RowError(Exception):
    def __init__(self, code: str, field: str, value: Any, **extra: str) -> None:
        super().__init__(code)
        self.code, self.field, self.value, self.extra = code, field, value, extra


def shown(value: Any, limit: int = SHOWN_CHARS) -> str:
    """A value as a receipt shows it: personal numbers masked, control characters written out
    (\\x07), at most `limit` characters."""
    text = pii.redact(clean_text(value))
    if not text.isprintable():
        text = CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}" if m.group() < "\u0100"
                              else f"\\u{ord(m.group()):04x}", text)
    return text if len(text) <= limit else f"{text[:limit]}…(共 {len(text):,} 字符)"


def reject(row: int, code: str, field: str, value: str, **extra: str) -> Rejected:
    msg = MESSAGES[code].format(field=field, value=value, allowed=extra.get("allowed", ""),
                                other=extra.get("other", ""))
    return Rejected(row, field, value, code, msg)


def warn(row: int, code: str, field: str, value: str, other: str = "") -> Rejected:
    return Rejected(row, field, value, code, WARNINGS[code].format(field=field, value=value, other=other))


def yuan(value: Any) -> str:
    """An amount as stored (yuan), said so: the clerk's header may be in 万元."""
    return f"{value:,.2f} 元" if isinstance(value, Decimal) else str(value)
