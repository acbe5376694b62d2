"""native/src/schema_generated.h and options_generated.{h,c} must match schema/edgenet.fbs.

Two checks: the checked-in header equals what scripts/gen_c_schema.py makes now
(so it is regenerated after every schema change), and every number in it (enum
values, union type ids, table field slots and defaults) equals what flatc
itself generated for Python in edgenet/_schema, an independent parser of the
same schema -- so the C reader and the Python writer agree on the layout.
"""
import importlib.util
import os
import re

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADER = os.path.join(REPO, "native", "src", "schema_generated.h")
FLATC_PY = os.path.join(REPO, "edgenet", "_schema", "edgenet_generated.py")


def _load_generator():
    spec = importlib.util.spec_from_file_location("gen_c_schema", os.path.join(REPO, "scripts", "gen_c_schema.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _header_defines():
    with open(HEADER) as f:
        return dict(re.findall(r"^#define (ENET_\w+) (.+)$", f.read(), flags=re.M))


def _camel(snake):
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))


def test_c_schema_header_is_fresh():
    gen = _load_generator()
    with open(os.path.join(REPO, "schema", "edgenet.fbs")) as f:
        fresh = gen.generate(f.read())
    with open(HEADER) as f:
        assert f.read() == fresh, "native/src/schema_generated.h is stale; run: python scripts/gen_c_schema.py"


def test_c_options_reader_is_fresh():
    """The generated options structs and readers (options_generated.h / .c), one per options table."""
    gen = _load_generator()
    with open(os.path.join(REPO, "schema", "edgenet.fbs")) as f:
        fresh = gen.outputs(f.read())
    for path in (gen.OPTIONS_HEADER, gen.OPTIONS_SOURCE):
        with open(path) as f:
            assert f.read() == fresh[path], f"{path.name} is stale; run: python scripts/gen_c_schema.py"


def test_c_options_reader_covers_every_options_table():
    # Independent of the generator: flatc's Python output names the union members.
    with open(FLATC_PY) as f:
        flatc = f.read()
    members = re.search(r"^class OperatorOptions\(object\):\n((?:    \w+ = -?\d+\n)+)", flatc, flags=re.M).group(1)
    tables = [name for name, _ in re.findall(r"    (\w+) = (-?\d+)", members) if name != "NONE"]
    with open(os.path.join(REPO, "native", "src", "options_generated.c")) as f:
        source = f.read()
    for table in tables:
        assert f"enet_status enet_read_{table}(" in source, f"no generated reader for {table}"
        assert f"case ENET_OperatorOptions_{table}:" in source, f"{table} missing from enet_read_op_options"


def test_c_schema_header_agrees_with_flatc():
    with open(FLATC_PY) as f:
        flatc = f.read()
    defines = _header_defines()

    # Enums and unions: `class OpCode(object):` followed by `    NAME = value` lines.
    enum_values = {}
    for cls, body in re.findall(r"^class (\w+)\(object\):\n((?:    \w+ = -?\d+\n)+)", flatc, flags=re.M):
        for name, value in re.findall(r"    (\w+) = (-?\d+)", body):
            enum_values[f"ENET_{cls}_{name}"] = int(value)
    assert enum_values, "found no enums in the flatc output"
    for key, value in enum_values.items():
        assert int(defines[key]) == value, f"{key}: header says {defines[key]}, flatc says {value}"

    # Table fields: `def TensorAddShape(builder, shape):` then `builder.Prepend...Slot(slot, x, default)`.
    slots = {}
    for table, field, slot, default in re.findall(
            r"^def (\w+?)Add(\w+)\(builder, \w+\):\n    builder\.Prepend\w*Slot\((\d+), [^,]+, ([^)]+)\)",
            flatc, flags=re.M):
        slots[(table, field)] = (int(slot), default.strip())
    assert slots, "found no table fields in the flatc output"
    checked = 0
    for key, value in defines.items():
        match = re.fullmatch(r"ENET_([A-Z]\w*?)_([a-z]\w*)", key)
        if not match or key.endswith("_DEFAULT"):
            continue
        table, field = match.group(1), _camel(match.group(2))
        if (table, field) not in slots:
            continue  # enum member or struct field
        slot, flatc_default = slots[(table, field)]
        assert int(value) == slot, f"{key}: header slot {value}, flatc slot {slot}"
        header_default = defines.get(key + "_DEFAULT")
        if header_default is not None and not header_default.startswith("ENET_"):
            assert float(header_default.rstrip("f")) == float(flatc_default), f"{key}: default differs"
        checked += 1
    # Every table field in flatc's output has a slot define in the header.
    assert checked == len(slots), f"checked {checked} of {len(slots)} fields"

    # Struct Buffer: flatc prepends size then offset (so offset is at byte 0, size at 8) in 16 bytes.
    assert re.search(r"def CreateBuffer\(builder, offset, size\):\n    builder\.Prep\(8, 16\)", flatc)
    assert (defines["ENET_Buffer_offset"], defines["ENET_Buffer_size"], defines["ENET_Buffer_SIZEOF"]) == ("0", "8", "16")
