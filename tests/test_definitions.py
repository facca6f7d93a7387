"""Loading diagrams: the shipped ones, and hostile or broken ones that must be refused with a clear error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from sedflow import DefinitionError, FormField, TaskDataError, load_directory, load_files
from sedflow.definitions import load_sources
from sedflow.profile import DomainRules, Profile, PropertyRule
from sedflow.programmes.se import PROFILE as SE_PROFILE

from conftest import REFERRAL
from sedflow_cli.main import main

DIAGRAMS = Path(__file__).parent / "diagrams"

LOOP = (DIAGRAMS / "loop.bpmn").read_bytes()


def variant(old: str, new: str, source: bytes = LOOP) -> dict[str, bytes]:
    text = source.decode()
    assert old in text, old
    return {"hostile.bpmn": text.replace(old, new, 1).encode()}


def refused(sources: dict[str, bytes], profile: Profile | None = None) -> DefinitionError:
    with pytest.raises(DefinitionError) as info:
        load_sources(sources, profile=profile)
    return info.value


def test_shipped_diagrams_load_with_full_layout(definitions):
    assert {d.process_id for d in definitions} >= {"supported_employment", "supported_training"}
    assert definitions.warnings == []  # every flow node and flow has BPMN DI
    se = definitions.get("supported_employment")
    assert ("supported_training", "st_agreement") in se.elements  # the called process is part of the version
    assert re.fullmatch(r"[0-9a-f]{16}", se.version)


def test_versions_are_content_hashes(tmp_path):
    (tmp_path / "a.bpmn").write_bytes(LOOP)
    first = load_directory(tmp_path).get("loop").version
    (tmp_path / "a.bpmn").write_bytes(LOOP.replace(b'name="Uppf\xc3\xb6ljning"', b'name="Uppf\xc3\xb6ljning 2"'))
    second = load_directory(tmp_path).get("loop").version
    (tmp_path / "a.bpmn").rename(tmp_path / "renamed.bpmn")
    assert load_directory(tmp_path).get("loop").version == second != first


def test_called_process_change_changes_the_callers_version(definitions):
    se = definitions.get("supported_employment")
    st_file = next(name for name in se.sources if name.endswith("supported_training.bpmn"))
    changed = dict(se.sources)
    changed[st_file] = changed[st_file].replace(b"Kompetensprofil", b"Kompetensprofil (ny)")
    assert load_sources(changed).get("supported_employment").version != se.version


def test_forms_come_from_camunda_form_data(definitions):
    loop = load_sources({"loop.bpmn": LOOP}).get("loop")
    form = loop.element("loop", "follow_up").form
    assert [(f.id, f.type, f.required) for f in form.fields] == [("again", "boolean", True), ("n", "long", False)]
    assert loop.start_form.field("gender").options == (("F", "Kvinna"), ("M", "Man"))


@pytest.mark.parametrize("attack", [
    # XXE: an external entity reading a local file
    '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>\n',
    # billion laughs
    '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>\n',
    # a bare DOCTYPE
    '<?xml version="1.0"?>\n<!DOCTYPE bpmn:definitions>\n',
])
def test_doctype_and_entities_are_refused(attack):
    body = LOOP.decode().split("\n", 1)[1].replace('name="Uppföljning"', 'name="&xxe;"' if "xxe" in attack else
                                                    'name="&c;"' if "&b;" in attack else 'name="x"')
    err = refused({"evil.bpmn": (attack + body).encode()})
    assert "declarations are not allowed" in str(err) and err.file == "evil.bpmn" and err.line == 2


@pytest.mark.parametrize("condition", ["__import__('os').system('id')", "().__class__.__base__.__subclasses__()",
                                       "${open('/etc/passwd').read()}", "[x for x in range(999)]"])
def test_code_in_conditions_is_refused_naming_the_flow(condition):
    err = refused(variant("${again}", condition))
    assert err.element == "f4" and err.file == "hostile.bpmn" and err.line == 38
    assert "not allowed" in str(err) or "not an allowed function" in str(err)


def test_hostile_timer_expression_is_refused():
    timer = ('<bpmn:intermediateCatchEvent id="wait"><bpmn:incoming>f5</bpmn:incoming><bpmn:outgoing>f6</bpmn:outgoing>'
             '<bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">'
             '__import__("os").getcwd()</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>')
    sources = variant('<bpmn:endEvent id="done"', timer + '<bpmn:endEvent id="done"')
    text = sources["hostile.bpmn"].decode().replace('targetRef="done" />', 'targetRef="wait" />\n'
                                                    '<bpmn:sequenceFlow id="f6" sourceRef="wait" targetRef="done" />')
    text = text.replace("<bpmn:incoming>f5</bpmn:incoming>\n    </bpmn:endEvent>", "<bpmn:incoming>f6</bpmn:incoming>\n"
                        "    </bpmn:endEvent>")
    err = refused({"hostile.bpmn": text.encode()})
    assert any(p.element == "wait" and "not allowed" in str(p) for p in err.problems)


def test_script_tasks_are_refused():
    text = LOOP.decode().replace('<bpmn:userTask id="follow_up"',
                                 '<bpmn:scriptTask scriptFormat="python" id="follow_up"')
    text = text.replace("</bpmn:userTask>", "<bpmn:script>import os</bpmn:script></bpmn:scriptTask>")
    err = refused({"hostile.bpmn": text.encode()})
    assert err.file == "hostile.bpmn" and err.element == "follow_up" and err.line == 16
    assert "script tasks are refused" in str(err)


def test_unknown_element_is_refused_by_the_xsd():
    err = refused(variant('<bpmn:exclusiveGateway id="merge">',
                          '<bpmn:frobnicate id="x" /><bpmn:exclusiveGateway id="merge">'))
    assert err.file == "hostile.bpmn" and err.line == 15 and "XSD" in str(err) and "frobnicate" in str(err)


def test_dangling_flow_is_refused():
    err = refused(variant('targetRef="done"', 'targetRef="nowhere"'))
    assert err.element == "f5" or any(p.element == "f5" for p in err.problems)
    assert any("nowhere" in str(p) for p in err.problems) and err.file == "hostile.bpmn"


def test_bad_outcome_code_is_refused_by_the_programmes_rules():
    sources = variant('value="EMPLOYMENT"', 'value="HAPPY"')
    err = refused(sources, SE_PROFILE)
    assert err.element == "done" and "outcome 'HAPPY'" in str(err) and err.line == 31 and err.file == "hostile.bpmn"
    assert load_sources(sources).get("loop")  # the generic engine has no outcome vocabulary


def test_a_profiles_property_rule_is_reported_with_file_element_and_line():
    # follow_up (line 16) records stage="support"; a programme that knows only "intake" refuses it
    rules = DomainRules(properties=(PropertyRule("stage", frozenset({"intake"}), kinds=frozenset({"userTask"})),))
    assert load_sources({"loop.bpmn": LOOP}).get("loop").element("loop", "follow_up").stage == "support"
    err = refused({"loop.bpmn": LOOP}, Profile(rules=rules))
    assert (err.file, err.element, err.line) == ("loop.bpmn", "follow_up", 16)
    assert "stage 'support' is not one of intake" in str(err) and len(err.problems) == 1


def test_malformed_xml_names_the_line():
    err = refused({"broken.bpmn": LOOP.replace(b"</bpmn:process>", b"</bpmn:proces>")})
    assert err.file == "broken.bpmn" and err.line == 40 and "not well-formed" in str(err)


def test_missing_called_process_is_refused(definitions):
    se = definitions.get("supported_employment")
    only_se = {k: v for k, v in se.sources.items() if k.endswith("supported_employment.bpmn")}
    err = refused(only_se)
    assert "supported_training" in str(err) and err.element == "supported_employment"


def test_a_sub_process_id_used_in_two_diagrams_is_refused_naming_both(definitions):
    se = definitions.get("supported_employment")
    sources = dict(se.sources)
    ima = next(Path(f) for f in definitions.get("ima").sources)
    sources["ima.bpmn"] = ima.read_bytes().replace(b'"ima_withdrawal"', b'"withdrawal"')
    err = refused(sources)
    assert err.file == "ima.bpmn" and err.element == "withdrawal" and err.line
    assert re.search(r"is also used at .*supported_employment\.bpmn:\d+", str(err))


def test_spiffworkflow_semantic_errors_get_a_line():
    # a gateway condition on a flow out of a task: SpiffWorkflow parses, but a default flow that is not outgoing fails
    err = refused(variant('default="f5"', 'default="f1"'))
    assert err.file == "hostile.bpmn" and err.element is not None and err.line is not None


def test_every_problem_is_reported():
    sources = variant("${again}", "__import__('x')")
    sources = {"hostile.bpmn": sources["hostile.bpmn"].replace(b'value="EMPLOYMENT"', b'value="HAPPY"')}
    assert len(refused(sources, SE_PROFILE).problems) == 2
    assert len(refused(sources).problems) == 1


def test_cli_validate_reports_problems_with_file_element_line(tmp_path):
    bad = tmp_path / "bad.bpmn"
    bad.write_bytes(variant("${again}", "().__class__")["hostile.bpmn"])
    result = CliRunner().invoke(main, ["processes", "validate", str(bad)])
    assert result.exit_code == 3
    assert f"{bad}:38, element 'f4'" in result.output
    ok = CliRunner().invoke(main, ["processes", "validate"])
    assert ok.exit_code == 0 and "ok  supported_employment" in ok.output and "warning" not in ok.output


def test_load_directory_errors(tmp_path):
    with pytest.raises(DefinitionError, match="no .bpmn files"):
        load_directory(tmp_path)
    with pytest.raises(DefinitionError, match="does not exist"):
        load_directory(tmp_path / "nope")
    with pytest.raises(DefinitionError, match="cannot read"):
        load_files([tmp_path / "nope.bpmn"])


def test_expression_names_no_form_defines_are_flagged():
    defs = load_sources(variant("${again}", "${agian}"))
    assert any("hostile.bpmn:38: element 'f4' uses 'agian', which no form of process 'loop' defines" in w
               for w in defs.warnings)
    assert not any("uses" in w for w in load_sources({"loop.bpmn": LOOP}).warnings)


def test_a_called_processs_rule_problem_is_reported_once(definitions):
    se = definitions.get("supported_employment")
    rules = DomainRules(properties=(PropertyRule("stage", frozenset({"none"}), kinds=frozenset({"userTask"})),))
    err = refused(dict(definitions.get("supported_employment").sources), Profile(rules=rules))
    places = [(p.file, p.element) for p in err.problems]
    assert len(places) == len(set(places)) and any(e == "st_agreement" for _, e in places)
    assert ("supported_training", "st_agreement") in se.elements


@pytest.mark.parametrize("value, expected", [("true", True), ("Yes", True), ("y", True), ("1", True),
                                             ("false", False), ("NO", False), ("n", False), ("0", False)])
def test_boolean_fields_take_generic_words(value, expected):
    field = load_sources({"loop.bpmn": LOOP}).get("loop").element("loop", "follow_up").form.field("again")
    assert field.coerce(value, "follow_up") is expected


def test_a_programme_adds_its_words_for_yes_and_no():
    form = load_sources({"loop.bpmn": LOOP}).get("loop").element("loop", "follow_up").form
    with pytest.raises(TaskDataError, match="expected true or false"):
        form.validate({"again": "ja"}, element="follow_up")
    assert form.validate({"again": "ja"}, element="follow_up", rules=SE_PROFILE.rules) == {"again": True}
    assert form.validate({"again": "Nej"}, element="follow_up", rules=SE_PROFILE.rules) == {"again": False}


def test_a_programmes_direct_identifiers_are_refused_in_text_fields():
    text = FormField(id="note", label="Anteckning", type="string")
    assert text.coerce("ref 19980101-1234", "start") == "ref 19980101-1234"  # the generic engine knows no identifiers
    with pytest.raises(TaskDataError, match=r"looks like a direct identifier \(e.g. a personal identity number\); "
                                            "sedflow keeps pseudonymous data only"):
        text.coerce("ref 19980101-1234", "start", SE_PROFILE.rules)


def test_element_info_names_its_element_by_process_and_id():
    info = load_sources({"loop.bpmn": LOOP}).get("loop").element("loop", "follow_up")
    assert info.ref == ("loop", "follow_up") and str(info.ref) == "loop:follow_up"


def test_an_event_sub_process_never_rewires_the_shared_spec(engine, definitions):
    spec = definitions.get("supported_employment").spec

    def links():
        return {name: ([t.name for t in ts.inputs], [t.name for t in ts.outputs])
                for name, ts in spec.task_specs.items()}

    assert spec.start.trigger_specs  # the withdrawal event sub-process: linked from Start on its side only
    for name in spec.start.trigger_specs:
        assert spec.start in spec.task_specs[name].inputs and spec.task_specs[name] not in spec.start.outputs
    before = links()
    case = engine.start_case("supported_employment", "p-rewire", REFERRAL)
    engine.withdraw_case(case.case_id, "MOVED")
    assert links() == before
