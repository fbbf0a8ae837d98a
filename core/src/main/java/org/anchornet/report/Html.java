package org.anchornet.report;

/** Text put into the project's HTML reports. */
public final class Html {
    private Html() {}

    /** Escapes text for an element's content or a quoted attribute (class names and paths come from users). */
    public static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
