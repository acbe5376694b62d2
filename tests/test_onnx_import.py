"""ONNX / torch import checked against onnxruntime on the same inputs (the independent oracle).

Models are built in torch inside the tests (random weights, BatchNorm statistics set so the
outputs depend on the input), exported with torch's ONNX exporter and imported. Each imported
graph runs on the numpy reference executor; when the C core has kernels for every op in the
file it runs there too (C_PENDING lists the ops whose C kernels are still being written).
"""
import io

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

import edgenet  # noqa: E402
from edgenet.converters.onnx_import import ONNXImportError, import_onnx  # noqa: E402

# Schema opcodes added for the importer whose C kernels have not landed yet (none now: the
# C kernels of batch 1 are in native/src/ops/{math,reduction,linalg,norms,data,image}.c).
C_PENDING = set()


def export(module, *inputs, dynamic_batch=False, opset=17):
    module.eval()
    names = [f"x{i}" for i in range(len(inputs))]
    buffer = io.BytesIO()
    dynamic_axes = {n: {0: "batch"} for n in names} if dynamic_batch else None
    with torch.no_grad():
        torch.onnx.export(module, tuple(inputs), buffer, dynamo=False, input_names=names,
                          opset_version=opset, dynamic_axes=dynamic_axes)
    return onnx.load_from_string(buffer.getvalue())


def run_onnxruntime(model, feeds):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds)))


def assert_close(actual, expected, rel=1e-4):
    """Max abs error within rel x the output's magnitude (elementwise relative error is
    meaningless for values near zero)."""
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    assert actual.shape == expected.shape
    scale = max(np.abs(expected).max(), 1e-6)
    assert np.abs(actual - expected).max() <= rel * scale, np.abs(actual - expected).max() / scale


def check_against_onnxruntime(model, feeds, rel=1e-4, **convert_kwargs):
    """Import, run the reference executor (and the C core when it has every kernel), compare
    with onnxruntime. Returns the converted EnetModel."""
    expected = run_onnxruntime(model, feeds)
    graph = import_onnx(model, **convert_kwargs)
    got = edgenet.reference.run(graph, feeds)
    assert set(got) == set(expected)
    for name in expected:
        assert_close(got[name], expected[name], rel)
    enet = edgenet.convert(model, **({"input_shapes": convert_kwargs["input_shapes"]}
                                     if "input_shapes" in convert_kwargs else {}))
    if not {op.opcode for op in enet.operators} & C_PENDING:
        outputs = edgenet.Interpreter(enet.to_bytes()).run(feeds)  # the same feeds as onnxruntime
        for name in expected:
            assert outputs[name].dtype == expected[name].dtype
            assert_close(outputs[name], expected[name], rel)
    return enet


def randomize_batch_norms(module):
    """Give every BatchNorm statistics that make it a real (non-identity) affine map."""
    g = torch.Generator().manual_seed(1)
    for m in module.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.1)
    return module


# ---- model definitions (standard architectures, small inputs) -----------------------------------


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        layers = [] if expand == 1 else [nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6()]
        layers += [nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden),
                   nn.ReLU6(), nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


def mobilenet_v2(num_classes=10, width=0.5):
    """MobileNetV2 (Sandler et al. 2018), full block layout, width-scaled."""
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                (6, 320, 1, 1)]
    c = int(32 * width)
    layers = [nn.Conv2d(3, c, 3, 2, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU6()]
    for t, channels, n, s in settings:
        out = max(8, int(channels * width))
        for i in range(n):
            layers.append(InvertedResidual(c, out, s if i == 0 else 1, t))
            c = out
    layers += [nn.Conv2d(c, 1280, 1, bias=False), nn.BatchNorm2d(1280), nn.ReLU6(), nn.AdaptiveAvgPool2d(1),
               nn.Flatten(), nn.Dropout(0.2), nn.Linear(1280, num_classes)]
    return randomize_batch_norms(nn.Sequential(*layers))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
        self.conv2, self.bn2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
        self.down = None if stride == 1 and cin == cout else nn.Sequential(
            nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (x if self.down is None else self.down(x)))


def resnet18(num_classes=10):
    """ResNet-18 (He et al. 2016): 7x7 stem, max pool, 4 stages of 2 basic blocks."""
    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    c = 64
    for channels, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        layers += [BasicBlock(c, channels, stride), BasicBlock(channels, channels, 1)]
        c = channels
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, num_classes)]
    return randomize_batch_norms(nn.Sequential(*layers))


