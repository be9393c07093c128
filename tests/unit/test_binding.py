"""The XSD binding (contracts.binding) on its own: reading requests and writing responses for
every construct the release uses, against a small schema of the test's own (the release's own
contracts are in test_binding_release.py).

Every document read here is first validated against its schema, and every document written is
validated after, so that the cases are ones a caller or the contract allows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import xmlschema
from lxml import etree

from contracts import binding as binding_module
from contracts.binding import EXTENSIONS, Binding, Extension, NotInContract, UnsupportedSchema
from contracts.interactions import Interaction

SAMPLE = Interaction("Sample", "test:binding", write=False)
NS = SAMPLE.responder_ns  # urn:riv:test:binding:SampleResponder:1
OTHER = "urn:test:extension:1"

XSD = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns="{NS}" targetNamespace="{NS}"
    elementFormDefault="qualified">
  <xs:element name="Sample" type="SampleType"/>
  <xs:element name="SampleResponse" type="SampleType"/>
  <xs:complexType name="SampleType">
    <xs:sequence>
      <xs:element name="id" type="xs:string"/>
      <xs:element name="mode" type="ModeType"/>
      <xs:element name="count" type="CountType" minOccurs="0"/>
      <xs:element name="urgent" type="xs:boolean" minOccurs="0"/>
      <xs:element name="amount" type="xs:decimal" minOccurs="0"/>
      <xs:element name="tag" type="xs:string" minOccurs="0" maxOccurs="unbounded"/>
      <xs:element name="item" type="ItemType" minOccurs="0" maxOccurs="unbounded"/>
      <xs:choice minOccurs="0">
        <xs:element name="text" type="xs:string"/>
        <xs:element name="number" type="xs:decimal"/>
      </xs:choice>
      <xs:element name="comment" type="xs:string" minOccurs="0"/>
      <xs:any namespace="##other" processContents="lax" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="ItemType">
    <xs:sequence>
      <xs:element name="code" type="xs:string"/>
      <xs:element name="note" type="xs:string" minOccurs="0"/>
      <xs:any namespace="##other" processContents="lax" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence>
  </xs:complexType>
  <xs:simpleType name="ModeType">
    <xs:restriction base="xs:string">
      <xs:enumeration value="SITE"/>
      <xs:enumeration value="HOME_KIT"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="CountType">
    <xs:restriction base="xs:int">
      <xs:minInclusive value="0"/>
    </xs:restriction>
  </xs:simpleType>
</xs:schema>"""

SCHEMA = xmlschema.XMLSchema(XSD)
BINDING = Binding(SAMPLE, SCHEMA)


def read(content: str) -> Any:
    element = etree.fromstring(f'<s:Sample xmlns:s="{NS}" xmlns:x="{OTHER}">{content}</s:Sample>')
    SCHEMA.validate(element)
    return BINDING.read(element)


def write(values: dict[str, Any]) -> etree._Element:
    """The response written strictly, parsed, and valid against the schema."""
    BINDING.check(values)
    element = etree.fromstring(BINDING.write_response(values))
    SCHEMA.validate(element)
    return element


def children(element: etree._Element) -> list[str]:
    return [etree.QName(child).localname for child in element]


def text_of(element: etree._Element, name: str) -> list[str | None]:
    return [child.text for child in element.iterfind(f"{{{NS}}}{name}")]


# ------------------------------------------------------------------ sequences


def test_a_sequence_reads_every_element_by_its_name() -> None:
    request = read("<s:id>A1</s:id><s:mode>SITE</s:mode><s:comment>hej</s:comment>")
    assert vars(request) == {"id": "A1", "mode": "SITE", "count": None, "urgent": None, "amount": None,
                             "tag": [], "item": [], "text": None, "number": None, "comment": "hej"}


def test_a_sequence_is_written_in_the_contracts_order_whatever_the_dicts_order() -> None:
    element = write({"comment": "c", "amount": "1.5", "count": 2, "mode": "SITE", "id": "A1"})
    assert children(element) == ["id", "mode", "count", "amount", "comment"]


