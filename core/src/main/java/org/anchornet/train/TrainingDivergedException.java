package org.anchornet.train;

/** Training produced a non-finite loss or non-finite weights; the message names the epoch and step. */
public class TrainingDivergedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public TrainingDivergedException(String message) {
        super(message);
    }
}
