package org.anchornet.io;

/** One-line messages of exceptions, for errors shown to a user. */
public final class Messages {
    private Messages() {}

    /** The first line of the innermost cause's message. */
    public static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = String.valueOf(t.getMessage());
        return m.lines().findFirst().orElse(m);
    }
}
