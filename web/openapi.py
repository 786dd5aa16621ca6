"""The OpenAPI 3.1 description of the public JSON API, built from the same constants the
parser enforces so the document and the behaviour cannot drift apart."""
from __future__ import annotations

from index.api import LIMITS, SORTS
from policy_search.domain.deadlines import DEADLINE_STATUSES
from policy_search.domain.kinds import HUIQI_NO, HUIQI_YES
from policy_search.domain.models import DOC_KINDS, LEVELS, VALIDITIES
from web.feeds import CALENDAR_PAST_DAYS
from web.params import ALL_VALIDITIES, DEFAULT_VALIDITY, FACET_NAMES, FILTERS

_FACET_ENUMS = {"level": list(LEVELS), "scope": list(LEVELS),
                "validity": [*VALIDITIES, ALL_VALIDITIES],
                "kind": list(DOC_KINDS), "huiqi": [HUIQI_YES, HUIQI_NO],
                "deadline": list(DEADLINE_STATUSES)}
_FACET_HELP = {
    "level": "层级: national 国家 / provincial 省 / city 市 / county 县",
    "region": ("适用地区: where a policy applies, not where it was issued. A region name or GB/T "
               "2260 code (e.g. 长沙县, 430121): national, provincial and city policies apply in "
               "their counties too, so region=长沙县 finds national, 湖南省, 长沙市 and 长沙县 "
               "policies; a policy whose text restricts it (上海市促进浦东新区…规定) applies only "
               "where it says. The `region` facet counts, per region, the results that apply "
               "there (those for the region and every division above it), listed as a tree: "
               "全国, each province, its cities, their counties"),
    "scope": ("适用范围: the level a policy applies at — national 全国性, provincial 省级, city 市级, "
              "county 县（区）级 (e.g. region=长沙县&scope=county: 长沙县's own policies)"),
    "issued_region": ("发文地区: where a policy was issued (a region name or code; a province "
                      "includes its cities and counties, e.g. issued_region=湖南省). Its facet "
                      "counts the issuing regions"),
    "industry": "行业 (GB/T 4754 门类 name, e.g. 制造业, or 不限行业)",
    "support": "支持方式 (e.g. 资金补贴奖励, 税费减免)",
    "enterprise": "企业类型 (e.g. 专精特新, 小微企业)",
    "issuer": "发文机关 (e.g. 国务院办公厅)",
    "year": "发布年份, four digits",
    "validity": (f"有效性. Default (no validity parameter): {' / '.join(DEFAULT_VALIDITY)} — "
                 f"expired (失效) and repealed (废止) policies are left out; "
                 f"`validity={ALL_VALIDITIES}` includes every policy; explicit values search "
                 f"exactly those. The `validity` facet counts all values either way"),
    "kind": ("文件类型, derived from the title's form, the issuer and the text (each hit's "
             "`kind`; the evidence is in `/api/policies/{id}`): 惠企措施 measures giving "
             "enterprises something, 申报通知 calls to apply, 政策解读, 法律法规, 司法解释, "
             "工作报告与规划, 公告公示, 其他"),
    "huiqi": ("惠企政策: 是 — the policy gives enterprises something they can obtain (money, "
              "tax or fee relief, loans, guarantees, services, qualifications, land, talent "
              "support); 否 — it does not"),
    "deadline": ("申报状态 on the day asked: 申报中 (open), 即将截止 (closes within 14 days), "
                 "未开始, 已截止, 长期有效, 未知"),
    "subject": ("主题分类 as a path, levels joined by \" › \" (e.g. 财政、金融、审计 › 银行; "
                "a backslash or slash between levels is read the same). A category includes its "
                "sub-categories; the facet counts every level"),
}


def _facet_parameter(key: str) -> dict:
    item: dict = {"type": "string", "maxLength": LIMITS.value_chars}
    if key in _FACET_ENUMS:
        item["enum"] = _FACET_ENUMS[key]
    if key == "year":
        item["pattern"] = "^(19|20)[0-9]{2}$"
    return {
        "name": key, "in": "query", "required": False, "style": "form", "explode": True,
        "description": f"{FACET_NAMES[key]} — {_FACET_HELP[key]}. Repeat the parameter for "
                       f"several values (OR within a facet, AND across facets); at most "
                       f"{LIMITS.values_per_facet} values.",
        "schema": {"type": "array", "items": item, "maxItems": LIMITS.values_per_facet},
    }


def _page_parameter(what: str) -> dict:
    return {"name": "page", "in": "query", "required": False,
            "description": f"{what}; page × size may not exceed {LIMITS.result_window} "
                           f"(a deeper page is answered with 400)",
            "schema": {"type": "integer", "minimum": 1, "maximum": LIMITS.result_window,
                       "default": 1}}


