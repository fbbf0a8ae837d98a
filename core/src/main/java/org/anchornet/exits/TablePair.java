package org.anchornet.exits;

/** Thresholds are fit on one table and scored on another: the validation and the test table of the same setup. */
public record TablePair(ExitTable validation, ExitTable test) {
    public TablePair {
        if (validation.stages() != test.stages()) {
            throw new IllegalArgumentException("the test table has " + test.stages() + " stages, the validation"
                    + " table " + validation.stages());
        }
    }

    /** Both sides from one table, split by a seeded shuffle of its rows. */
    public static TablePair split(ExitTable table, double validationFraction, long seed) {
        Splits.Split rows = Splits.split(table.images(), validationFraction, seed);
        return new TablePair(table.subset(rows.validation()), table.subset(rows.test()));
    }
}
