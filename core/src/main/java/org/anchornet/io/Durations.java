package org.anchornet.io;

import java.util.Locale;

/** Durations as progress lines say them: "45 s", "12 min", "2 h 05 min". */
public final class Durations {
    private Durations() {}

    public static String of(double seconds) {
        long s = Math.round(Math.max(0, seconds));
        if (s < 90) {
            return s + " s";
        }
        long minutes = Math.round(s / 60.0);
        return minutes < 90 ? minutes + " min" : String.format(Locale.ROOT, "%d h %02d min", minutes / 60,
                minutes % 60);
    }
}