def _search_parameters() -> list[dict]:
    return [
        {"name": "q", "in": "query", "required": False,
         "description": "检索词: Chinese words without spaces, \"quoted phrases\", or a 文号 in any "
                        "bracket style. Empty: browse, newest first.",
         "schema": {"type": "string", "maxLength": LIMITS.query_chars}},
        *[_facet_parameter(key) for key in FILTERS],
        {"name": "sort", "in": "query", "required": False,
         "description": "relevance 相关度 (default), newest 最新发布, deadline 截止日期",
         "schema": {"type": "string", "enum": list(SORTS), "default": "relevance"}},
        _page_parameter("1-based page"),
        {"name": "size", "in": "query", "required": False, "description": "hits per page",
         "schema": {"type": "integer", "minimum": 1, "maximum": LIMITS.page_size,
                    "default": 10}},
    ]


_ERROR = {"description": "Bad parameter", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}}
_UNAVAILABLE = {"description": "The index is not built or not usable yet",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}

_SCHEMAS = {
    "Error": {"type": "object", "required": ["error", "message", "status"], "properties": {
        "error": {"type": "string"}, "message": {"type": "string", "description": "Chinese"},
        "status": {"type": "integer"}, "param": {"type": "string"}}},
    "FacetCount": {"type": "object", "required": ["value", "count"], "properties": {
        "value": {"type": "string"}, "count": {"type": "integer"}}},
    "Facets": {"type": "object", "description": "facet key → values with counts",
               "additionalProperties": {"type": "array",
                                        "items": {"$ref": "#/components/schemas/FacetCount"}}},
    "Hit": {"type": "object", "required": ["id", "url", "title", "issuer", "doc_number", "level",
                                           "region", "publish_date", "validity", "kind", "huiqi",
                                           "tags", "snippet"],
            "properties": {
                "id": {"type": "string"}, "url": {"type": ["string", "null"]},
                "title": {"type": "string"}, "issuer": {"type": ["string", "null"]},
                "doc_number": {"type": ["string", "null"]},
                "level": {"type": ["string", "null"], "enum": [*LEVELS, None]},
                "region": {"type": ["string", "null"],
                           "description": "发文地区: where the policy was issued"},
                "publish_date": {"type": ["string", "null"], "format": "date"},
                "validity": {"type": "string"},
                "kind": {"type": "string", "enum": list(DOC_KINDS), "description": "文件类型"},
                "huiqi": {"type": ["boolean", "null"],
                          "description": "惠企: gives enterprises something they can obtain"},
                "tags": {"type": "object", "additionalProperties": {
                    "type": "array", "items": {"type": "string"}}},
                "snippet": {"type": "string", "description":
                            "HTML: escaped text in which only <mark>…</mark> is markup"},
                "applies_in": {"type": "array", "items": {"type": "string"}, "description":
                               "names of the regions where the policy applies (全国 for a "
                               "national one); `region` is where it was issued"},
                "original_url": {"type": ["string", "null"], "description":
                                 "the link to the original on the issuing government's site "
                                 "(a gov.cn host or a crawl source's host); null when `url` "
                                 "points elsewhere (a republisher, a library proxy)"}}},
    "SearchResult": {"type": "object", "required": ["total", "page", "size", "took_ms", "hits",
                                                    "facets"], "properties": {
        "total": {"type": "integer"}, "page": {"type": "integer"}, "size": {"type": "integer"},
        "took_ms": {"type": "number"},
        "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
        "facets": {"$ref": "#/components/schemas/Facets"},
        "suggestion": {"type": "string", "description":
                       "a query of index words that finds more (pinyin or a mistyped word "
                       "read as the term meant, or the words that match)"},
        "message": {"type": "string"},
        "rewrite": {"type": "object", "description":
                    "present when a question was read differently from its words: "
                    "scaffolding dropped, everyday words also searched as policy words",
                    "required": ["note", "searched", "dropped", "mapped"], "properties": {
                        "note": {"type": "string", "description": "按「…」为您检索"},
                        "searched": {"type": "array", "items": {"type": "string"}},
                        "dropped": {"type": "array", "items": {"type": "string"}},
                        "mapped": {"type": "object", "additionalProperties": {
                            "type": "array", "items": {"type": "string"}}}}}}},
    "Policy": {"type": "object", "description": "The full stored record; body_html sanitized",
               "required": ["id", "title"], "additionalProperties": True, "properties": {
                   "id": {"type": "string"}, "title": {"type": "string"},
                   "url": {"type": ["string", "null"]}, "body_text": {"type": "string"},
                   "body_html": {"type": "string"}, "attachments": {"type": "array"},
                   "tags": {"type": "array"}, "page_url": {"type": "string"},
                   "card": {"type": "object", "description":
                            "惠及对象 beneficiaries, 申报条件 conditions, 支持标准 support, 申报时间 "
                            "deadline, 受理地址 address, 咨询电话 phone: each a list of "
                            "{value, evidence, origin (auto|staff), by, at}"},
                   "deadline": {"type": ["object", "null"], "description":
                                "the application window: kind (window|recurring|long_term|"
                                "unknown), start, end, recur_start, recur_end, text, evidence"},
                   "deadline_status": {"type": "string", "enum": list(DEADLINE_STATUSES)},
                   "days_left": {"type": ["integer", "null"],
                                 "description": "while applications are open"},
                   "repealed_by": {"type": ["string", "null"],
                                   "description": "id of the policy that repealed this one"},
                   "applies_in": {"type": "array", "items": {"type": "string"}, "description":
                                  "names of the regions where the policy applies"},
                   "applies_evidence": {"type": ["string", "null"], "description":
                                        "the title or sentence that restricts where it applies "
                                        "(null when it applies in its whole issuing region)"},
                   "original_url": {"type": ["string", "null"], "description":
                                    "the link to the original on the issuing government's "
                                    "site; null when `url` points elsewhere"},
                   "subject": {"type": ["string", "null"], "description":
                               "主题分类, levels joined by \" › \""},
                   "doc_kind": {"type": "string", "enum": list(DOC_KINDS), "description": "文件类型"},
                   "huiqi": {"type": "boolean", "description": "惠企: gives enterprises something"},
                   "kind_evidence": {"type": "array", "items": {"$ref": "#/components/schemas/Clue"}},
                   "huiqi_evidence": {"type": "array", "items": {"$ref": "#/components/schemas/Clue"}},
                   "kind_by": {"type": "string", "enum": ["auto", "staff", ""],
                               "description": "derived, corrected by staff, or not derived yet"},
                   "huiqi_by": {"type": "string", "enum": ["auto", "staff", ""]},
                   "source_kind": {"type": "string",
                                   "description": "what the source or import file called it"}}},
    "Clue": {"type": "object", "required": ["where", "text", "rule"], "properties": {
        "where": {"type": "string", "description": "标题 / 发文机关 / 正文 / 来源标注 / 人工校正"},
        "text": {"type": "string", "description": "the words that decided"},
        "rule": {"type": "string", "description": "what they show"}}},
}