class MobileNetV3Block(nn.Module):
    """MobileNetV3-small style: hard-swish stem, depthwise conv, squeeze-excite with hard-sigmoid."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.Hardswish())
        self.expand = nn.Sequential(nn.Conv2d(16, 48, 1, bias=False), nn.BatchNorm2d(48), nn.Hardswish())
        self.dw = nn.Sequential(nn.Conv2d(48, 48, 5, 2, 2, groups=48, bias=False), nn.BatchNorm2d(48), nn.Hardswish())
        self.se_reduce, self.se_expand = nn.Conv2d(48, 12, 1), nn.Conv2d(12, 48, 1)
        self.project = nn.Sequential(nn.Conv2d(48, 24, 1, bias=False), nn.BatchNorm2d(24))
        self.head = nn.Linear(24, 10)

    def forward(self, x):
        y = self.dw(self.expand(self.stem(x)))
        s = F.hardsigmoid(self.se_expand(F.relu(self.se_reduce(F.adaptive_avg_pool2d(y, 1)))))
        y = self.project(y * s)
        return self.head(F.hardswish(y.mean((2, 3))))


class SmallUNet(nn.Module):
    def __init__(self):
        super().__init__()

        def block(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
                                 nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU())

        self.enc1, self.enc2, self.mid = block(3, 8), block(8, 16), block(16, 32)
        self.up2 = nn.ConvTranspose2d(32, 16, 2, stride=2)
        self.dec2 = block(32, 16)
        self.dec1 = block(16 + 8, 8)
        self.out = nn.Conv2d(8, 2, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        m = self.mid(F.max_pool2d(e2, 2))
        d2 = self.dec2(torch.cat([self.up2(m), e2], 1))
        d1 = self.dec1(torch.cat([F.interpolate(d2, scale_factor=2, mode="bilinear", align_corners=False), e1], 1))
        return self.out(d1)


class EncoderLayer(nn.Module):
    """Pre-norm transformer encoder layer written out: LayerNorm, multi-head attention
    (MatMul, Softmax), GELU feed-forward."""

    def __init__(self, dim=32, heads=4, hidden=64):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.ff1, self.ff2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim)

    def forward(self, x):
        n, t, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(n, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        attention = torch.softmax(q @ k.transpose(-2, -1) / (d // self.heads) ** 0.5, dim=-1)
        x = x + self.proj((attention @ v).transpose(1, 2).reshape(n, t, d))
        return x + self.ff2(F.gelu(self.ff1(self.norm2(x))))


def transformer_encoder():
    return nn.Sequential(EncoderLayer(), EncoderLayer())


def image(shape, seed=0):
    return torch.from_numpy(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


# ---- real models vs onnxruntime ------------------------------------------------------------------


def test_mobilenet_v2_float_and_int8():
    torch.manual_seed(0)
    x = image((1, 3, 64, 64))
    model = export(mobilenet_v2(), x)
    enet = check_against_onnxruntime(model, {"x0": x.numpy()})
    assert [op.opcode for op in enet.operators].count("TRANSPOSE") <= 1  # only at the input edge
    check_int8(model, (1, 3, 64, 64))


def test_resnet18_float_and_int8():
    torch.manual_seed(0)
    x = image((1, 3, 64, 64))
    model = export(resnet18(), x)
    check_against_onnxruntime(model, {"x0": x.numpy()})
    check_int8(model, (1, 3, 64, 64))


def check_int8(model, shape):
    """int8 output of the C core has cosine similarity >= 0.99 with the float output."""
    samples = [{"x0": image(shape, seed).numpy()} for seed in range(1, 9)]
    qmodel = edgenet.convert(model, quantize="int8", calibration=samples, verbose=False)
    fmodel = edgenet.convert(model)
    feeds = {"x0": image(shape, seed=100).numpy()}
    float_out = edgenet.Interpreter(fmodel.to_bytes()).run(feeds)
    int8_out = edgenet.Interpreter(qmodel.to_bytes()).run(feeds)
    for name, f in float_out.items():
        q = int8_out[name].astype(np.float64).reshape(-1)
        f = f.astype(np.float64).reshape(-1)
        cosine = q @ f / (np.linalg.norm(q) * np.linalg.norm(f))
        assert cosine >= 0.99, (name, cosine)


def test_mobilenet_v3_block_hard_swish_squeeze_excite():
    torch.manual_seed(0)
    x = image((1, 3, 32, 32))
    model = export(randomize_batch_norms(MobileNetV3Block()), x)
    check_against_onnxruntime(model, {"x0": x.numpy()})
    check_int8(model, (1, 3, 32, 32))


def test_unet_conv_transpose_and_resize():
    torch.manual_seed(0)
    x = image((1, 3, 32, 32))
    model = export(randomize_batch_norms(SmallUNet()), x)
    enet = check_against_onnxruntime(model, {"x0": x.numpy()})
    opcodes = [op.opcode for op in enet.operators]
    assert "CONV_2D_TRANSPOSE" in opcodes and "RESIZE" in opcodes
    assert opcodes.count("TRANSPOSE") == 2  # one at the input, one at the output: none inside
    check_int8(model, (1, 3, 32, 32))


def test_transformer_encoder():
    torch.manual_seed(0)
    x = image((1, 8, 32))
    model = export(transformer_encoder(), x)
    check_against_onnxruntime(model, {"x0": x.numpy()})
    check_int8(model, (1, 8, 32))


def test_dynamic_batch_stays_dynamic_and_input_shapes_pin_it():
    torch.manual_seed(0)
    module = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
    model = export(module, image((2, 3, 8, 8)), dynamic_batch=True)
    graph = import_onnx(model)
    assert graph.inputs[0].shape == (None, 3, 8, 8)
    for batch in (1, 3):
        feeds = {"x0": image((batch, 3, 8, 8), seed=batch).numpy()}
        expected = run_onnxruntime(model, feeds)
        got = edgenet.reference.run(graph, feeds)
        for name in expected:
            assert_close(got[name], expected[name])
    pinned = import_onnx(model, input_shapes={"x0": (5, 3, 8, 8)})
    assert pinned.inputs[0].shape == (5, 3, 8, 8)


def test_symbolic_spatial_dim_stays_open():
    """A symbolic height stays open (issue 16 item 4): one file runs at several heights; pinning it
    with input_shapes still works."""
    module = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
    buffer = io.BytesIO()
    torch.onnx.export(module.eval(), (image((1, 3, 8, 8)),), buffer, dynamo=False, input_names=["x"],
                      dynamic_axes={"x": {0: "batch", 2: "height"}})
    model = onnx.load_from_string(buffer.getvalue())
    assert import_onnx(model).inputs[0].shape == (None, 3, None, 8)
    enet = check_against_onnxruntime(model, {"x": image((1, 3, 12, 8)).numpy()})
    interpreter = edgenet.Interpreter(enet.to_bytes())
    for shape in [(1, 3, 6, 8), (2, 3, 20, 8)]:
        feeds = {"x": image(shape).numpy()}
        expected = run_onnxruntime(model, feeds)
        assert_close(interpreter.run(feeds)[model.graph.output[0].name], expected[model.graph.output[0].name])
    check_against_onnxruntime(model, {"x": image((1, 3, 12, 8)).numpy()}, input_shapes={"x": (1, 3, 12, 8)})


def test_shape_subgraph_over_open_dims():
    """Shape -> Gather -> Unsqueeze -> Concat -> Reshape over a dynamic batch: the open size is
    followed through the shape arithmetic and becomes the reshape's -1; pinned, it all folds."""
    class Reshaper(nn.Module):
        def forward(self, x):
            n, c, h, w = x.shape
            return torch.relu(x).reshape(n, c * h, w).transpose(1, 2)

    x = image((1, 4, 3, 5))
    model = export(Reshaper(), x, dynamic_batch=True)  # a dynamic batch keeps Shape ops in the file
    assert any(n.op_type == "Shape" for n in model.graph.node)
    enet = check_against_onnxruntime(model, {"x0": x.numpy()})
    feeds = {"x0": image((3, 4, 3, 5)).numpy()}
    assert_close(edgenet.Interpreter(enet.to_bytes()).run(feeds)[model.graph.output[0].name],
                 run_onnxruntime(model, feeds)[model.graph.output[0].name])
    pinned = {"x0": (1, 4, 3, 5)}
    graph = import_onnx(model, input_shapes=pinned)
    assert {n.op for n in graph.nodes} <= {"relu", "reshape", "transpose"}
    check_against_onnxruntime(model, {"x0": x.numpy()}, input_shapes=pinned)