def test_the_response_element_is_the_interactions_with_its_namespace_declared() -> None:
    element = write({"id": "A1", "mode": "SITE"})
    assert element.tag == f"{{{NS}}}SampleResponse"


def test_every_element_of_the_response_is_in_the_contracts_namespace() -> None:
    element = write({"id": "A1", "mode": "SITE", "item": [{"code": "X"}]})
    assert {etree.QName(e).namespace for e in element.iter()} == {NS}


# ------------------------------------------------------------------ optional elements


def test_an_absent_optional_element_reads_as_none() -> None:
    assert read("<s:id>A1</s:id><s:mode>SITE</s:mode>").comment is None


def test_an_optional_element_that_is_none_is_not_written() -> None:
    element = write({"id": "A1", "mode": "SITE", "comment": None, "count": None})
    assert children(element) == ["id", "mode"]


def test_an_optional_element_left_out_of_the_dict_is_not_written() -> None:
    assert children(write({"id": "A1", "mode": "SITE"})) == ["id", "mode"]


def test_an_empty_string_is_written_as_an_empty_element() -> None:
    assert text_of(write({"id": "A1", "mode": "SITE", "comment": ""}), "comment") == [None]


def test_an_empty_element_reads_as_an_empty_string() -> None:
    assert read("<s:id>A1</s:id><s:mode>SITE</s:mode><s:comment/>").comment == ""


# ------------------------------------------------------------------ repeated elements


def test_a_repeated_element_reads_as_a_list_in_document_order() -> None:
    request = read("<s:id>A1</s:id><s:mode>SITE</s:mode><s:tag>b</s:tag><s:tag>a</s:tag><s:tag>c</s:tag>")
    assert request.tag == ["b", "a", "c"]


def test_a_repeated_element_that_is_absent_reads_as_an_empty_list() -> None:
    assert read("<s:id>A1</s:id><s:mode>SITE</s:mode>").item == []


def test_a_repeated_element_is_written_once_per_item_in_order() -> None:
    assert text_of(write({"id": "A1", "mode": "SITE", "tag": ["b", "a", "c"]}), "tag") == ["b", "a", "c"]


def test_a_tuple_is_written_as_a_list_is() -> None:
    assert text_of(write({"id": "A1", "mode": "SITE", "tag": ("b", "a")}), "tag") == ["b", "a"]


def test_none_items_of_a_repeated_element_are_not_written() -> None:
    assert text_of(write({"id": "A1", "mode": "SITE", "tag": ["a", None, "b"]}), "tag") == ["a", "b"]


def test_repeated_complex_elements_read_as_objects() -> None:
    request = read("<s:id>A1</s:id><s:mode>SITE</s:mode>"
                   "<s:item><s:code>X</s:code></s:item><s:item><s:code>Y</s:code><s:note>n</s:note></s:item>")
    assert [(i.code, i.note) for i in request.item] == [("X", None), ("Y", "n")]


def test_repeated_complex_elements_are_written_each_with_its_content_in_contract_order() -> None:
    element = write({"id": "A1", "mode": "SITE", "item": [{"note": "n", "code": "X"}, {"code": "Y"}]})
    assert [children(item) for item in element.iterfind(f"{{{NS}}}item")] == [["code", "note"], ["code"]]


# ------------------------------------------------------------------ a choice


def test_the_element_given_of_a_choice_reads_and_the_others_are_none() -> None:
    request = read("<s:id>A1</s:id><s:mode>SITE</s:mode><s:number>0.50</s:number>")
    assert (request.text, request.number) == (None, "0.50")


def test_the_element_given_of_a_choice_is_written() -> None:
    element = write({"id": "A1", "mode": "SITE", "text": None, "number": "0.50", "comment": "c"})
    assert children(element) == ["id", "mode", "number", "comment"]


# ------------------------------------------------------------------ ##other extensions


def test_an_extension_element_is_skipped_on_reading() -> None:
    request = read("<s:id>A1</s:id><s:mode>SITE</s:mode><x:extra>1</x:extra>")
    assert "extra" not in vars(request)


