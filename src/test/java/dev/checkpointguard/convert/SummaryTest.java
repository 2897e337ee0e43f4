package dev.checkpointguard.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The v1 summary rebuilt from a v2 one (spec v2-to-v1 §6.7), as the client's reaggregateFromEntries
 * would.
 */
class SummaryTest {
  @Test
  void rebuildsSessionsAndAggregatesAndKeepsTheRest() {
    String v2 =
        "{\n  \"cli_version\": \"0.6.2\",\n  \"checkpoint_id\": \"0123456789ab\",\n  \"strategy\": \"m\",\n"
            + "  \"checkpoints_count\": 99,\n  \"files_touched\": [\"stale\"],\n  \"sessions\": [{\"metadata\": \"x\"}],\n"
            + "  \"token_usage\": null,\n  \"combined_attribution\": {\"agent_lines\": 3},\n  \"has_review\": true,\n"
            + "  \"future_field\": [1, 2.50]\n}\n";
    SessionMetadata a =
        SessionMetadata.parse(
            "{\"checkpoints_count\": 2, \"files_touched\": [\"b\", \"a\"],"
                + " \"token_usage\": {\"input_tokens\": 1, \"cache_creation_tokens\": 2, \"cache_read_tokens\": 3,"
                + " \"output_tokens\": 4, \"api_call_count\": 5, \"subagent_tokens\": {\"input_tokens\": 9}}}");
    SessionMetadata b =
        SessionMetadata.parse("{\"checkpoints_count\": 1, \"files_touched\": [\"a\", \"c\"]}");
    String out =
        Summary.rebuild(
            v2,
            "01/23456789ab",
            List.of(new Summary.Entry(true, true, true), new Summary.Entry(false, true, false)),
            List.of(a, b));
    assertEquals(
        "{\n  \"cli_version\": \"0.6.2\",\n  \"checkpoint_id\": \"0123456789ab\",\n  \"strategy\": \"m\",\n"
            + "  \"checkpoints_count\": 3,\n  \"files_touched\": [\n    \"a\",\n    \"b\",\n    \"c\"\n  ],\n"
            + "  \"sessions\": [\n    {\n      \"metadata\": \"/01/23456789ab/0/metadata.json\",\n"
            + "      \"transcript\": \"/01/23456789ab/0/full.jsonl\",\n"
            + "      \"compact_transcript\": \"/01/23456789ab/0/transcript.jsonl\",\n"
            + "      \"content_hash\": \"/01/23456789ab/0/content_hash.txt\",\n"
            + "      \"prompt\": \"/01/23456789ab/0/prompt.txt\"\n    },\n    {\n"
            + "      \"metadata\": \"/01/23456789ab/1/metadata.json\",\n      \"prompt\": \"\"\n    }\n  ],\n"
            + "  \"token_usage\": {\n    \"input_tokens\": 1,\n    \"cache_creation_tokens\": 2,\n"
            + "    \"cache_read_tokens\": 3,\n    \"output_tokens\": 4,\n    \"api_call_count\": 5\n  },\n"
            + "  \"combined_attribution\": {\n    \"agent_lines\": 3\n  },\n  \"has_review\": true,\n"
            + "  \"future_field\": [\n    1,\n    2.50\n  ]\n}\n",
        out);
  }

  @Test
  void noFilesIsNullNoTokensIsAbsentAndMissingMembersGoInTheirPlace() {
    SessionMetadata a = SessionMetadata.parse("{}");
    String out =
        Summary.rebuild(
            "{\"checkpoint_id\": \"0123456789ab\", \"checkpoint_version\": \"v2\","
                + " \"has_review\": false}",
            "01/23456789ab",
            List.of(new Summary.Entry(true, false, true)),
            List.of(a));
    assertEquals(
        "{\n  \"checkpoint_id\": \"0123456789ab\",\n  \"checkpoint_version\": \"branch-v1\",\n"
            + "  \"checkpoints_count\": 0,\n  \"files_touched\": null,\n  \"sessions\": [\n    {\n"
            + "      \"metadata\": \"/01/23456789ab/0/metadata.json\",\n"
            + "      \"transcript\": \"/01/23456789ab/0/full.jsonl\",\n"
            + "      \"content_hash\": \"/01/23456789ab/0/content_hash.txt\",\n"
            + "      \"prompt\": \"/01/23456789ab/0/prompt.txt\"\n    }\n  ],\n  \"has_review\": false\n}\n",
        out);
  }
}
