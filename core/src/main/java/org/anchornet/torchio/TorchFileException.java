package org.anchornet.torchio;

import java.io.IOException;

/** A PyTorch file that cannot be read or written: corrupt, truncated, unsafe, or of an unsupported kind. */
public class TorchFileException extends IOException {
    private static final long serialVersionUID = 1L;

    public TorchFileException(String message) {
        super(message);
    }

    public TorchFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
