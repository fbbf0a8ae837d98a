package org.anchornet.engine;

import java.nio.file.Files;
import java.nio.file.Path;

/** Run in a child JVM by CascadePackageTest: unpacks a zip package, prints where, and exits without closing it. */
public final class UnclosedPackage {
    private UnclosedPackage() {}

    public static void main(String[] args) throws Exception {
        CascadePackage pkg = CascadePackage.read(Path.of(args[0]));
        Path folder = pkg.weights(CascadeNetwork.PATCH).getParent();
        System.out.println(folder + " " + Files.isRegularFile(pkg.weights(CascadeNetwork.PATCH)));
    }
}
