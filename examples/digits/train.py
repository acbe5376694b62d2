"""Train the bundled digits CNN once and write its weights to digits.npz.

Not needed to run the example: the trained weights ship in digits.npz. This
script documents how they were made. It needs torch and scikit-learn:

    pip install torch scikit-learn
    python examples/digits/train.py

Data: scikit-learn's 8x8 handwritten digits (1797 images, pixel values 0..16).
A fixed split keeps 360 images held out as the test set; they ship as uint8
in digits.npz together with 128 training images for int8 calibration.

The network is written here in NHWC so its weights drop straight into the
edgenet graph in model.py (conv weights OHWI, FC weights (out, in)).
"""
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits

HERE = Path(__file__).resolve().parent
torch.manual_seed(0)
rng = np.random.default_rng(0)

digits = load_digits()
images = digits.images.astype(np.uint8)  # (1797, 8, 8), 0..16
labels = digits.target.astype(np.int64)
order = rng.permutation(len(images))
test_idx, train_idx = order[:360], order[360:]


def to_input(u8):
    """uint8 0..16 (N, 8, 8) -> float32 NCHW in [0, 1] for torch."""
    return torch.from_numpy(u8.astype(np.float32) / 16.0)[:, None]


class DigitsCNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(16)
        self.dw = torch.nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.pw = torch.nn.Conv2d(16, 32, 1)
        self.fc1 = torch.nn.Linear(4 * 4 * 32, 64)
        self.fc2 = torch.nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.dw(x))
        x = F.relu6(self.pw(x))
        x = F.max_pool2d(x, 2)
        x = x.permute(0, 2, 3, 1).flatten(1)  # NHWC flatten order, as in the edgenet graph
        x = F.relu(self.fc1(x))
        return self.fc2(x)


model = DigitsCNN()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
x_train, y_train = to_input(images[train_idx]), torch.from_numpy(labels[train_idx])
for epoch in range(40):
    model.train()
    perm = torch.randperm(len(x_train))
    for i in range(0, len(perm), 64):
        batch = perm[i:i + 64]
        # small random shifts make the model robust to where a user draws the digit
        xb = torch.roll(x_train[batch], shifts=tuple(rng.integers(-1, 2, size=2)), dims=(2, 3))
        loss = F.cross_entropy(model(xb), y_train[batch])
        opt.zero_grad()
        loss.backward()
        opt.step()

model.eval()
with torch.no_grad():
    pred = model(to_input(images[test_idx])).argmax(1).numpy()
print(f"torch test accuracy: {(pred == labels[test_idx]).mean():.4f}")


def t(p):
    return p.detach().numpy().astype(np.float32)


np.savez_compressed(
    HERE / "digits.npz",
    # conv weights OHWI, depthwise (1, kh, kw, c), FC (out, in)
    conv1_w=t(model.conv1.weight).transpose(0, 2, 3, 1),
    bn1_mean=t(model.bn1.running_mean), bn1_var=t(model.bn1.running_var),
    bn1_scale=t(model.bn1.weight), bn1_offset=t(model.bn1.bias),
    dw_w=t(model.dw.weight).transpose(1, 2, 3, 0), dw_b=t(model.dw.bias),
    pw_w=t(model.pw.weight).transpose(0, 2, 3, 1), pw_b=t(model.pw.bias),
    fc1_w=t(model.fc1.weight), fc1_b=t(model.fc1.bias),
    fc2_w=t(model.fc2.weight), fc2_b=t(model.fc2.bias),
    test_images=images[test_idx], test_labels=labels[test_idx].astype(np.uint8),
    calibration_images=images[train_idx[:128]],
)
print("wrote", HERE / "digits.npz")