def test_an_extension_element_cannot_pose_as_a_contract_element_of_the_same_name() -> None:
    request = read("<s:id>A1</s:id><s:mode>SITE</s:mode><x:comment>smuggled</x:comment>")
    assert request.comment is None


def test_an_extension_element_does_not_hide_the_contract_element_before_it() -> None:
    request = read("<s:id>A1</s:id><s:mode>SITE</s:mode><s:comment>hej</s:comment><x:comment>smuggled</x:comment>")
    assert request.comment == "hej"


def test_an_extension_inside_a_nested_type_is_skipped() -> None:
    request = read("<s:id>A1</s:id><s:mode>SITE</s:mode><s:item><s:code>X</s:code><x:code>Y</x:code></s:item>")
    assert request.item[0].code == "X"


def test_comments_and_processing_instructions_are_skipped() -> None:
    request = read("<s:id>A1</s:id><!-- a note --><?pi data?><s:mode>SITE</s:mode>")
    assert request.mode == "SITE"


def test_an_element_not_in_the_contract_cannot_be_written_by_its_name() -> None:
    with pytest.raises(NotInContract, match="SampleType has no element 'extra'"):
        BINDING.check({"id": "A1", "mode": "SITE", "extra": "1"})


def test_an_extension_is_written_in_its_own_namespace_after_the_contracts_elements() -> None:
    element = write({"id": "A1", "mode": "SITE", "comment": "c", EXTENSIONS: [Extension(OTHER, "name", "Nära")]})
    assert [etree.QName(e).text for e in element] == [f"{{{NS}}}id", f"{{{NS}}}mode", f"{{{NS}}}comment",
                                                      f"{{{OTHER}}}name"]


def test_an_extension_in_a_nested_type_is_written_with_its_text_escaped() -> None:
    element = write({"id": "A1", "mode": "SITE", "item": [{"code": "X", EXTENSIONS: [Extension(OTHER, "n", "<a&b>")]}]})
    assert element.findtext(f"{{{NS}}}item/{{{OTHER}}}n") == "<a&b>"


# ------------------------------------------------------------------ simple types


@pytest.mark.parametrize("mode", ["SITE", "HOME_KIT"])
def test_an_enumeration_value_reads_as_its_text(mode: str) -> None:
    assert read(f"<s:id>A1</s:id><s:mode>{mode}</s:mode>").mode == mode


@pytest.mark.parametrize("mode", ["SITE", "HOME_KIT"])
def test_an_enumeration_value_is_written_as_its_text(mode: str) -> None:
    assert text_of(write({"id": "A1", "mode": mode}), "mode") == [mode]


@pytest.mark.parametrize("written", ["5.00", "5.0", "5", "-0.50", "+5.00", ".5", "0.00000010", "12345678901234567890.1"])
def test_a_decimal_reads_exactly_as_written(written: str) -> None:
    assert read(f"<s:id>A1</s:id><s:mode>SITE</s:mode><s:amount>{written}</s:amount>").amount == written


@pytest.mark.parametrize("written", ["5.00", "5.0", "-0.50", "12345678901234567890.1"])
def test_a_decimal_given_as_text_is_written_exactly_as_given(written: str) -> None:
    assert text_of(write({"id": "A1", "mode": "SITE", "amount": written}), "amount") == [written]


def test_a_decimal_given_as_a_decimal_keeps_its_digits() -> None:
    assert text_of(write({"id": "A1", "mode": "SITE", "amount": Decimal("5.00")}), "amount") == ["5.00"]


def test_a_decimal_given_as_a_decimal_is_written_without_an_exponent() -> None:
    assert text_of(write({"id": "A1", "mode": "SITE", "amount": Decimal("1E+2")}), "amount") == ["100"]


def test_surrounding_whitespace_of_a_decimal_is_not_kept() -> None:
    assert read("<s:id>A1</s:id><s:mode>SITE</s:mode><s:amount> 5.00 </s:amount>").amount == "5.00"


