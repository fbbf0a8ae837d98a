/**
 * The command-line tool: one picocli subcommand per stage, each parsing its options, calling the library and
 * printing to the command's own output.
 */
package org.anchornet.cli;
