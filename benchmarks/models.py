"""The benchmark's models and images, built with PyTorch and exported to ONNX.

Every runtime gets the same network from the same ONNX file (LiteRT from the same
torch module), so differences in the table are the runtimes', not the models'.

The architectures follow torchvision's definitions layer for layer (MobileNetV2 1.0,
ResNet-18, MobileNetV3-small). They are written out here because the torchvision wheel
on PyPI is a CUDA build whose C extension does not load next to the CPU-only torch, and
because no pretrained weights can be downloaded here anyway.

How random weights are made to behave like a trained network's, so that "int8 agrees with
float" means something (benchmarks/run.py flags int8 rows that disagree):
- BatchNorm statistics come from real images: `build_model` runs the network in train mode over
  crops of scikit-learn's sample photos, so every BatchNorm holds the mean/variance of real
  activations (with random statistics the output barely depends on the input).
- Residual branches are scaled down (RESIDUAL_BRANCH_SCALE, the gain of each branch's last
  BatchNorm), as in trained residual networks, where the identity path dominates. With unit
  branches a random MobileNetV2 is chaotic: every rounding error grows block after block, and
  int8 pooled features were as much noise as signal (centered cosine 0.7 with float).
- The classifier is a prototype head: the pooled features of PROTOTYPE_IMAGES training crops
  (seeds of their own, apart from calibration and evaluation) are clustered with k-means into
  PROTOTYPE_CLASSES classes, and each logit is the similarity to one cluster (`set_prototype_head`),
  so the top-1 class is the nearest cluster and the top-1 margins are real differences between
  image clusters, not the near-ties of a random 1000-way classifier (whose int8 top-1 agreement
  was noise). The Linear keeps its 1000 outputs (its size and
  cost are those of the real network): row k >= PROTOTYPE_CLASSES repeats row
  k % PROTOTYPE_CLASSES with its bias lowered, so it never ranks first (small_cnn has 10 classes).
"""
import numpy as np
import torch
from torch import nn

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


# ----------------------------------------------------------------------------- images

def sample_images(count, size, seed):
    """`count` normalized NCHW float32 images (count, 3, size, size): random crops, flips
    and rescales of scikit-learn's two sample photos, deterministic for a seed."""
    from sklearn.datasets import load_sample_images

    photos = [torch.from_numpy(np.array(p)).permute(2, 0, 1).float() / 255.0 for p in load_sample_images().images]
    rng = np.random.default_rng(seed)
    out = np.empty((count, 3, size, size), dtype=np.float32)
    for i in range(count):
        photo = photos[rng.integers(len(photos))]
        height, width = photo.shape[1:]
        crop = int(rng.integers(min(height, width) // 4, min(height, width) + 1))
        top, left = rng.integers(height - crop + 1), rng.integers(width - crop + 1)
        patch = photo[:, top:top + crop, left:left + crop]
        if rng.random() < 0.5:
            patch = patch.flip(2)
        patch = nn.functional.interpolate(patch[None], size=(size, size), mode="bilinear",
                                          antialias=True, align_corners=False)[0]
        out[i] = ((patch.permute(1, 2, 0).numpy() - IMAGENET_MEAN) / IMAGENET_STD).transpose(2, 0, 1)
    return out


# ----------------------------------------------------------------------------- building blocks

def _make_divisible(value, divisor=8):
    """Channel rounding used by the MobileNets (never drops more than 10%)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def conv_bn(cin, cout, kernel, stride=1, groups=1, activation=nn.ReLU):
    """Conv (no bias) + BatchNorm + optional activation, "same"-style padding."""
    layers = [nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
              nn.BatchNorm2d(cout)]
    if activation is not None:
        layers.append(activation(inplace=True))
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    """MobileNetV2/V3 block: 1x1 expand, depthwise KxK, optional squeeze-excite, 1x1 project."""

    def __init__(self, cin, expanded, cout, kernel, stride, activation, squeeze_excite=False):
        super().__init__()
        layers = []
        if expanded != cin:
            layers.append(conv_bn(cin, expanded, 1, activation=activation))
        layers.append(conv_bn(expanded, expanded, kernel, stride, groups=expanded, activation=activation))
        if squeeze_excite:
            layers.append(SqueezeExcite(expanded, _make_divisible(expanded // 4)))
        layers.append(conv_bn(expanded, cout, 1, activation=None))
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.block(x)
        return x + y if self.residual else y


class SqueezeExcite(nn.Module):
    def __init__(self, channels, squeezed):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, squeezed, 1)
        self.fc2 = nn.Conv2d(squeezed, channels, 1)

    def forward(self, x):
        scale = nn.functional.adaptive_avg_pool2d(x, 1)
        scale = nn.functional.hardsigmoid(self.fc2(nn.functional.relu(self.fc1(scale))))
        return x * scale


class BasicBlock(nn.Module):
    """ResNet-18 block: two 3x3 convs and a shortcut (1x1 conv when the shape changes)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = conv_bn(cin, cout, 3, stride)
        self.conv2 = conv_bn(cout, cout, 3, activation=None)
        self.shortcut = conv_bn(cin, cout, 1, stride, activation=None) if stride != 1 or cin != cout else nn.Identity()

    def forward(self, x):
        return nn.functional.relu(self.conv2(self.conv1(x)) + self.shortcut(x))


# ----------------------------------------------------------------------------- the four networks

def mobilenet_v2(num_classes=1000):
    """MobileNetV2, width 1.0 (torchvision's `mobilenet_v2()`)."""
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]  # expansion, channels, repeats, stride
    layers, cin = [conv_bn(3, 32, 3, 2, activation=nn.ReLU6)], 32
    for expansion, cout, repeats, stride in settings:
        for i in range(repeats):
            layers.append(InvertedResidual(cin, cin * expansion, cout, 3, stride if i == 0 else 1, nn.ReLU6))
            cin = cout
    layers.append(conv_bn(cin, 1280, 1, activation=nn.ReLU6))
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2),
                         nn.Linear(1280, num_classes))


