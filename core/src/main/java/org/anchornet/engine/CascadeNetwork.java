package org.anchornet.engine;

/** The three networks of a cascade: their names in {@code cascade.json} and their files in a package. */
public enum CascadeNetwork {
    ANCHORNET("anchornet"), GLANCE("glance"), PATCH("patch");

    private final String key;

    CascadeNetwork(String key) {
        this.key = key;
    }

    /** The name under {@code weights} and {@code provenance.networks}. */
    public String key() {
        return key;
    }

    public String fileName() {
        return key + ".pth";
    }

    /** The seed of this network's weights in a random-weight cascade (1, 2, 3 in this order). */
    public long randomSeed() {
        return ordinal() + 1;
    }
}
