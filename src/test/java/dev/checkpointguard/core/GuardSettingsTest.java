package dev.checkpointguard.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.eclipse.jgit.lib.Config;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Settings come from git config section {@code checkpointGuard}; bad values are errors, never
 * defaults.
 */
class GuardSettingsTest {
  static GuardSettings read(String text) throws Exception {
    Config c = new Config();
    c.fromText(text);
    return GuardSettings.from(c);
  }

  @ParameterizedTest(name = "{0} -> threshold {1}, {2}, delete {3}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          ''                                                   | 100 | ENFORCE | true
          '[checkpointGuard]\\n threshold = 50'                 | 50  | ENFORCE | true
          '[checkpointguard]\\n threshold = 1'                  | 1   | ENFORCE | true
          '[checkpointGuard]\\n threshold = 100'                | 100 | ENFORCE | true
          '[checkpointGuard]\\n mode = warn'                    | 100 | WARN    | true
          '[checkpointGuard]\\n mode = ENFORCE'                 | 100 | ENFORCE | true
          '[checkpointGuard]\\n allowArchiveDeletion = false'   | 100 | ENFORCE | false
          '[checkpointGuard]\\n allowArchiveDeletion = no'      | 100 | ENFORCE | false
          '[checkpointGuard]\\n allowArchiveDeletion = off'     | 100 | ENFORCE | false
          '[checkpointGuard]\\n allowArchiveDeletion = 0'       | 100 | ENFORCE | false
          '[checkpointGuard]\\n allowArchiveDeletion = yes'     | 100 | ENFORCE | true
          """)
  void readsValidValues(String text, int threshold, GuardSettings.Mode mode, boolean delete)
      throws Exception {
    assertEquals(new GuardSettings(threshold, mode, delete), read(text.replace("\\n", "\n")));
  }

  @ParameterizedTest(name = "{0} -> archive age {1}, v2 {2}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          ''                                                      | PT24H  | ACTIVE
          '[checkpointGuard]\\n minArchiveAgeForDeletion = 0'     | PT0S   | ACTIVE
          '[checkpointGuard]\\n minArchiveAgeForDeletion = 36h'   | PT36H  | ACTIVE
          '[checkpointGuard]\\n minArchiveAgeForDeletion = 14D'   | PT336H | ACTIVE
          '[checkpointGuard]\\n minArchiveAgeForDeletion = 90m'   | PT1H30M | ACTIVE
          '[checkpointGuard]\\n minArchiveAgeForDeletion = 45s'   | PT45S  | ACTIVE
          '[checkpointGuard]\\n v2 = frozen'                      | PT24H  | FROZEN
          '[checkpointGuard]\\n v2 = Retired'                     | PT24H  | RETIRED
          '[checkpointGuard]\\n v2 = active'                      | PT24H  | ACTIVE
          """)
  void readsArchiveAgeAndV2State(String text, java.time.Duration age, GuardSettings.V2State v2)
      throws Exception {
    GuardSettings s = read(text.replace("\\n", "\n"));
    assertEquals(age, s.minArchiveAgeForDeletion());
    assertEquals(v2, s.v2());
    assertEquals(
        s.minArchiveAgeForDeletion(), GuardSettings.parseAge(GuardSettings.formatAge(age)));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          '[checkpointGuard]\\n threshold = abc'          | invalid git config checkpointGuard.threshold = 'abc': expected a whole number from 1 to 100 (clients archive a generation at 100 checkpoints)
          '[checkpointGuard]\\n threshold = 0'            | invalid git config checkpointGuard.threshold = '0': expected a whole number from 1 to 100 (clients archive a generation at 100 checkpoints)
          '[checkpointGuard]\\n threshold = -5'           | invalid git config checkpointGuard.threshold = '-5': expected a whole number from 1 to 100 (clients archive a generation at 100 checkpoints)
          '[checkpointGuard]\\n threshold = 101'          | invalid git config checkpointGuard.threshold = '101': expected a whole number from 1 to 100 (clients archive a generation at 100 checkpoints)
          '[checkpointGuard]\\n threshold = 1000000'      | invalid git config checkpointGuard.threshold = '1000000': expected a whole number from 1 to 100 (clients archive a generation at 100 checkpoints)
          '[checkpointGuard]\\n threshold = 1e2'          | invalid git config checkpointGuard.threshold = '1e2': expected a whole number from 1 to 100 (clients archive a generation at 100 checkpoints)
          '[checkpointGuard]\\n mode = off'               | invalid git config checkpointGuard.mode = 'off': expected enforce or warn
          '[checkpointGuard]\\n mode = warning'           | invalid git config checkpointGuard.mode = 'warning': expected enforce or warn
          '[checkpointGuard]\\n allowArchiveDeletion = maybe' | invalid git config checkpointGuard.allowArchiveDeletion = 'maybe': expected true or false
          '[checkpointGuard]\\n minArchiveAgeForDeletion = 5' | invalid git config checkpointGuard.minArchiveAgeForDeletion = '5': expected 0 or a whole number followed by s, m, h or d (e.g. 1d, 36h)
          '[checkpointGuard]\\n minArchiveAgeForDeletion = -1d' | invalid git config checkpointGuard.minArchiveAgeForDeletion = '-1d': expected 0 or a whole number followed by s, m, h or d (e.g. 1d, 36h)
          '[checkpointGuard]\\n minArchiveAgeForDeletion = 1w' | invalid git config checkpointGuard.minArchiveAgeForDeletion = '1w': expected 0 or a whole number followed by s, m, h or d (e.g. 1d, 36h)
          '[checkpointGuard]\\n v2 = off'                 | invalid git config checkpointGuard.v2 = 'off': expected active, frozen or retired
          """)
  void rejectsInvalidValuesWithOneLine(String text, String message) {
    GuardSettings.InvalidSettingsException e =
        assertThrows(
            GuardSettings.InvalidSettingsException.class, () -> read(text.replace("\\n", "\n")));
    assertEquals(message, e.getMessage());
  }
}
