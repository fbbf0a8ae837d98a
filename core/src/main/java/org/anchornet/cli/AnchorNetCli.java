package org.anchornet.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code anchornet} command: one subcommand per pipeline stage. */
@Command(
        name = "anchornet",
        mixinStandardHelpOptions = true,
        versionProvider = AnchorNetCli.Version.class,
        description = "AnchorNet on the JVM: localize semantic patches and classify with early exits.",
        subcommands = {FlopsCommand.class, InspectCommand.class, TrainCommands.TrainAnchorNet.class,
            TrainCommands.TrainDownnet.class, MakeTableCommand.class, DynamicInferenceCommand.class,
            ExportDataCommand.class, FitThresholdsCommand.class, PackageCommand.class, ClassifyCommand.class,
            PredictCommand.class, VisualizeCommand.class, ServeCommand.class, LoadTestCommand.class,
            DemoCommand.class, TrainCommand.class, BenchCommand.class, ForwardBenchCommand.class, CommandLine.HelpCommand.class})
public final class AnchorNetCli implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** A command line wired with the project's error handling: one-line messages and non-zero exit codes. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new AnchorNetCli());
        cli.setExecutionExceptionHandler(AnchorNetCli::handleError);
        cli.setParameterExceptionHandler(AnchorNetCli::handleBadArguments);
        return cli;
    }

    public static void main(String[] args) {
        ProcessSettings.configure();
        System.exit(commandLine().execute(args));
    }

    /** User errors (bad input, bad files) print one line; anything else also prints its stack trace. */
    private static int handleError(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
        PrintWriter err = cli.getErr();
        boolean userError = e instanceof IllegalArgumentException || e instanceof java.io.IOException
                || e instanceof IllegalStateException;
        err.println(cli.getColorScheme().errorText("error: " + e.getMessage()));
        if (!userError) {
            e.printStackTrace(err);
        }
        err.flush();
        return userError ? 2 : 1;
    }

    /** A bad option or argument: one line that says what is wrong and where the help is, not the whole usage. */
    private static int handleBadArguments(CommandLine.ParameterException e, String[] args) {
        CommandLine cli = e.getCommandLine();
        String name = cli.getCommandSpec().qualifiedName();
        cli.getErr().println(cli.getColorScheme().errorText("error: " + e.getMessage().strip().replace('\n', ' ')
                + " (see '" + name + " --help')"));
        cli.getErr().flush();
        return 2;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = AnchorNetCli.class.getPackage().getImplementationVersion();
            return new String[] {"anchornet " + (v == null ? "(development build)" : v)};
        }
    }
}
