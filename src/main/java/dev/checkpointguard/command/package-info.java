/**
 * The command SPI shared by every subcommand: {@link dev.checkpointguard.command.Command}, {@link
 * dev.checkpointguard.command.Io}, {@link dev.checkpointguard.command.UsageException} and {@link
 * dev.checkpointguard.command.Errors}. It depends on {@code core} only; {@code admin}, {@code
 * stock} and {@code cli} depend on it, never the other way round.
 */
package dev.checkpointguard.command;
