package org.anchornet.engine;

import java.io.IOException;

/** A cascade package that cannot be used: a missing or changed file, or a configuration field that does not fit. */
public class CascadeFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public CascadeFormatException(String message) {
        super(message);
    }

    public CascadeFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
