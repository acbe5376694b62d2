package org.edgenet.demo;

import android.app.Activity;
import android.content.Intent;
import android.content.res.AssetFileDescriptor;
import android.os.Bundle;
import android.widget.TextView;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.util.List;
import java.util.Locale;
import org.edgenet.Interpreter;
import org.edgenet.demo.logic.DigitClassifier;
import org.edgenet.demo.logic.Labels;

/** Draw a digit; after every stroke the bundled model shows its top-3 guesses and the latency. */
public class MainActivity extends Activity {
  /** Preferred first: the int8 model when the build shipped one. */
  private static final String[] MODEL_ASSETS = {"digits_int8.enet", "digits.enet"};

  private Interpreter interpreter;
  private DigitClassifier classifier;
  private String modelName;

  @Override
  protected void onCreate(Bundle savedInstanceState) {
    super.onCreate(savedInstanceState);
    setContentView(R.layout.activity_main);
    TextView result = findViewById(R.id.result);
    DrawingView drawing = findViewById(R.id.drawing);
    try {
      loadModel();
    } catch (IOException | IllegalArgumentException e) {
      result.setText("Cannot load the digits model: " + e.getMessage());
      return;
    }
    result.setText(modelName + " loaded");
    // The model takes well under a millisecond, so it runs right on the UI thread.
    drawing.setOnStrokeListener((argb, w, h) -> result.setText(format(classifier.classify(argb, w, h, 3))));
    findViewById(R.id.clear).setOnClickListener(v -> {
      drawing.clear();
      result.setText(modelName);
    });
    findViewById(R.id.inspect).setOnClickListener(
        v -> startActivity(new Intent(this, ModelInfoActivity.class)));
  }

  private void loadModel() throws IOException {
    for (String asset : MODEL_ASSETS) {
      AssetFileDescriptor fd;
      try {
        fd = getAssets().openFd(asset);
      } catch (IOException missing) {
        continue;
      }
      // Zero-copy: map the (uncompressed) asset straight out of the APK.
      try (FileInputStream in = fd.createInputStream()) {
        MappedByteBuffer model = in.getChannel().map(
            FileChannel.MapMode.READ_ONLY, fd.getStartOffset(), fd.getDeclaredLength());
        interpreter = new Interpreter(model, new Interpreter.Options().setNumThreads(1));
      }
      List<String> labels;
      try (InputStream in = getAssets().open("digits_labels.txt")) {
        labels = Labels.load(in);
      }
      classifier = new DigitClassifier(interpreter, labels);
      modelName = asset;
      return;
    }
    throw new IOException("no digits model in assets (run android_demo/run_host_tests.sh)");
  }

  private String format(DigitClassifier.Result r) {
    StringBuilder sb = new StringBuilder();
    for (DigitClassifier.Guess g : r.top) {
      sb.append(String.format(Locale.ROOT, "%s  %5.1f%%%n", g.label, 100 * g.score));
    }
    sb.append(String.format(Locale.ROOT, "%.3f ms  (%s)", r.latencyMs, modelName));
    return sb.toString();
  }

  @Override
  protected void onDestroy() {
    if (interpreter != null) {
      interpreter.close();
    }
    super.onDestroy();
  }
}
