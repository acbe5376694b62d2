"""The add-an-op checklist (docs/ARCHITECTURE.md, "Adding an op"), checked for every registered op:
whatever step a new op skips, one of these tests names the op and the step.

Oracles: the schema (edgenet/_schema, generated from schema/edgenet.fbs), the C registry's source
(native/src/ops/registry.c: one `[ENET_OpCode_X] = ...` row per op the core runs), the test files
on disk, and the OpDef class itself (which methods it defines, which traits it states).
"""
import pathlib
import re

import pytest

import edgenet
from edgenet import ops
from edgenet._schema import edgenet_generated as S
from edgenet.ops.base import OpDef

ROOT = pathlib.Path(__file__).resolve().parents[1]
OPS = sorted(ops.REGISTRY)
# Ops that exist only in int8 models (made by the quantizer or a QDQ import): their reference
# semantics are integer only (reference_int8), there is no float function to state.
INTEGER_ONLY = ("quantize", "dequantize", "table")


def _family(name):
    """The op's family stem: the module of edgenet/ops it is defined in."""
    return type(ops.get(name)).__module__.rsplit(".", 1)[1]


def _defines(opdef, method):
    return getattr(type(opdef), method) is not getattr(OpDef, method)


def _c_registry_rows():
    """The op codes with a row in the C registry (its contract: input / output counts, options)."""
    source = (ROOT / "native" / "src" / "ops" / "registry.c").read_text()
    return set(re.findall(r"\[ENET_OpCode_([A-Z0-9_]+)\]\s*=", source))


def test_every_family_is_imported_and_every_op_is_found():
    # The families in edgenet/ops/ (every module but the framework ones) all register ops.
    framework = {"__init__", "base", "registry"}
    families = {p.stem for p in (ROOT / "edgenet" / "ops").glob("*.py")} - framework
    assert families == {_family(name) for name in OPS}
    assert len(OPS) > 60


@pytest.mark.parametrize("name", OPS)
def test_op_has_a_reference_and_a_builder(name):
    opdef = ops.get(name)
    assert opdef.name == name
    if name in INTEGER_ONLY:
        assert _defines(opdef, "reference_int8"), f"{name}: integer-only op without reference_int8"
    else:
        assert _defines(opdef, "reference"), f"{name}: no numpy reference (OpDef.reference)"
    assert _defines(opdef, "infer"), f"{name}: no shape rule (OpDef.infer)"
    assert _defines(opdef, "build") and callable(getattr(edgenet.Graph, name, None)), f"{name}: no Graph.{name}"


@pytest.mark.parametrize("name", OPS)
def test_op_states_its_int8_decision(name):
    opdef = ops.get(name)
    assert isinstance(opdef.quantizable, bool), (
        f"{name}: state the int8 decision on the OpDef: quantizable = True (int8 kernel, reference_int8) "
        "or False (stays float32 in int8 models)")
    if opdef.quantizable:
        assert _defines(opdef, "reference_int8"), f"{name}: quantizable but no reference_int8"


@pytest.mark.parametrize("name", OPS)
def test_op_reaches_the_file_and_the_c_core(name):
    opdef = ops.get(name)
    if opdef.opcode is None:  # e.g. batch_norm: replaced by other ops before serializing
        assert _defines(opdef, "lower"), f"{name}: no opcode and no lowering"
        return
    assert hasattr(S.OpCode, opdef.opcode), f"{name}: opcode {opdef.opcode} is not in schema/edgenet.fbs"
    if opdef.options_table is not None:
        assert hasattr(S.OperatorOptions, opdef.options_table), f"{name}: no options table {opdef.options_table}"
    assert opdef.opcode in _c_registry_rows(), (
        f"{name}: no row for ENET_OpCode_{opdef.opcode} in native/src/ops/registry.c (the C contract)")


