// Usage: java scripts/ServedCeiling.java FULL_OFFLINE FULL_SERVED CASCADE_OFFLINE CASCADE_SERVED   (images/s)
/**
 * How much of its offline speedup a cascade can keep when served (docs/benchmarks.md, "What the served criterion can
 * reach"): the full network's own served loss gives the per-image cost outside the networks, o = 1/served − 1/offline;
 * a cascade that paid only that would be served at (1/full + o) / (1/cascade + o) times the full network.
 */
public class ServedCeiling {
    public static void main(String[] a) {
        double fullOff = Double.parseDouble(a[0]), fullServed = Double.parseDouble(a[1]);
        double cascOff = Double.parseDouble(a[2]), cascServed = Double.parseDouble(a[3]);
        double offline = cascOff / fullOff, o = 1 / fullServed - 1 / fullOff;
        double ceiling = (1 / fullOff + o) / (1 / cascOff + o), measured = cascServed / fullServed;
        System.out.printf("offline %.2fx; o %.2f ms; ceiling %.2fx (%.2f of offline); measured %.2fx (%.2f);"
                + " the cascade's own served cost %.2f ms%n", offline, 1000 * o, ceiling, ceiling / offline, measured,
                measured / offline, 1000 * (1 / cascServed - 1 / cascOff));
    }
}
