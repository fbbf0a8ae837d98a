package org.anchornet.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.anchornet.engine.Cascade;
import org.anchornet.engine.Prediction;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web page in a real browser (Debian's headless Chromium driven by Selenium): choose an image, and the page shows
 * the prediction the server gives, the windows figure, the stage it left at, the top 10, what it cost, and the live
 * counters. CI installs the browser ({@code .ci/run}) and sets ANCHORNET_REQUIRE_BROWSER so that a missing one fails.
 */
class WebPageTest {
    private static final File CHROMIUM = new File("/usr/bin/chromium");
    private static final File DRIVER = new File("/usr/bin/chromedriver");

    @TempDir Path tmp;

    private static void requireBrowser() {
        boolean present = CHROMIUM.canExecute() && DRIVER.canExecute();
        String why = "headless Chromium is not installed (" + CHROMIUM + ", " + DRIVER + "): apt-get install chromium"
                + " chromium-driver; CI's .ci/run installs them";
        if (System.getenv("ANCHORNET_REQUIRE_BROWSER") != null) {
            assertTrue(present, why);
        }
        Assumptions.assumeTrue(present, why);
    }

    private static WebDriver browser(Path profile) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        // as root in a sandbox-less VM, offline: no sandbox, no GPU, no background network calls
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-quic", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER)
                .usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    @Test
    void choosingAnImageShowsThePredictionWindowsStagesCostAndCounters() throws Exception {
        requireBrowser();
        Path packageDir = CascadeServerTest.makePackage(tmp);
        List<Path> images = CascadeServerTest.canvases(tmp, 8);
        try (Cascade cascade = Cascade.load(packageDir);
                CascadeServer server = CascadeServer.start(cascade, null, 1_000_000_000L, new CascadeServer.Settings(
                        "127.0.0.1", 0, new RequestBatcher.Options(8, 5, 64), 1 << 20, 60_000, 30_000))) {
            // an image that goes past the glance, so that the page shows windows and a class activation map
            Path image = null;
            Prediction expected = null;
            for (Path candidate : images) {
                Prediction p = cascade.classify(candidate);
                if (p.exitStage() > 1) {
                    image = candidate;
                    expected = p;
                    break;
                }
            }
            assertTrue(image != null, "some test canvas goes past the glance");
            WebDriver driver = browser(Files.createDirectories(tmp.resolve("profile")));
            try {
                driver.get("http://127.0.0.1:" + server.port() + "/");
                WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(60));
                wait.until(d -> d.findElement(By.id("about")).getText().contains("resnet18"));
                driver.findElement(By.id("file")).sendKeys(image.toAbsolutePath().toString());
                wait.until(d -> d.findElement(By.id("result")).isDisplayed());
                String className = cascade.config().classes().get(expected.predicted());
                assertEquals(className, driver.findElement(By.id("class")).getText());
                assertEquals(Integer.toString(expected.exitStage()), driver.findElement(By.id("cost"))
                        .getAttribute("data-exit-stage"));
                assertTrue(driver.findElement(By.id("cost")).getText().startsWith("Left after stage "
                        + expected.exitStage()), driver.findElement(By.id("cost")).getText());
                List<WebElement> rows = driver.findElements(By.cssSelector("#stages tbody tr"));
                assertEquals(expected.exitStage(), rows.size(), "one row per stage it went through");
                assertTrue(rows.get(rows.size() - 1).getAttribute("class").contains("exit"));
                assertTrue(rows.get(1).getText().contains("window 1"), rows.get(1).getText());
                assertEquals(10, driver.findElements(By.cssSelector("#top10 li")).size());
                assertTrue(driver.findElement(By.cssSelector("#top10 li")).getText().startsWith(className));
                JavascriptExecutor js = (JavascriptExecutor) driver;
                wait.until(d -> ((Number) js.executeScript("return document.getElementById('windows').naturalWidth"))
                        .intValue() > 100);
                assertTrue(driver.findElement(By.id("camFigure")).isDisplayed(), "the CAM of an image past the glance");
                wait.until(d -> "1".equals(d.findElement(By.id("stats")).getAttribute("data-answered"))
                        || d.findElement(By.id("stats")).getText().startsWith("1 answered"));
                assertTrue(driver.findElement(By.id("stats")).getText().contains("saved"));
                // a file that is not an image: the page shows the server's error
                Path text = Files.writeString(tmp.resolve("notes.txt"), "not an image");
                driver.findElement(By.id("file")).sendKeys(text.toAbsolutePath().toString());
                wait.until(d -> d.findElement(By.id("error")).isDisplayed());
                assertTrue(driver.findElement(By.id("error")).getText().contains("not an image"),
                        driver.findElement(By.id("error")).getText());
            } finally {
                driver.quit();
            }
        }
    }
}
