package org.edgenet.demo.logic;

/**
 * Turns a finger drawing into the digits model's input: a (1, 8, 8, 1) float32 image in [0, 1],
 * laid out like scikit-learn's 8x8 digits the model was trained on (examples/digits).
 *
 * <p>Those digits were made by fitting each handwritten digit into a 32x32 box and counting ink in
 * 4x4 blocks. We do the same with the drawing: find the ink's bounding box, take the square around
 * it (the digit's aspect ratio is kept, centered), average the ink over an 8x8 grid of that square,
 * and scale so the darkest cell is 1 (a thick pen stroke fills whole blocks in the data set).
 *
 * <p>The canvas convention: light strokes on a dark background (white on black); ink is the
 * pixel's luminance. No android.* types, so this runs and is tested on a plain JVM.
 */
public final class DigitPreprocessor {
  /** Side of the model's input image. */
  public static final int SIZE = 8;
  /** Pixels with less ink than this do not count toward the bounding box (anti-aliasing fuzz). */
  static final float INK_THRESHOLD = 0.1f;

  private DigitPreprocessor() {}

  /**
   * @param argb pixels in row-major order, 0xAARRGGBB (as from Bitmap.getPixels); alpha ignored
   * @return SIZE*SIZE floats in [0, 1], row-major: the NHWC (1, 8, 8, 1) model input; all zeros
   *     for an empty drawing
   */
  public static float[] toModelInput(int[] argb, int width, int height) {
    if (argb == null || width <= 0 || height <= 0 || argb.length != width * height) {
      throw new IllegalArgumentException(
          "need width*height pixels, got " + (argb == null ? "null" : argb.length) + " for "
              + width + "x" + height);
    }
    float[] ink = new float[argb.length];
    int minX = width, minY = height, maxX = -1, maxY = -1;
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        float v = luminance(argb[y * width + x]);
        ink[y * width + x] = v;
        if (v >= INK_THRESHOLD) {
          minX = Math.min(minX, x);
          maxX = Math.max(maxX, x);
          minY = Math.min(minY, y);
          maxY = Math.max(maxY, y);
        }
      }
    }
    float[] cells = new float[SIZE * SIZE];
    if (maxX < 0) {
      return cells; // nothing drawn
    }
    // The square around the ink, centered on it; it may reach past the canvas (counts as empty).
    int side = Math.max(maxX - minX + 1, maxY - minY + 1);
    double x0 = (minX + maxX + 1) / 2.0 - side / 2.0;
    double y0 = (minY + maxY + 1) / 2.0 - side / 2.0;
    float[] area = new float[SIZE * SIZE];
    for (int y = Math.max(0, (int) Math.floor(y0)); y < Math.min(height, y0 + side); y++) {
      int row = cellOf(y + 0.5, y0, side);
      if (row < 0) {
        continue;
      }
      for (int x = Math.max(0, (int) Math.floor(x0)); x < Math.min(width, x0 + side); x++) {
        int col = cellOf(x + 0.5, x0, side);
        if (col < 0) {
          continue;
        }
        cells[row * SIZE + col] += ink[y * width + x];
        area[row * SIZE + col] += 1;
      }
    }
    float max = 0;
    for (int i = 0; i < cells.length; i++) {
      // Cells partly outside the canvas average over the full cell area (outside is empty).
      double cellArea = (double) side * side / (SIZE * SIZE);
      cells[i] = (float) (cells[i] / Math.max(cellArea, area[i]));
      max = Math.max(max, cells[i]);
    }
    for (int i = 0; i < cells.length; i++) {
      cells[i] = Math.min(1f, cells[i] / max);
    }
    return cells;
  }

  /** Grid cell (0..SIZE-1) that a pixel center falls in, or -1 outside the square. */
  private static int cellOf(double center, double origin, int side) {
    int cell = (int) Math.floor((center - origin) * SIZE / side);
    return cell >= 0 && cell < SIZE ? cell : -1;
  }

  /** Luminance in [0, 1] of an 0xAARRGGBB pixel. */
  static float luminance(int argb) {
    int r = (argb >> 16) & 0xff;
    int g = (argb >> 8) & 0xff;
    int b = argb & 0xff;
    return (0.299f * r + 0.587f * g + 0.114f * b) / 255f;
  }
}