def _match_parameters() -> list[dict]:
    from policy_search.domain.matching import NEEDS, OWNERSHIPS, QUALIFICATIONS, SIZES

    def one(name, description, schema):
        return {"name": name, "in": "query", "required": False, "description": description,
                "schema": schema}

    def many(name, description, values):
        return {"name": name, "in": "query", "required": False, "style": "form",
                "explode": True, "description": description,
                "schema": {"type": "array", "items": {"type": "string", "enum": list(values)}}}

    number = {"type": "string", "pattern": r"^\d{1,9}(\.\d{1,4})?$"}
    return [
        one("region", "企业所在地: a region name (长沙县) or its GB/T 2260 code (430121)",
            {"type": "string", "maxLength": 60}),
        one("industry", "所属行业: a 行业 value (GB/T 4754 门类 name, e.g. 制造业)",
            {"type": "string", "maxLength": 60}),
        {"name": "size", "in": "query", "required": False, "style": "form", "explode": True,
         "description": f"Two things, told apart by their values, and both may be given "
                        f"(size=小微&size=20): 企业规模 {' / '.join(SIZES)} (as in /match; "
                        f"default: from revenue and employees), or the page size, "
                        f"1–{LIMITS.page_size} "
                        f"(default 10)",
         "schema": {"type": "array", "maxItems": 2, "items": {"type": "string"}}},
        one("revenue", "上年营业收入, 万元", number),
        one("employees", "从业人数", number),
        one("age", "成立年限, years", number),
        one("ownership", "企业性质", {"type": "string", "enum": list(OWNERSHIPS)}),
        many("qual", "资质 (repeat for several)", QUALIFICATIONS),
        many("need", "需要的支持 (repeat for several)", NEEDS),
        _page_parameter("1-based page of the applicable policies"),
    ]


