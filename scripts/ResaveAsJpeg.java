import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.*;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

// Usage: java scripts/ResaveAsJpeg.java PNG_TREE JPEG_TREE (e.g. a tree from export-data); seeded, so the same sizes each time.
/** Re-saves a PNG ImageFolder tree as JPEG images of several sizes and aspects (a tree the generator did not lay out). */
public class ResaveAsJpeg {
    public static void main(String[] a) throws Exception {
        Path in = Path.of(a[0]), out = Path.of(a[1]);
        int[][] sizes = {{160, 160}, {224, 224}, {256, 200}, {300, 300}, {320, 240}, {400, 400}};
        Random r = new Random(7);
        try (Stream<Path> files = Files.walk(in)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".png")).sorted().toList()) {
                BufferedImage src = ImageIO.read(p.toFile());
                int[] s = sizes[r.nextInt(sizes.length)];
                BufferedImage dst = new BufferedImage(s[0], s[1], BufferedImage.TYPE_INT_RGB);
                Graphics2D g = dst.createGraphics();
                g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
                g.drawImage(src, 0, 0, s[0], s[1], null);
                g.dispose();
                Path target = out.resolve(in.relativize(p).toString().replaceAll("\\.png$", ".jpg"));
                Files.createDirectories(target.getParent());
                ImageIO.write(dst, "jpg", target.toFile());
            }
        }
    }
}