def mobilenet_v3_small(num_classes=1000):
    """MobileNetV3-small (torchvision's `mobilenet_v3_small()`): hard-swish and squeeze-excite."""
    RE, HS = nn.ReLU, nn.Hardswish
    settings = [  # kernel, expanded, out, squeeze-excite, activation, stride
        (3, 16, 16, True, RE, 2), (3, 72, 24, False, RE, 2), (3, 88, 24, False, RE, 1),
        (5, 96, 40, True, HS, 2), (5, 240, 40, True, HS, 1), (5, 240, 40, True, HS, 1),
        (5, 120, 48, True, HS, 1), (5, 144, 48, True, HS, 1), (5, 288, 96, True, HS, 2),
        (5, 576, 96, True, HS, 1), (5, 576, 96, True, HS, 1)]
    layers, cin = [conv_bn(3, 16, 3, 2, activation=HS)], 16
    for kernel, expanded, cout, se, activation, stride in settings:
        layers.append(InvertedResidual(cin, expanded, cout, kernel, stride, activation, se))
        cin = cout
    layers.append(conv_bn(cin, 576, 1, activation=HS))
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(576, 1024),
                         nn.Hardswish(inplace=True), nn.Dropout(0.2), nn.Linear(1024, num_classes))


def resnet18(num_classes=1000):
    """ResNet-18 (torchvision's `resnet18()`)."""
    layers = [conv_bn(3, 64, 7, 2), nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        layers += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
        cin = cout
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, num_classes))