def test_torch_front_end_layouts():
    torch.manual_seed(0)
    module = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.Conv2d(6, 2, 1))
    randomize_batch_norms(module).eval()
    x = image((1, 3, 10, 10))
    with torch.no_grad():
        expected = module(x).numpy()
    nchw = edgenet.convert(module, example_inputs=(x,), input_layout="NCHW")
    assert nchw.metadata["edgenet.layout"] == "NCHW"
    out = edgenet.Interpreter(nchw.to_bytes()).run([x.numpy()])
    assert_close(next(iter(out.values())), expected)
    nhwc = edgenet.convert(module, example_inputs=(x,))
    assert nhwc.metadata["edgenet.layout"] == "NHWC" and nhwc.inputs[0].shape == (1, 10, 10, 3)
    assert "TRANSPOSE" not in [op.opcode for op in nhwc.operators]
    out = edgenet.Interpreter(nhwc.to_bytes()).run([x.numpy().transpose(0, 2, 3, 1).copy()])
    assert_close(next(iter(out.values())), expected.transpose(0, 2, 3, 1))


# ---- hand-built ONNX graphs ------------------------------------------------------------------------


def make_model(nodes, inputs, outputs, initializers=(), opset=17):
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        nodes, "test",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in outputs],
        initializer=list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def test_constant_nodes_and_weight_only_quantized_weights():
    from onnx import helper, numpy_helper

    rng = np.random.default_rng(0)
    w_float = rng.standard_normal((4, 6)).astype(np.float32)
    q = rng.integers(-127, 128, size=(6, 5)).astype(np.int8)
    scale = np.float32(0.02)
    nodes = [
        helper.make_node("Constant", [], ["w"], value=numpy_helper.from_array(w_float)),
        helper.make_node("MatMul", ["x", "w"], ["h"]),
        helper.make_node("Relu", ["h"], ["r"]),
        helper.make_node("Cast", ["q"], ["qf"], to=onnx.TensorProto.FLOAT),
        helper.make_node("Mul", ["qf", "scale"], ["w2"]),
        helper.make_node("MatMul", ["r", "w2"], ["y"]),
    ]
    model = make_model(nodes, [("x", (3, 4))], [("y", (3, 5))],
                       [numpy_helper.from_array(q, "q"), numpy_helper.from_array(np.array(scale), "scale")])
    graph = import_onnx(model)
    assert [n.op for n in graph.nodes] == ["fully_connected", "relu", "fully_connected"]
    check_against_onnxruntime(model, {"x": rng.standard_normal((3, 4)).astype(np.float32)})


