package dev.checkpointguard.reliability;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.Deflater;

/**
 * A hand-written smart-HTTP push: sends {@code git-receive-pack} commands and pack bytes exactly as given,
 * so that tests can send what the git CLI refuses to (control characters, {@code ..} and {@code @{} in ref
 * names, objects missing from the pack, a corrupt pack). Asks only for {@code report-status}, so the answer
 * is plain pkt-lines: {@code unpack <status>}, then {@code ok <ref>} or {@code ng <ref> <reason>}.
 */
final class RawReceivePack {
  static final String ZERO = "0".repeat(40);

  private RawReceivePack() {}

  /** The server's answer. */
  record Answer(int status, List<String> lines, String raw) {
    /** The reason of {@code ng <ref> <reason>}, {@code "ok"} for an accepted ref, or null. */
    String result(String ref) {
      for (String l : lines) {
        if (l.equals("ok " + ref)) {
          return "ok";
        }
        if (l.startsWith("ng " + ref + " ")) {
          return l.substring(("ng " + ref + " ").length());
        }
      }
      return null;
    }
  }

  /**
   * Posts {@code commands} ({@code "<old> <new> <ref>"}) followed by {@code pack} (null for none).
   */
  static Answer push(URI repo, List<String> commands, byte[] pack) throws Exception {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (int i = 0; i < commands.size(); i++) {
      String line = commands.get(i) + (i == 0 ? "\0report-status" : "") + "\n";
      pkt(body, line.getBytes(StandardCharsets.UTF_8));
    }
    body.write("0000".getBytes(StandardCharsets.US_ASCII));
    if (pack != null) {
      body.write(pack);
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(repo + "/git-receive-pack"))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/x-git-receive-pack-request")
            .header("Accept", "application/x-git-receive-pack-result")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
            .build();
    HttpResponse<byte[]> resp = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
    byte[] b = resp.body();
    List<String> lines = new ArrayList<>();
    int p = 0;
    while (p + 4 <= b.length) {
      int len;
      try {
        len = Integer.parseInt(new String(b, p, 4, StandardCharsets.US_ASCII), 16);
      } catch (NumberFormatException e) {
        break;
      }
      if (len == 0) {
        p += 4;
        continue;
      }
      if (len < 4 || p + len > b.length) {
        break;
      }
      String s = new String(b, p + 4, len - 4, StandardCharsets.UTF_8);
      lines.add(s.endsWith("\n") ? s.substring(0, s.length() - 1) : s);
      p += len;
    }
    return new Answer(resp.statusCode(), lines, new String(b, StandardCharsets.UTF_8));
  }

  private static void pkt(ByteArrayOutputStream out, byte[] payload) {
    String len = String.format("%04x", payload.length + 4);
    out.writeBytes(len.getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(payload);
  }

  /**
   * A version-2 pack of {@code objects}, each {@code {type, raw content}}; type 1 commit, 2 tree, 3
   * blob.
   */
  static byte[] pack(List<Object[]> objects) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes("PACK".getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(new byte[] {0, 0, 0, 2});
    int n = objects.size();
    out.writeBytes(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
    for (Object[] o : objects) {
      int type = (Integer) o[0];
      byte[] data = (byte[]) o[1];
      long size = data.length;
      int c = (type << 4) | (int) (size & 0x0f);
      size >>>= 4;
      while (size != 0) {
        out.write(c | 0x80);
        c = (int) (size & 0x7f);
        size >>>= 7;
      }
      out.write(c);
      Deflater d = new Deflater();
      d.setInput(data);
      d.finish();
      byte[] buf = new byte[8192];
      while (!d.finished()) {
        int k = d.deflate(buf);
        out.write(buf, 0, k);
      }
      d.end();
    }
    byte[] sha = MessageDigest.getInstance("SHA-1").digest(out.toByteArray());
    out.writeBytes(sha);
    return out.toByteArray();
  }

  /** An empty pack. */
  static byte[] emptyPack() throws Exception {
    return pack(List.of());
  }
}
