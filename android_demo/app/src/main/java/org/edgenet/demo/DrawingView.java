package org.edgenet.demo;

import android.content.Context;
import android.graphics.Bitmap;
import android.graphics.Canvas;
import android.graphics.Color;
import android.graphics.Paint;
import android.graphics.Path;
import android.util.AttributeSet;
import android.view.MotionEvent;
import android.view.View;

/**
 * A finger-drawing canvas: thick white strokes on black (the convention DigitPreprocessor
 * expects). After each stroke it hands the listener the bitmap's ARGB pixels.
 */
public class DrawingView extends View {
  /** Receives the drawing's pixels after every stroke. */
  public interface OnStrokeListener {
    void onStroke(int[] argb, int width, int height);
  }

  private final Paint pen = new Paint(Paint.ANTI_ALIAS_FLAG);
  private final Path path = new Path();
  private Bitmap bitmap;
  private Canvas canvas;
  private OnStrokeListener listener;

  public DrawingView(Context context, AttributeSet attrs) {
    super(context, attrs);
    pen.setColor(Color.WHITE);
    pen.setStyle(Paint.Style.STROKE);
    pen.setStrokeCap(Paint.Cap.ROUND);
    pen.setStrokeJoin(Paint.Join.ROUND);
  }

  public void setOnStrokeListener(OnStrokeListener listener) {
    this.listener = listener;
  }

  public void clear() {
    if (canvas != null) {
      canvas.drawColor(Color.BLACK);
      invalidate();
    }
  }

  @Override
  protected void onSizeChanged(int w, int h, int oldw, int oldh) {
    bitmap = Bitmap.createBitmap(w, h, Bitmap.Config.ARGB_8888);
    canvas = new Canvas(bitmap);
    canvas.drawColor(Color.BLACK);
    // A pen about 1/10 of the canvas: like the data set, where a stroke fills whole 4x4 blocks.
    pen.setStrokeWidth(Math.min(w, h) / 10f);
  }

  @Override
  protected void onDraw(Canvas c) {
    c.drawBitmap(bitmap, 0, 0, null);
    c.drawPath(path, pen);
  }

  @Override
  public boolean onTouchEvent(MotionEvent e) {
    switch (e.getActionMasked()) {
      case MotionEvent.ACTION_DOWN:
        path.reset();
        path.moveTo(e.getX(), e.getY());
        break;
      case MotionEvent.ACTION_MOVE:
        path.lineTo(e.getX(), e.getY());
        break;
      case MotionEvent.ACTION_UP:
        path.lineTo(e.getX(), e.getY());
        canvas.drawPath(path, pen);
        path.reset();
        if (listener != null) {
          int w = bitmap.getWidth();
          int h = bitmap.getHeight();
          int[] pixels = new int[w * h];
          bitmap.getPixels(pixels, 0, w, 0, 0, w, h);
          listener.onStroke(pixels, w, h);
        }
        break;
      default:
        return false;
    }
    invalidate();
    return true;
  }
}