def small_cnn(num_classes=10):
    """A small CNN of the kind that runs on a microcontroller-class budget (64x64 input)."""
    return nn.Sequential(conv_bn(3, 16, 3, 2), conv_bn(16, 32, 3, 2), conv_bn(32, 64, 3, 2),
                         conv_bn(64, 64, 3, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(64, num_classes))


# name -> (constructor, input image size)
MODELS = {
    "mobilenet_v2": (mobilenet_v2, 224),
    "resnet18": (resnet18, 224),
    "mobilenet_v3_small": (mobilenet_v3_small, 224),
    "small_cnn": (small_cnn, 64),
}


RESIDUAL_BRANCH_SCALE = 0.1   # gain of a residual branch's last BatchNorm (a trained network's branches are small)
BATCHNORM_IMAGES = 64
PROTOTYPE_IMAGES = 256       # training crops clustered into the classifier's classes
PROTOTYPE_CLASSES = 16


def image_seeds(seed=0):
    """The sample_images seeds of a model built with `seed`, by use. Evaluation and calibration
    (benchmarks/run.py) and the two set-up uses never share a crop."""
    return {"calibration": 1, "evaluation": 2, "batchnorm": 1000 + seed, "prototypes": 2000 + seed}


def build_model(name, seed=0):
    """The eval-mode torch module for `name`: random convolutions, BatchNorm statistics from
    images, scaled-down residual branches and a prototype classifier (module docstring)."""
    constructor, size = MODELS[name]
    torch.manual_seed(seed)
    model = constructor()
    seeds = image_seeds(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (InvertedResidual, BasicBlock)):
                branch_norm = module.block[-1][1] if isinstance(module, InvertedResidual) else module.conv2[1]
                if isinstance(module, BasicBlock) or module.residual:
                    branch_norm.weight.fill_(RESIDUAL_BRANCH_SCALE)
            if isinstance(module, nn.BatchNorm2d):
                module.momentum = None  # a plain average over all batches seen
        model.train()
        for batch in torch.from_numpy(sample_images(BATCHNORM_IMAGES, size, seeds["batchnorm"])).split(16):
            model(batch)
    model.eval()
    features = classifier_inputs(model, sample_images(PROTOTYPE_IMAGES, size, seeds["prototypes"]))
    set_prototype_head(model, features, min(PROTOTYPE_CLASSES, classifier(model).out_features), seed)
    return model


def classifier(model):
    """The network's last Linear layer (the one that outputs the logits)."""
    return [m for m in model.modules() if isinstance(m, nn.Linear)][-1]


def classifier_inputs(model, images, batch=32):
    """(N, features) float64: what the last Linear layer receives for each of `images`."""
    captured = []
    handle = classifier(model).register_forward_hook(lambda module, inputs, output: captured.append(inputs[0]))
    try:
        with torch.no_grad():
            for chunk in torch.from_numpy(images).split(batch):
                model(chunk)
    finally:
        handle.remove()
    return torch.cat(captured).double().numpy()


def prototypes(features, classes, seed=0):
    """(mean feature, unit class directions (classes, features)): k-means, deterministic for a
    seed, of the directions in which `features` differ from their mean (spherical k-means)."""
    from sklearn.cluster import KMeans

    mean = features.mean(0)
    directions = _unit(features - mean)
    return mean, _unit(KMeans(classes, n_init=4, random_state=seed).fit(directions).cluster_centers_)


def _unit(rows):
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def set_prototype_head(model, features, classes, seed=0):
    """Sets the last Linear layer to a cosine prototype classifier ("imprinted" weights) over
    `classes` clusters of `features`: logit k = d_k . (f - m) = |f - m| cos(f - m, d_k) for the
    mean feature m and class direction d_k (`prototypes`), so the top-1 class is the prototype
    whose direction is closest to the image's. Rows past `classes` repeat rows 0.. with a lower
    bias, so they never rank first.

    Why cosine rather than Euclidean distance: distance logits add -|c_k - m|^2 / 2 per class,
    which spreads the logits of far clusters over a range many times the top-1 margins, and an
    int8 output quantized over that range rounds the margins away."""
    linear = classifier(model)
    mean, weight = prototypes(features, classes, seed)
    bias = -weight @ mean
    # A repeat sits one logit standard deviation (over `features`) below its original: never first,
    # and inside the range the real logits span, so it does not widen an int8 output's range.
    gap = (features @ weight.T + bias).std()
    rows = np.arange(linear.out_features)
    weight, bias = weight[rows % classes], bias[rows % classes] - gap * (rows >= classes)
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(weight))
        linear.bias.copy_(torch.from_numpy(bias))


def export_onnx(model, size, path, opset=17):
    """Exports `model` (input "input", NCHW float32, batch 1; output "logits") to `path`."""
    example = torch.zeros(1, 3, size, size)
    torch.onnx.export(model, (example,), path, input_names=["input"], output_names=["logits"],
                      opset_version=opset, dynamo=False)