@pytest.mark.parametrize(("written", "value"), [("7", 7), ("0", 0), (" 12 ", 12), ("+3", 3)])
def test_an_int_type_reads_as_an_int(written: str, value: int) -> None:
    assert read(f"<s:id>A1</s:id><s:mode>SITE</s:mode><s:count>{written}</s:count>").count == value


def test_an_int_is_written_as_its_digits() -> None:
    assert text_of(write({"id": "A1", "mode": "SITE", "count": 42}), "count") == ["42"]


@pytest.mark.parametrize(("written", "value"), [("true", True), ("1", True), ("false", False), ("0", False),
                                                (" true ", True)])
def test_a_boolean_reads_as_a_bool(written: str, value: bool) -> None:
    assert read(f"<s:id>A1</s:id><s:mode>SITE</s:mode><s:urgent>{written}</s:urgent>").urgent is value


@pytest.mark.parametrize(("value", "written"), [(True, "true"), (False, "false")])
def test_a_bool_is_written_as_the_xsd_boolean(value: bool, written: str) -> None:
    assert text_of(write({"id": "A1", "mode": "SITE", "urgent": value}), "urgent") == [written]


def test_a_string_keeps_its_whitespace_on_reading() -> None:
    assert read("<s:id>A1</s:id><s:mode>SITE</s:mode><s:comment>  two  spaces </s:comment>").comment == "  two  spaces "


def test_text_is_escaped_on_writing() -> None:
    xml = BINDING.write_response({"id": "A1", "mode": "SITE", "comment": "a < b & c > d"})
    assert "<tns:comment>a &lt; b &amp; c &gt; d</tns:comment>" in xml


def test_escaped_text_reads_back_as_given() -> None:
    element = write({"id": "A1", "mode": "SITE", "comment": "</tns:comment><tns:id>B2</tns:id> & \"q\" 'a'"})
    assert text_of(element, "comment") == ["</tns:comment><tns:id>B2</tns:id> & \"q\" 'a'"]


def test_markup_in_text_does_not_become_elements() -> None:
    element = write({"id": "A1", "mode": "SITE", "comment": "</tns:comment><tns:id>B2</tns:id>"})
    assert text_of(element, "id") == ["A1"]


def test_escaped_text_is_read_unescaped() -> None:
    assert read("<s:id>A1</s:id><s:mode>SITE</s:mode><s:comment>a &lt; b &amp; c</s:comment>").comment == "a < b & c"


# ------------------------------------------------------------------ keys that are not elements


def test_a_misspelt_optional_element_is_refused_naming_the_type_and_the_key() -> None:
    with pytest.raises(NotInContract, match="SampleType has no element 'comentt'"):
        BINDING.check({"id": "A1", "mode": "SITE", "comentt": "x"})


def test_a_misspelt_key_is_refused_even_when_its_value_is_none() -> None:
    with pytest.raises(NotInContract, match="'comentt'"):
        BINDING.check({"id": "A1", "mode": "SITE", "comentt": None})


def test_a_misspelt_key_in_a_nested_type_is_refused_naming_that_type() -> None:
    with pytest.raises(NotInContract, match="ItemType has no element 'notes'"):
        BINDING.check({"id": "A1", "mode": "SITE", "item": [{"code": "X"}, {"code": "Y", "notes": "n"}]})


def test_a_single_value_for_a_repeated_element_is_refused() -> None:
    with pytest.raises(NotInContract, match="SampleType.tag repeats"):
        BINDING.check({"id": "A1", "mode": "SITE", "tag": "abc"})


def test_a_complex_element_must_be_given_as_a_dict() -> None:
    with pytest.raises(NotInContract, match="ItemType is written from a dict, not str"):
        BINDING.check({"id": "A1", "mode": "SITE", "item": ["X"]})


def test_write_response_refuses_an_unknown_key_when_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(binding_module, "STRICT", True)
    with pytest.raises(NotInContract, match="'comentt'"):
        BINDING.write_response({"id": "A1", "mode": "SITE", "comentt": "x"})


def test_the_tests_write_strictly() -> None:
    assert binding_module.STRICT is True


