package dev.checkpointguard.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class HookRepositoryTest {
  @Test
  void splitsPlainAlternates() {
    assertEquals(
        List.of("/a/objects", "/b/objects"),
        HookRepository.parseAlternates("/a/objects:/b/objects", ':'));
    assertEquals(List.of("/a b/objects"), HookRepository.parseAlternates("::/a b/objects:", ':'));
  }

  @Test
  void unquotesCQuotedEntriesAsGitWritesThem() {
    // git quotes a path that contains the separator or starts with a double quote (tmp-objdir.c)
    assertEquals(
        List.of("/srv/objects", "/x:y/objects", "/z"),
        HookRepository.parseAlternates("/srv/objects:\"/x:y/objects\":/z", ':'));
    assertEquals(
        List.of("\"q\\\t\u00e9A"),
        HookRepository.parseAlternates("\"\\\"q\\\\\\t\\303\\251\\101\"", ':'));
    assertEquals(List.of("/\u00e9:"), HookRepository.parseAlternates("\"/\u00e9:\"", ':'));
  }

  @Test
  void takesAMalformedQuotedEntryLiterally() {
    assertEquals(List.of("\"/no/end", "/b"), HookRepository.parseAlternates("\"/no/end:/b", ':'));
    assertEquals(List.of("\"bad\\q\"", "/b"), HookRepository.parseAlternates("\"bad\\q\":/b", ':'));
  }
}
