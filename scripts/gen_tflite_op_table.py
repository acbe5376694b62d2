#!/usr/bin/env python3
"""Write the README's table of TFLite ops the importer translates, from its registry
(converters/tflite_import/registry.HANDLERS), between the markers
<!-- tflite-ops:start --> and <!-- tflite-ops:end -->.

    python scripts/gen_tflite_op_table.py            # rewrite the table
    python scripts/gen_tflite_op_table.py --check    # exit 1 if it is stale (tests/test_tflite_import.py)

The int8 column is what tests/test_tflite_int8_ops.py measures against LiteRT's default interpreter.
"""
import argparse
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START, END = "<!-- tflite-ops:start -->", "<!-- tflite-ops:end -->"

# int8 status per op, as tests/test_tflite_int8_ops.py measures it; the others are "not measured" (they run
# with edgenet's int8 kernel when it has one, else in float between dequantize / quantize).
INT8 = {
    "exact": ["ADD", "SUB", "MUL", "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "CONCATENATION", "MAX_POOL_2D",
              "AVERAGE_POOL_2D", "MEAN", "LOGISTIC", "TANH", "RESHAPE", "SQUEEZE", "EXPAND_DIMS", "QUANTIZE",
              "DEQUANTIZE"],
    "float on the int8 values, rounded once (1 LSB on <= 1e-4 of outputs)": ["TRANSPOSE_CONV"],
    "<= 1 LSB": ["SOFTMAX", "HARD_SWISH", "LEAKY_RELU", "RESIZE_BILINEAR"],
}
# The resource-variable ops move int8 bytes unchanged: tests/test_tflite_state.py measures an int8 RNN cell
# with its hidden state in a variable (bit-exact over a stream of runs).
INT8["exact"] += ["VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "CALL_ONCE"]
# Ops with a handler that always refuses them ({"OP, OTHER_OP": why}): none at present.
REFUSED = {}


def table():
    sys.path.insert(0, str(ROOT))
    from converters.tflite_import.registry import HANDLERS
    import converters.tflite_import.handlers  # noqa: F401  (fills HANDLERS)

    status = {op: label for label, ops in INT8.items() for op in ops}
    refused = {op for ops in REFUSED for op in ops.split(", ")}
    families = {}
    for name, handler in HANDLERS.items():
        if name not in refused:
            families.setdefault(handler.__module__.rsplit(".", 1)[-1], []).append(name)
    lines = ["| family | TFLite ops | int8 vs LiteRT |", "|---|---|---|"]
    for family in sorted(families):
        by_status = {}
        for op in sorted(families[family]):
            by_status.setdefault(status.get(op, "not measured"), []).append(op)
        for label, ops in by_status.items():
            lines.append(f"| {family} | {', '.join(f'`{op}`' for op in ops)} | {label} |")
    for ops, note in REFUSED.items():
        lines.append(f"| state | {', '.join(f'`{op}`' for op in ops.split(', '))} | {note} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = README.read_text()
    start, end = text.index(START) + len(START), text.index(END)
    new = text[:start] + "\n" + table() + "\n" + text[end:]
    if args.check:
        if new != text:
            print("README.md's TFLite op table is stale: run python scripts/gen_tflite_op_table.py")
            return 1
        return 0
    README.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