def test_external_data_initializers(tmp_path):
    from onnx import helper, numpy_helper

    rng = np.random.default_rng(0)
    w = rng.standard_normal((8, 3, 3, 3)).astype(np.float32)
    model = make_model([helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1])],
                       [("x", (1, 3, 6, 6))], [("y", (1, 8, 6, 6))], [numpy_helper.from_array(w, "w")])
    feeds = {"x": rng.standard_normal((1, 3, 6, 6)).astype(np.float32)}
    expected = run_onnxruntime(model, feeds)
    path = tmp_path / "model.onnx"
    onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="weights.bin", size_threshold=0)
    assert (tmp_path / "weights.bin").exists()
    enet = edgenet.convert(str(path))
    assert_close(edgenet.Interpreter(enet.to_bytes()).run(feeds)["y"], expected["y"])
    proto = onnx.load(str(path), load_external_data=False)
    with pytest.raises(ONNXImportError, match="external data"):
        import_onnx(proto)
    assert_close(edgenet.reference.run(import_onnx(proto, base_dir=str(tmp_path)), feeds)["y"], expected["y"])


def test_unsupported_ops_listed_together():
    from onnx import helper

    nodes = [helper.make_node("Relu", ["x"], ["a"], name="relu_ok"),
             helper.make_node("Einsum", ["a", "a"], ["b"], equation="ij,ij->ij", name="my_einsum"),
             helper.make_node("TopK", ["a", "k"], ["c", "ci"], name="my_topk"),
             helper.make_node("Add", ["b", "c"], ["y"])]
    from onnx import numpy_helper

    model = make_model(nodes, [("x", (2, 3))], [("y", (2, 3))], [numpy_helper.from_array(np.array([3], np.int64), "k")])
    with pytest.raises(ONNXImportError) as info:
        edgenet.convert(model)
    message = str(info.value)
    assert "Einsum" in message and "TopK" in message and "my_einsum" in message and "my_topk" in message
    assert "2 node(s)" in message


