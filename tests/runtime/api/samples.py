"""JSON answers and files for the enterprise-establishment matter, and the cast of users."""

from __future__ import annotations

from typing import Any

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

DATA: dict[str, Any] = {
    "company_name": "云川市青禾农业科技有限公司",
    "company_type": "有限责任公司（自然人投资或控股）",
    "address": "云川市新城区锦程路18号2栋3单元1205室",
    "registered_capital": 100,
    "business_scope": "一般项目：技术服务、技术开发。",
    "has_pre_approval": False,
    "legal_representative": {"name": "王小明", "position": "经理",
                             "id_no": "110101199003071233", "mobile": "13800138000"},
    "shareholders": [{"name": "王小明", "kind": "自然人", "id_no": "110101199003071233",
                      "subscribed_capital": 100, "contribution_method": "货币",
                      "contribution_deadline": "2030-12-31"}],
    "needs_seal": True,
    "seal_count": 5,
    "needs_invoice": False,
    "employees": 3,
    "hf_rate": 5,
    "bank_appointment": True,
    "bank": "中国工商银行",
    "applicant_role": "法定代表人本人",
}

FILES = {
    "articles": ("章程.pdf", PDF),
    "legal-rep-id": ("身份证.png", PNG),
    "shareholder-id": ("股东身份证.pdf", PDF),
    "officers-appointment": ("任职文件.pdf", PDF),
    "premises": ("住所证明.pdf", PDF),
}

#: 统一社会信用代码: matches the licence step's pattern in the catalog.
LICENSE = {"license_no": "91530100MA6K2Y7X37", "established_on": "2026-11-30"}

#: What each parallel step's department enters to approve.
PARALLEL = {
    "seal": ("psb1", {"seal_maker": "云川市诚信刻章有限公司", "seal_count": 5}),
    "tax": ("tax1", {"tax_office": "国家税务总局云川市新城区税务局"}),
    "social-insurance": ("hrss1", {"si_unit_no": "SB5301002026"}),
    "housing-fund": ("hf1", {"hf_account_no": "530100202611"}),
    "bank-account": ("bank1", {"branch": "中国工商银行云川新城支行",
                               "appointment_date": "2026-12-02"}),
}

#: name → (role, department)
CAST: dict[str, tuple[str, str | None]] = {
    "alice": ("applicant", None), "bob": ("applicant", None), "win": ("window", None),
    "amr1": ("department", "amr"), "amr2": ("department", "amr"),
    "psb1": ("department", "psb"), "tax1": ("department", "tax"),
    "hrss1": ("department", "hrss"), "hf1": ("department", "hf"),
    "bank1": ("department", "bank"), "drc1": ("department", "drc"),
    "sup": ("supervisor", None), "root": ("admin", None),
}
