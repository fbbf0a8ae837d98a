package org.anchornet.serve;

/** A client error with its status, shown as {@code {"status": "failed", "error": ...}}. */
final class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;
    final transient ServeMetrics.Outcome outcome;

    ApiError(int status, String message) {
        this(status, message, ServeMetrics.Outcome.BAD_REQUEST);
    }

    ApiError(int status, String message, ServeMetrics.Outcome outcome) {
        super(message);
        this.status = status;
        this.outcome = outcome;
    }
}
