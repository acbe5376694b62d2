package org.edgenet.demo;

import android.app.Activity;
import android.content.Intent;
import android.net.Uri;
import android.os.Bundle;
import android.widget.TextView;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.edgenet.Interpreter;
import org.edgenet.demo.logic.Benchmark;
import org.edgenet.demo.logic.ModelInfo;

/** Lets the user pick any .enet file, then shows its inputs/outputs and a latency benchmark. */
public class ModelInfoActivity extends Activity {
  private static final int PICK_MODEL = 1;
  private TextView info;

  @Override
  protected void onCreate(Bundle savedInstanceState) {
    super.onCreate(savedInstanceState);
    setContentView(R.layout.activity_model_info);
    info = findViewById(R.id.info);
    findViewById(R.id.pick).setOnClickListener(v -> {
      Intent pick = new Intent(Intent.ACTION_OPEN_DOCUMENT);
      pick.addCategory(Intent.CATEGORY_OPENABLE);
      pick.setType("*/*"); // .enet has no registered MIME type
      startActivityForResult(pick, PICK_MODEL);
    });
  }

  @Override
  protected void onActivityResult(int requestCode, int resultCode, Intent data) {
    super.onActivityResult(requestCode, resultCode, data);
    if (requestCode != PICK_MODEL || resultCode != RESULT_OK || data == null) {
      return;
    }
    Uri uri = data.getData();
    info.setText("Loading " + uri.getLastPathSegment() + " …");
    // Copying and benchmarking can take a while: off the UI thread.
    new Thread(() -> {
      String text;
      try {
        File file = copyToCache(uri);
        try (Interpreter it = new Interpreter(file)) {
          text = ModelInfo.describe(it, file.length())
              + "\nBenchmark: " + Benchmark.run(it, 10, 100);
        }
      } catch (IOException | IllegalArgumentException | IllegalStateException e) {
        text = "Cannot use this file: " + e.getMessage();
      }
      String shown = text;
      runOnUiThread(() -> info.setText(shown));
    }, "edgenet-model-info").start();
  }

  /** A content URI is not a file path: copy it so the core can memory-map it. */
  private File copyToCache(Uri uri) throws IOException {
    File file = new File(getCacheDir(), "picked.enet");
    try (InputStream in = getContentResolver().openInputStream(uri);
        OutputStream out = new FileOutputStream(file)) {
      if (in == null) {
        throw new IOException("cannot open " + uri);
      }
      byte[] chunk = new byte[1 << 16];
      for (int n; (n = in.read(chunk)) > 0; ) {
        out.write(chunk, 0, n);
      }
    }
    return file;
  }
}
