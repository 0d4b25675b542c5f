"""The one-time notice reads as paragraphs, not as the YAML's hard line breaks."""

from __future__ import annotations

from runtime.web.prose import paragraphs

NOTICE = """一、办理对象
在本市申请设立内资有限责任公司的投资人。

二、办理方式
申请人通过平台或到政务服务中心
企业开办专区提交一份申请，综合窗口受理后：
  1. 市场监督管理局 0.5 个工作日内核发营业执照；
  2. 公安、税务、人力资源和社会保障
     （单位参保登记）同时办理，
     均在 0.5 个工作日内完成；
Apply online at
www.example.gov.cn today.
"""


def test_hard_wrapped_lines_join_and_meant_breaks_stay() -> None:
    assert paragraphs(NOTICE) == [
        ["一、办理对象", "在本市申请设立内资有限责任公司的投资人。"],
        ["二、办理方式", "申请人通过平台或到政务服务中心企业开办专区提交一份申请，综合窗口受理后：",
         "1. 市场监督管理局 0.5 个工作日内核发营业执照；",
         "2. 公安、税务、人力资源和社会保障（单位参保登记）同时办理，均在 0.5 个工作日内完成；",
         "Apply online at www.example.gov.cn today."],
    ]


def test_empty_text_has_no_paragraphs() -> None:
    assert paragraphs("") == [] and paragraphs("\n \n") == []
