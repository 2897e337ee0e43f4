/**
 * The {@code checkpoint-guard} command line: {@link dev.checkpointguard.cli.Main}, the registry of
 * commands and the {@code serve} and {@code hash-password} wiring. It sits on top: it imports every
 * other package, and no other package imports it. Commands implement {@link
 * dev.checkpointguard.command.Command}.
 */
package dev.checkpointguard.cli;
