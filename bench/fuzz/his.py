"""Targets for what a hospital information system posts to the HIS gateway: the JSON body of
`KQNhanLichSuKCB2024`/`2019` and the form-encoded 2019 body (`verifier.domain.his_request`).

A body is accepted or refused with VSS 205 naming a parameter; anything else is a crash. What is
accepted must hold the shapes the check-in pipeline relies on, and become a `Presented`."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from hypothesis import strategies as st

from bench.fuzz.harness import ACCEPTED, Target, Unexpected, known, to_text, to_utf8
from bench.fuzz.mutations import mutated_text
from verifier.domain.credentials import Credential
from verifier.domain.his_request import (
    HisCardQuery,
    HisParameterProblem,
    Shape,
    parse_form_body,
    parse_json_body,
)

BODY_2024 = {
    "maThe": "GD4404016354956",
    "hoTen": "Nguyễn Văn An",
    "ngaySinh": "01/05/1990",
    "hoTenCb": "Trần Thị Lan",
    "cccdCb": "040185000111",
}
BODY_2019 = {"maThe": "040090001234", "hoTen": "Trần Thị Bình", "ngaySinh": "1948"}
EDGES: tuple[object, ...] = ("", " ", None, 0, 1.5, True, [], {}, "29/02/2023", "29/02/2024", "00/00/0000")
EDGES += ("1899", "9999", "4016354956", "gd4404016354956", "GD440401635495\uff15", "\u0660" * 12, "A\u200b")
EDGES += ("\x00", "\ufeff", "x" * 300, "Nguye\u0302\u0303n", "01/05/1990 ", "1/5/1990", "01-05-1990")
JSON_SAMPLES = tuple(
    json.dumps(body, ensure_ascii=escaped) for body in (BODY_2024, BODY_2019) for escaped in (True, False)
)
FORM_SAMPLES = (urlencode(BODY_2019), urlencode(BODY_2024), "maThe=4016354956&hoTen=An&ngaySinh=1990")


@st.composite
def json_bodies(draw: st.DrawFn) -> str:
    """A real body with values replaced by edge cases or other JSON types, keys dropped or added."""
    body: dict[str, object] = dict(draw(st.sampled_from((BODY_2024, BODY_2019))))
    for key in draw(st.lists(st.sampled_from((*BODY_2024, "maCSKCB", "")), max_size=4)):
        op = draw(st.sampled_from(("edge", "text", "drop")))
        if op == "edge":
            body[key] = draw(st.sampled_from(EDGES))
        elif op == "text":
            body[key] = draw(st.text(max_size=20))
        else:
            body.pop(key, None)
    return json.dumps(body, ensure_ascii=draw(st.booleans()))


def _check(query: HisCardQuery, shape: Shape) -> str:
    if not (len(query.card) in (10, 12, 15) and query.card.isascii() and query.card.isalnum()):
        raise Unexpected(f"accepted a maThe the pipeline cannot look up: {query.card!r}")
    if not query.full_name or query.birth.year < 1900:
        raise Unexpected("accepted without a name or with a birth year before 1900")
    staff_id = query.staff_personal_id
    if shape is Shape.V2024 and not (len(staff_id) == 12 and staff_id.isascii() and staff_id.isdigit()):
        raise Unexpected("accepted a 2024 body without a 12-digit cccdCb")
    if query.presented().credential is not Credential.HIS_LOOKUP:
        raise Unexpected("a HIS lookup presented as another credential")
    return ACCEPTED


def run_his_json(text: str) -> str:
    """Both shapes from one body: the 2019 path must accept whatever the 2024 path accepts."""
    body = to_utf8(text)
    try:
        newer = parse_json_body(body, Shape.V2024)
    except HisParameterProblem as e:
        newer = None
        code = known(e.code, frozenset({HisParameterProblem.code}))
    try:
        older = parse_json_body(body, Shape.V2019)
    except HisParameterProblem as e:
        if newer is not None:
            raise Unexpected("the 2019 path refused what the 2024 path accepted") from e
        return known(e.code, frozenset({HisParameterProblem.code}))
    _check(older, Shape.V2019)
    return _check(newer, Shape.V2024) if newer is not None else code


def run_his_form(text: str) -> str:
    try:
        query = parse_form_body(to_utf8(text), Shape.V2019)
    except HisParameterProblem as e:
        return known(e.code, frozenset({HisParameterProblem.code}))
    return _check(query, Shape.V2019)


HIS_TARGETS: tuple[Target, ...] = (
    Target(
        "his-json",
        "domain.his_request.parse_json_body (2024 and 2019)",
        lambda: st.one_of(st.text(max_size=300), json_bodies(), mutated_text(JSON_SAMPLES)),
        run_his_json,
        to_text,
    ),
    Target(
        "his-form",
        "domain.his_request.parse_form_body",
        lambda: st.one_of(st.text(max_size=300), mutated_text(FORM_SAMPLES)),
        run_his_form,
        to_text,
    ),
)
