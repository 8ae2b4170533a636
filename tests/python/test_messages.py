"""The message classes: one per CWMP method (drift-checked against the core), keyword
constructors that validate, immutability, `match` support, round trips."""

import pathlib

import pytest

import femtocwmp
from femtocwmp import messages
from femtocwmp.messages import (
    Download,
    Fault,
    Inform,
    SetParameterValues,
    SetParameterValuesResponse,
)

CORPUS = pathlib.Path(__file__).resolve().parents[1] / "bench-corpus"
PCI = "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.PhyCellID"


def test_every_core_method_has_a_class_and_the_stub_lists_every_function():
    for name in femtocwmp.method_names() + ["Fault", "Empty"]:
        cls = getattr(messages, name)
        assert cls.method == name and issubclass(cls, messages.Body), name
        assert cls.__match_args__ == cls.fields
    stub = (pathlib.Path(femtocwmp.__file__).parent / "_femtocwmp.pyi").read_text()
    for name in dir(femtocwmp._femtocwmp):
        if not name.startswith("_"):
            assert f"def {name}(" in stub or f"class {name}" in stub, f"{name} not in the stub"


def test_keyword_constructors_validate_against_the_core():
    spv = SetParameterValues(
        parameter_list=[{"name": PCI, "type": "unsignedInt", "value": "42"}],
        parameter_key="k1",
    )
    assert spv.parameter_list[0].value == "42" and spv.method == "SetParameterValues"
    with pytest.raises(TypeError, match="has no field parameter_keys"):
        SetParameterValues(parameter_keys="k")
    with pytest.raises(ValueError, match="unsignedInt"):
        SetParameterValues(parameter_list=[{"name": PCI, "type": "unsignedInt", "value": "-1"}])
    with pytest.raises(ValueError):
        Download(file_size="big")
    with pytest.raises(AttributeError, match="immutable"):
        spv.parameter_key = "other"
    assert SetParameterValuesResponse() == SetParameterValuesResponse(status=0)


def test_decoded_bodies_are_the_classes_and_match_works():
    env = femtocwmp.decode((CORPUS / "a_inform_boot.xml").read_bytes())
    assert isinstance(env.body, Inform)
    match env.body:
        case Inform(device_id=d, event=events):
            assert d.oui and events[0].event_code == "1 BOOT" or events
        case _:
            pytest.fail("an Inform")
    reply = femtocwmp.Envelope.new("1.0", Fault(fault_code=9005, fault_string="no such name"))
    back = femtocwmp.decode(femtocwmp.encode(reply)).body
    match back:
        case Fault(fault_code=9005, fault_string=text):
            assert text == "no such name"
        case _:
            pytest.fail(f"a Fault, got {back!r}")
    spv = SetParameterValues(
        parameter_list=[{"name": PCI, "type": "unsignedInt", "value": "7"}], parameter_key="x"
    )
    again = femtocwmp.decode(femtocwmp.encode(femtocwmp.Envelope.new("1.2", spv))).body
    assert again == spv and type(again) is SetParameterValues


def test_the_code_enums_hold_every_core_code_and_nothing_else():
    core_faults = dict(femtocwmp._femtocwmp.fault_codes())
    assert {int(c) for c in femtocwmp.FaultCode} == set(core_faults)
    for code, text in core_faults.items():
        assert femtocwmp.FaultCode(code).description == text
    assert {e.value for e in femtocwmp.EventCode} == set(femtocwmp.event_codes())
    assert femtocwmp.FaultCode.INVALID_PARAMETER_NAME == 9005
    assert femtocwmp.EventCode.BOOT == "1 BOOT"


def test_from_dict_checks_a_body_and_gives_its_class():
    body = {"method": "Reboot", "command_key": "rb-1"}
    msg = femtocwmp.Message.from_dict(body)
    assert type(msg) is messages.Reboot and msg.to_dict() == body
    with pytest.raises(ValueError):
        femtocwmp.Message.from_dict({"method": "Reboot", "command_key": 5})
    assert femtocwmp.Message.from_dict({"name": "x"}).name == "x"
