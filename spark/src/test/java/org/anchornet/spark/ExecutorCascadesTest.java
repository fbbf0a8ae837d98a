package org.anchornet.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

class ExecutorCascadesTest {
    private static SparkConf master(String master) {
        return new SparkConf(false).set("spark.master", master);
    }

    @Test
    void torchThreadsFollowTheExecutorsCores() {
        assertEquals(1, ExecutorCascades.executorCores(master("local[1]")));
        assertEquals(3, ExecutorCascades.executorCores(master("local[3,2]")));
        assertEquals(Runtime.getRuntime().availableProcessors(), ExecutorCascades.executorCores(master("local[*,2]")));
        assertEquals(4, ExecutorCascades.executorCores(master("spark://h:7077").set("spark.executor.cores", "4")));
        assertEquals(2, ExecutorCascades.executorCores(master("local[1]").set("spark.executor.cores", "2")));
    }
}
