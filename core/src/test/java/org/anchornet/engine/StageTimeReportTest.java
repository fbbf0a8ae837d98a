package org.anchornet.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.anchornet.engine.StageTimes.Part;
import org.anchornet.exits.StageCosts;
import org.junit.jupiter.api.Test;

/** The arithmetic of {@code bench}'s time table, on counts made up so that every figure is known. */
class StageTimeReportTest {
    @Test
    void ratesAndSharesFollowFromTheCountsAndTheStageCosts() {
        StageTimes times = new StageTimes(3);
        StageTimes.Snapshot start = times.snapshot();
        times.network(0, 64, 2_000_000_000L);      // 64 glances in 2 s
        times.network(0, 36, 500_000_000L);        // and 36 more in 0.5 s: 100 in 2.5 s
        times.add(0, Part.PREPARE, 100_000_000L);
        times.network(1, 40, 1_000_000_000L);      // 40 patches in 1 s
        times.add(1, Part.ANCHORNET, 400_000_000L);
        times.add(1, Part.PROPOSAL, 200_000_000L);
        times.add(1, Part.READOUT, 40_000_000L);
        times.add(2, Part.CARRY, 10_000_000L);     // nobody reached stage 3's network
        // downstream 1 G, AnchorNet 0.1 G: stages cost 1, 2.1, 3.1 G
        StageCosts costs = StageCosts.of(3, 1_000_000_000L, 100_000_000L);
        StageTimeReport r = StageTimeReport.of(times.snapshot().minus(start), costs, 5.0, 80e9);

        StageTimeReport.Stage glance = r.stages().get(0);
        assertEquals(100, glance.images());
        assertEquals(2, glance.batches());
        assertEquals(50, glance.meanBatchImages(), 1e-9);
        assertEquals(25, glance.networkMs(), 1e-9);
        assertEquals(40e9, glance.networkMultiplyAddsPerSecond(), 1);
        assertEquals(0.5, glance.networkShareOfBaseline(), 1e-9);
        assertEquals(1, glance.prepareMs(), 1e-9);
        assertNull(glance.anchorNetMs());

        StageTimeReport.Stage first = r.stages().get(1);
        assertEquals(25, first.networkMs(), 1e-9);
        assertEquals(10, first.anchorNetMs(), 1e-9);
        assertEquals(40 * 0.1e9 / 0.4, first.anchorNetMultiplyAddsPerSecond(), 1);
        assertEquals(5, first.proposalMs(), 1e-9);
        assertEquals(1, first.readoutMs(), 1e-9);

        StageTimeReport.Stage last = r.stages().get(2);
        assertEquals(0, last.images());
        assertEquals(0, last.networkMultiplyAddsPerSecond());

        assertEquals(3.5, r.secondsByPart().get("network"), 1e-9);
        assertEquals(5.0 - 3.5 - 0.1 - 0.4 - 0.2 - 0.04 - 0.01, r.secondsByPart().get("unaccounted"), 1e-9);
        assertEquals(1 - 3.9 / 5.0, r.outsideNetworksShare(), 1e-9);
        assertEquals(List.of("network", "prepare", "anchornet", "proposal", "readout", "carry", "unaccounted"),
                List.copyOf(r.secondsByPart().keySet()));
    }
}