def test_write_response_leaves_an_unknown_key_out_when_not_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(binding_module, "STRICT", False)
    element = etree.fromstring(BINDING.write_response({"id": "A1", "mode": "SITE", "comentt": "x"}))
    assert children(element) == ["id", "mode"]


# ------------------------------------------------------------------ constructs that are not bound


def _schema_with(content: str, attributes: str = "", mixed: bool = False) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns="{NS}"
        targetNamespace="{NS}" elementFormDefault="qualified">
      <xs:element name="Sample" type="T"/>
      <xs:element name="SampleResponse" type="T"/>
      <xs:complexType name="T" mixed="{str(mixed).lower()}">{content}{attributes}</xs:complexType>
    </xs:schema>""")


@pytest.mark.parametrize(
    ("schema", "refusal"),
    [
        (_schema_with('<xs:sequence><xs:element name="a" type="xs:string"/></xs:sequence>',
                      attributes='<xs:attribute name="b" type="xs:string"/>'), "attributes"),
        (_schema_with('<xs:sequence><xs:element name="a" type="xs:string"/></xs:sequence>', mixed=True), "mixed"),
        (_schema_with('<xs:simpleContent><xs:extension base="xs:string"/></xs:simpleContent>'), "simple"),
        (_schema_with('<xs:sequence><xs:element name="a" type="xs:string" nillable="true"/></xs:sequence>'),
         "nillable a"),
        (_schema_with('<xs:sequence><xs:sequence maxOccurs="2"><xs:element name="a" type="xs:string"/>'
                      "</xs:sequence></xs:sequence>"), "repeating sequence"),
        (_schema_with('<xs:sequence><xs:choice maxOccurs="unbounded"><xs:element name="a" type="xs:string"/>'
                      '<xs:element name="b" type="xs:string"/></xs:choice></xs:sequence>'), "repeating choice"),
    ],
    ids=["attribute", "mixed", "simple-content", "nillable", "repeating-sequence", "repeating-choice"],
)
def test_a_construct_the_binding_does_not_handle_is_refused_when_bound(schema: xmlschema.XMLSchema,
                                                                      refusal: str) -> None:
    with pytest.raises(UnsupportedSchema, match=refusal):
        Binding(SAMPLE, schema)


def test_an_element_with_a_bounded_maximum_above_one_repeats() -> None:
    schema = _schema_with('<xs:sequence><xs:element name="a" type="xs:string" maxOccurs="2"/></xs:sequence>')
    element = etree.fromstring(f'<s:Sample xmlns:s="{NS}"><s:a>1</s:a><s:a>2</s:a></s:Sample>')
    assert Binding(SAMPLE, schema).read(element).a == ["1", "2"]


def test_a_nested_sequence_that_occurs_once_is_bound_in_order() -> None:
    schema = _schema_with('<xs:sequence><xs:element name="a" type="xs:string"/><xs:sequence>'
                          '<xs:element name="b" type="xs:string"/></xs:sequence>'
                          '<xs:element name="c" type="xs:string"/></xs:sequence>')
    xml = Binding(SAMPLE, schema).write_response({"c": "3", "b": "2", "a": "1"})
    assert children(etree.fromstring(xml)) == ["a", "b", "c"]


def test_two_anonymous_types_are_bound_each_as_its_own() -> None:
    schema = _schema_with(
        '<xs:sequence>'
        '<xs:element name="p"><xs:complexType><xs:sequence><xs:element name="x" type="xs:string"/>'
        "</xs:sequence></xs:complexType></xs:element>"
        '<xs:element name="q"><xs:complexType><xs:sequence><xs:element name="y" type="xs:int"/>'
        "</xs:sequence></xs:complexType></xs:element>"
        "</xs:sequence>")
    element = etree.fromstring(f'<s:Sample xmlns:s="{NS}"><s:p><s:x>1</s:x></s:p><s:q><s:y>2</s:y></s:q></s:Sample>')
    assert Binding(SAMPLE, schema).read(element).q.y == 2