_MATCH_SCHEMAS = {
    "MatchReason": {"type": "object", "required": ["condition", "status", "evidence"], "properties": {
        "condition": {"type": "string", "description":
                      "地区, 行业, 企业规模, 企业类型, 企业性质, 资质, 成立年限, 营业收入, 从业人数, "
                      "需求：<need>, 扶持对象 (is one of the policy's grants for this enterprise: "
                      "whom it names, the activity it is for, hires, age, place), 惠企 (unmet: the "
                      "document gives enterprises nothing), 具体扶持 (unmet: a 惠企 law states no "
                      "support an enterprise can claim — a rate, an amount, where to apply), "
                      "有效性, 申报状态"},
        "status": {"type": "string", "enum": ["met", "unmet", "unknown"]},
        "evidence": {"type": "string", "description":
                     "the policy's sentence the decision rests on; when the condition comes "
                     "from metadata (region, validity) what was compared"}}},
    "MatchHit": {"type": "object", "required": ["id", "title", "url", "issuer", "level", "region",
                                                "publish_date", "kind", "deadline_status",
                                                "days_left", "support", "reasons"],
                 "properties": {
                     "id": {"type": "string"}, "title": {"type": "string"},
                     "url": {"type": ["string", "null"]}, "issuer": {"type": ["string", "null"]},
                     "level": {"type": ["string", "null"], "enum": [*LEVELS, None]},
                     "region": {"type": ["string", "null"]},
                     "publish_date": {"type": ["string", "null"], "format": "date"},
                     "kind": {"type": "string", "enum": list(DOC_KINDS)},
                     "deadline_status": {"type": "string", "enum": list(DEADLINE_STATUSES)},
                     "days_left": {"type": ["integer", "null"]},
                     "support": {"type": "array", "items": {"type": "string"},
                                 "description": "what the policy gives: its 支持标准, else the "
                                                "sentences that grant enterprises support"},
                     "reasons": {"type": "array",
                                 "items": {"$ref": "#/components/schemas/MatchReason"}}}},
    "MatchResult": {"type": "object", "required": ["total", "page", "size", "profile", "hits"],
                    "properties": {
                        "total": {"type": "integer", "description": "policies that apply"},
                        "page": {"type": "integer"}, "size": {"type": "integer"},
                        "profile": {"type": "object", "description":
                                    "the profile as understood: region, region_name, industry, "
                                    "size (小微/中型/大型, stated or derived), revenue, employees, "
                                    "age, ownership, qualifications, needs"},
                        "hits": {"type": "array", "items": {"$ref": "#/components/schemas/MatchHit"}}}},
}


def openapi_document(server_url: str) -> dict:
    params = _search_parameters()
    return {
        "openapi": "3.1.0",
        "info": {"title": "政策超市 API", "version": "1",
                 "description": "Search enterprise-support policies (惠企政策). Read-only, "
                                "GET only, CORS open to any origin. Unknown parameters are "
                                "ignored; bad values give 400 with a JSON message."},
        "servers": [{"url": server_url}],
        "paths": {
            "/api/search": {"get": {
                "summary": "Search policies", "parameters": params,
                "responses": {"200": {"description": "Hits and facet counts", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/SearchResult"}}}},
                    "400": _ERROR, "503": _UNAVAILABLE}}},
            "/api/facets": {"get": {
                "summary": "Facet counts for a search (same parameters as /api/search)",
                "parameters": params,
                "responses": {"200": {"description": "Counts", "content": {"application/json": {
                    "schema": {"type": "object", "properties": {
                        "total": {"type": "integer"},
                        "facets": {"$ref": "#/components/schemas/Facets"},
                        "facet_names": {"type": "object"}}}}}},
                    "400": _ERROR, "503": _UNAVAILABLE}}},
            "/api/policies/{id}": {"get": {
                "summary": "One policy, the full record",
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The policy", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Policy"}}}},
                    "404": {"description": "No such policy", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"}}}}}}},
            "/api/match": {"get": {
                "summary": "政策计算器: the 惠企 policies in force that apply to an enterprise, "
                           "ranked (conditions met, then how specific, then open applications, "
                           "then newest), each with the reasons it applies",
                "parameters": _match_parameters(),
                "responses": {"200": {"description": "Ranked policies", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/MatchResult"}}}},
                    "400": _ERROR}}},
            "/feed": {"get": {
                "summary": "Atom feed of the newest policies matching a search",
                "parameters": [p for p in params if p["name"] not in ("sort", "page")],
                "responses": {"200": {"description": "Atom 1.0",
                                      "content": {"application/atom+xml": {}}},
                              "400": {"description": "Bad parameter (a Chinese error page)"}}}},
            "/feed.ics": {"get": {
                "summary": "iCalendar (RFC 5545) of the application deadlines of a search: one "
                           "all-day VEVENT per policy with a deadline end date (a yearly window "
                           "repeats with RRULE:FREQ=YEARLY); UID stable per policy; deadlines "
                           f"passed more than {CALENDAR_PAST_DAYS} days ago only when the search "
                           "asks for 已截止",
                "parameters": [p for p in params if p["name"] not in ("sort", "page", "size")],
                "responses": {"200": {"description": "iCalendar",
                                      "content": {"text/calendar": {}}},
                              "400": {"description": "Bad parameter (a Chinese error page)"}}}},
        },
        "components": {"schemas": {**_SCHEMAS, **_MATCH_SCHEMAS}},
    }
