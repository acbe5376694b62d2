"""Fused LSTM / GRU speed: edgenet (SIMD float path, reference kernel, int8 weights) vs onnxruntime
on a torch nn.LSTM / nn.GRU exported to ONNX with an open sequence length (one file, every length).

    python benchmarks/recurrent.py [--hidden 256] [--input 80] [--batch 1] [--steps 16 128 512]

1 thread everywhere (edgenet num_threads=1, onnxruntime intra_op_num_threads=1). Prints the median
milliseconds per run at each sequence length. The reference row runs with EDGENET_KERNELS=reference
(set when its interpreter is created).
"""
import argparse
import io
import os
import statistics
import time

import numpy as np


def median_ms(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def export(kind, inputs, hidden, batch):
    import onnx
    import torch

    torch.manual_seed(0)
    module = (torch.nn.LSTM if kind == "LSTM" else torch.nn.GRU)(inputs, hidden).eval()
    x = torch.randn(8, batch, inputs)
    h = [torch.zeros(1, batch, hidden) for _ in range(2 if kind == "LSTM" else 1)]

    class Outputs(torch.nn.Module):  # y only, the initial states as inputs
        def __init__(self):
            super().__init__()
            self.rnn = module

        def forward(self, x, *state):
            return self.rnn(x, tuple(state) if kind == "LSTM" else state[0])[0]

    wrapped = Outputs().eval()
    buffer = io.BytesIO()
    names = ["x"] + [f"s{i}" for i in range(len(h))]
    torch.onnx.export(wrapped, (x, *h), buffer, dynamo=False, input_names=names, opset_version=17,
                      dynamic_axes={"x": {0: "time"}})
    return onnx.load_from_string(buffer.getvalue()), names, [t.numpy() for t in h]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--input", type=int, default=80)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--steps", type=int, nargs="+", default=[16, 128, 512])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()

    import onnxruntime as ort

    import edgenet

    for kind in ("LSTM", "GRU"):
        model, names, states = export(kind, args.input, args.hidden, args.batch)
        rng = np.random.default_rng(0)
        calibration = [{"x": rng.standard_normal((32, args.batch, args.input)).astype(np.float32),
                        **dict(zip(names[1:], states))} for _ in range(2)]
        runners = {}
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
        runners["onnxruntime"] = lambda feeds: session.run(None, feeds)
        float_bytes = edgenet.convert(model, verbose=False).to_bytes()
        int8_bytes = edgenet.convert(model, quantize="int8", calibration=calibration, verbose=False).to_bytes()
        for label, data, kernels in (("edgenet float", float_bytes, "auto"), ("edgenet float reference", float_bytes,
                                                                                "reference"),
                                     ("edgenet int8 weights", int8_bytes, "auto")):
            os.environ["EDGENET_KERNELS"] = kernels
            runners[label] = edgenet.Interpreter(data, num_threads=1).run
        os.environ.pop("EDGENET_KERNELS")
        print(f"{kind} input {args.input} hidden {args.hidden} batch {args.batch}: median ms per run")
        print(f"  {'runtime':26s}" + "".join(f"T={t:<9d}" for t in args.steps))
        for label, run in runners.items():
            row = []
            for steps in args.steps:
                feeds = {"x": rng.standard_normal((steps, args.batch, args.input)).astype(np.float32),
                         **dict(zip(names[1:], states))}
                row.append(median_ms(lambda: run(feeds), args.repeats))
            print(f"  {label:26s}" + "".join(f"{v:<11.3f}" for v in row))


if __name__ == "__main__":
    main()
