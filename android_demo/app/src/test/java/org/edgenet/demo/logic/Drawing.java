package org.edgenet.demo.logic;

/**
 * A test stand-in for the app's canvas: white round-capped strokes on a black ARGB bitmap, like
 * a finger drawing, plus rendering of an 8x8 data-set digit as a big grey-block picture.
 */
final class Drawing {
  final int width;
  final int height;
  final int[] argb;

  Drawing(int width, int height) {
    this.width = width;
    this.height = height;
    this.argb = new int[width * height];
    java.util.Arrays.fill(argb, 0xff000000);
  }

  /** A stroke through the points (x0, y0, x1, y1, ...) in canvas units of 0..1, pen radius r. */
  Drawing stroke(double radius, double... xy) {
    for (int i = 0; i + 3 < xy.length; i += 2) {
      segment(xy[i] * width, xy[i + 1] * height, xy[i + 2] * width, xy[i + 3] * height, radius * width);
    }
    return this;
  }

  /** An ellipse stroke centered at (cx, cy) with radii (rx, ry), canvas units. */
  Drawing ellipse(double radius, double cx, double cy, double rx, double ry) {
    int n = 48;
    double[] xy = new double[2 * (n + 1)];
    for (int k = 0; k <= n; k++) {
      xy[2 * k] = cx + rx * Math.cos(2 * Math.PI * k / n);
      xy[2 * k + 1] = cy + ry * Math.sin(2 * Math.PI * k / n);
    }
    return stroke(radius, xy);
  }

  private void segment(double x0, double y0, double x1, double y1, double r) {
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        double px = x + 0.5 - x0;
        double py = y + 0.5 - y0;
        double dx = x1 - x0;
        double dy = y1 - y0;
        double len2 = dx * dx + dy * dy;
        double t = len2 == 0 ? 0 : Math.max(0, Math.min(1, (px * dx + py * dy) / len2));
        double ex = px - t * dx;
        double ey = py - t * dy;
        if (ex * ex + ey * ey <= r * r) {
          argb[y * width + x] = 0xffffffff;
        }
      }
    }
  }

  /** An 8x8 image with values 0..16 drawn as `cell`-pixel grey blocks. */
  static Drawing fromDigit(byte[] pixels8x8, int offset, int cell) {
    Drawing d = new Drawing(8 * cell, 8 * cell);
    for (int y = 0; y < d.height; y++) {
      for (int x = 0; x < d.width; x++) {
        int v = pixels8x8[offset + (y / cell) * 8 + x / cell] * 255 / 16;
        d.argb[y * d.width + x] = 0xff000000 | (v << 16) | (v << 8) | v;
      }
    }
    return d;
  }
}