@pytest.mark.parametrize("name", OPS)
def test_op_has_a_test_in_its_family_file(name):
    path = ROOT / "tests" / "ops" / f"test_{_family(name)}.py"
    assert path.exists(), f"{name}: no family test file {path.relative_to(ROOT)}"
    # Used, not just mentioned: a builder call g.<name>(...) or the name as a string (parametrized ops).
    source = path.read_text()
    used = re.search(rf"\.{name}\(|[\"']{name}[\"']", source)
    assert used, f"{name}: {path.relative_to(ROOT)} builds no {name} (g.{name}(...) or \"{name}\")"


def _c_row_functions():
    """{OPCODE: fn} from the C registry rows: the row's prepare / invoke are enet_<fn>_prepare /
    enet_<fn>_invoke. The row macros all take the options as OPT(...) followed by fn."""
    source = (ROOT / "native" / "src" / "ops" / "registry.c").read_text()
    rows = {}
    for opcode, args in re.findall(r"\[ENET_OpCode_([A-Z0-9_]+)\]\s*=\s*OP\w*\((.*?)\),\n", source):
        parts = [p.strip() for p in re.sub(r"OPT\((\w+)\)", r"OPT_\1", args).split(",")]
        fn = parts[next(i for i, p in enumerate(parts) if p.startswith("OPT_")) + 1]
        rows[opcode] = fn
    return rows


def _c_definitions():
    """{function name: family stem} for every function defined in native/src/ops/*.c; the stem
    is the file's name without the _s8 (int8 side) / _fc (fully connected) suffix."""
    defined = {}
    for path in (ROOT / "native" / "src" / "ops").glob("*.c"):
        stem = re.sub(r"_(s8|fc)$", "", path.stem)
        for name in re.findall(r"^(?:enet_status|void) (enet_\w+)\(", path.read_text(), flags=re.M):
            defined[name] = stem
    return defined


@pytest.mark.parametrize("name", [n for n in OPS if ops.get(n).opcode is not None])
def test_op_c_side_lives_in_its_family_file(name):
    """native/src/ops/<family>.c holds the op's prepare and invoke, <family> as in edgenet/ops.
    An op that shares its opcode with another (border_pad: PAD in REFLECT / EDGE mode) has its
    own enet_<name>_prepare / _invoke, which the shared row's prepare hands it over to."""
    opcode = ops.get(name).opcode
    fn = _c_row_functions().get(opcode)
    assert fn, f"{name}: no row for ENET_OpCode_{opcode} in native/src/ops/registry.c"
    defined = _c_definitions()
    if f"enet_{name}_prepare" in defined:
        fn = name
    for part in ("prepare", "invoke"):
        where = defined.get(f"enet_{fn}_{part}")
        assert where is not None, f"{name}: enet_{fn}_{part} is defined in no native/src/ops/*.c"
        assert where == _family(name), (
            f"{name}: enet_{fn}_{part} is in native/src/ops/{where}*.c, not in the family file "
            f"native/src/ops/{_family(name)}.c (Python: edgenet/ops/{_family(name)}.py)")


def test_every_options_table_has_its_range_check_entry():
    """Each options table of the schema has an entry (a check or NULL, stated) in registry.c's
    options_checks, and each named check is defined in a family file."""
    source = (ROOT / "native" / "src" / "ops" / "registry.c").read_text()
    entries = dict(re.findall(r"\[OPT\((\w+)\)\]\s*=\s*(\w+),", source))
    tables = {k for k, v in vars(S.OperatorOptions).items() if not k.startswith("_")}
    assert tables == set(entries), f"options_checks in registry.c lists {sorted(entries)}, the schema {sorted(tables)}"
    defined = _c_definitions()
    for table, check in entries.items():
        assert check == "NULL" or check in defined, f"{table}: {check} is not defined in native/src/ops/*.c"


def test_the_c_registry_parse_sees_the_rows():
    rows = _c_registry_rows()
    assert {"CONV_2D", "SOFTMAX", "TABLE", "GATHER"} <= rows
    functions = _c_row_functions()
    assert set(functions) == rows - {"COUNT"} and functions["CONV_2D"] == "conv2d" and functions["TABLE"] == "lookup_s8"