def test_malformed_onnx_gets_clear_errors(tmp_path):
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\x08\x07this is not a protobuf \xff\xfe" * 10)
    with pytest.raises(ONNXImportError, match="not a valid ONNX model|malformed ONNX"):
        edgenet.convert(str(garbage))
    from onnx import helper

    dangling = make_model([helper.make_node("Relu", ["missing"], ["y"])], [("x", (2,))], [("y", (2,))])
    with pytest.raises(ONNXImportError, match="malformed ONNX"):
        import_onnx(dangling)
    with pytest.raises(FileNotFoundError):
        edgenet.convert(str(tmp_path / "nope.onnx"))
    with pytest.raises(TypeError, match="cannot convert"):
        edgenet.convert(12345)


def test_cli_convert_float_and_int8(tmp_path, capsys):
    from edgenet import cli

    torch.manual_seed(0)
    module = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                           nn.Flatten(), nn.Linear(8, 4))
    x = image((1, 3, 12, 12))
    path = tmp_path / "net.onnx"
    onnx.save(export(randomize_batch_norms(module), x), str(path))
    feeds = {"x0": x.numpy()}
    expected = run_onnxruntime(onnx.load(str(path)), feeds)

    assert cli.main(["convert", str(path), "-o", str(tmp_path / "net.enet")]) == 0
    out = capsys.readouterr().out
    assert "after optimization" in out and "layout NCHW" in out
    got = edgenet.Interpreter(str(tmp_path / "net.enet")).run(feeds)
    assert_close(got[next(iter(expected))], next(iter(expected.values())))

    np.savez(tmp_path / "calib.npz", x0=np.stack([image((1, 3, 12, 12), s).numpy() for s in range(8)]))
    assert cli.main(["convert", str(path), "-o", str(tmp_path / "net8.enet"), "--int8", "--calibration",
                     str(tmp_path / "calib.npz"), "--report"]) == 0
    out = capsys.readouterr().out
    assert "float fallbacks: 0" in out and "SQNR" in out
    q = edgenet.Interpreter(str(tmp_path / "net8.enet")).run(feeds)[next(iter(expected))].reshape(-1)
    f = next(iter(expected.values())).reshape(-1)
    assert q @ f / (np.linalg.norm(q) * np.linalg.norm(f)) >= 0.99

    assert cli.main(["convert", str(tmp_path / "missing.onnx")]) == 1
    assert "not found" in capsys.readouterr().err
