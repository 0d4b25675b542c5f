"""Sample answers and files for the enterprise-establishment matter."""

from __future__ import annotations

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

ANSWERS = {
    "company_name": "云川市青禾农业科技有限公司",
    "company_type": "有限责任公司（自然人投资或控股）",
    "address": "云川市新城区锦程路18号2栋3单元1205室",
    "registered_capital": "100",
    "business_scope": "一般项目：技术服务、技术开发。",
    "has_pre_approval": "false",
    "legal_representative.name": "王小明",
    "legal_representative.position": "经理",
    "legal_representative.id_no": "110101199003071233",
    "legal_representative.mobile": "13800138000",
    "shareholders.0.name": "王小明",
    "shareholders.0.kind": "自然人",
    "shareholders.0.id_no": "110101199003071233",
    "shareholders.0.subscribed_capital": "100",
    "shareholders.0.contribution_method": "货币",
    "shareholders.0.contribution_deadline": "2030-12-31",
    "needs_seal": "true",
    "seal_count": "5",
    "needs_invoice": "false",
    "employees": "3",
    "hf_rate": "5",
    "bank_appointment": "false",
    "applicant_role": "法定代表人本人",
}

FILES = {
    "articles": ("章程.pdf", PDF, "application/pdf"),
    "legal-rep-id": ("身份证.png", PNG, "image/png"),
    "shareholder-id": ("股东身份证.pdf", PDF, "application/pdf"),
    "officers-appointment": ("任职文件.pdf", PDF, "application/pdf"),
    "premises": ("住所证明.pdf", PDF, "application/pdf"),
}


def multipart_files(files: dict[str, tuple[str, bytes, str]] = FILES) -> list[tuple[str, tuple]]:
    """Files as the browser posts them: one ``material:<id>`` control each."""
    return [(f"material:{mid}", spec) for mid, spec in files.items()]
