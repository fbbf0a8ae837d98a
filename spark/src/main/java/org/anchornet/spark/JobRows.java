package org.anchornet.spark;

import java.util.ArrayList;
import java.util.List;
import org.anchornet.engine.CascadeConfig;
import org.anchornet.engine.Prediction;
import org.anchornet.engine.PredictionReport;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The rows the job writes, with columns named as {@code predict}'s JSON names them ({@code class}, {@code confidence},
 * {@code exit_stage}, …) plus {@code path} and the label when the input is an ImageFolder tree; or, with all stages,
 * the exit-table rows (every stage's confidence and prediction).
 */
final class JobRows {
    private JobRows() {}

    static final StructType STAGE = DataTypes.createStructType(List.of(
            field("stage", DataTypes.IntegerType, false),
            field("class", DataTypes.StringType, false),
            field("class_index", DataTypes.IntegerType, false),
            field("confidence", DataTypes.FloatType, false)));

    static final StructType WINDOW = DataTypes.createStructType(List.of(
            field("rank", DataTypes.IntegerType, false),
            field("box", DataTypes.createArrayType(DataTypes.IntegerType, false), false),
            field("used", DataTypes.BooleanType, false),
            field("class", DataTypes.StringType, true),
            field("class_index", DataTypes.IntegerType, true),
            field("probability", DataTypes.FloatType, true)));

    /** One classified image (or one that could not be read: {@code error} set, the rest null). */
    static final StructType PREDICTION = DataTypes.createStructType(List.of(
            field("path", DataTypes.StringType, false),
            field("class", DataTypes.StringType, true),
            field("class_index", DataTypes.IntegerType, true),
            field("confidence", DataTypes.FloatType, true),
            field("exit_stage", DataTypes.IntegerType, true),
            field("multiply_adds", DataTypes.LongType, true),
            field("gmacs", DataTypes.DoubleType, true),
            field("stage_predictions", DataTypes.createArrayType(STAGE, false), true),
            field("windows", DataTypes.createArrayType(WINDOW, false), true),
            field("label", DataTypes.IntegerType, true),
            field("label_name", DataTypes.StringType, true),
            field("error", DataTypes.StringType, true)));

    /** One image's exit-table row: the confidence and predicted class after every stage. */
    static final StructType STAGES = DataTypes.createStructType(List.of(
            field("path", DataTypes.StringType, false),
            field("confidences", DataTypes.createArrayType(DataTypes.FloatType, false), true),
            field("predicted_classes", DataTypes.createArrayType(DataTypes.IntegerType, false), true),
            field("label", DataTypes.IntegerType, true),
            field("label_name", DataTypes.StringType, true),
            field("error", DataTypes.StringType, true)));

    /** Spark's row encoder takes Scala sequences for array columns. */
    private static scala.collection.immutable.Seq<Object> seq(List<?> values) {
        return scala.jdk.javaapi.CollectionConverters.asScala(new ArrayList<Object>(values)).toList();
    }

    private static StructField field(String name, org.apache.spark.sql.types.DataType type, boolean nullable) {
        return DataTypes.createStructField(name, type, nullable);
    }

    static Row prediction(String path, Prediction p, CascadeConfig config, Integer label, String labelName) {
        PredictionReport r = PredictionReport.of(path, p, config);
        List<Row> stages = new ArrayList<>();
        for (PredictionReport.StagePrediction s : r.stages()) {
            stages.add(RowFactory.create(s.stage(), s.className(), s.classIndex(), s.confidence()));
        }
        List<Row> windows = new ArrayList<>();
        for (PredictionReport.WindowReport w : r.windows()) {
            windows.add(RowFactory.create(w.rank(), seq(w.box()), w.used(), w.className(), w.classIndex(),
                    w.probability()));
        }
        return RowFactory.create(path, r.className(), r.classIndex(), r.confidence(), r.exitStage(), r.multiplyAdds(),
                r.gmacs(), seq(stages), seq(windows), label, labelName, null);
    }

    static Row stages(String path, Prediction everyStage, Integer label, String labelName) {
        List<Float> confidences = new ArrayList<>();
        List<Integer> classes = new ArrayList<>();
        for (Prediction.StageOutcome o : everyStage.stages()) {
            confidences.add(o.confidence());
            classes.add(o.predicted());
        }
        return RowFactory.create(path, seq(confidences), seq(classes), label, labelName, null);
    }

    static Row failed(boolean allStages, String path, String error, Integer label, String labelName) {
        return allStages ? RowFactory.create(path, null, null, label, labelName, error)
                : RowFactory.create(path, null, null, null, null, null, null, null, null, label, labelName, error);
    }
}
