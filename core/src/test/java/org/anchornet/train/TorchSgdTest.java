package org.anchornet.train;

import static org.anchornet.testing.Tensors.assertClose;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import java.util.Map;
import org.anchornet.model.Architectures;
import org.anchornet.model.StateDictMapper;
import org.anchornet.model.TorchModule;
import org.anchornet.testing.Fixtures;
import org.anchornet.torchio.StateDicts;
import org.anchornet.torchio.TorchReader;
import org.anchornet.torchio.TorchTensor;
import org.junit.jupiter.api.Test;

class TorchSgdTest {
    @Test
    void oneNesterovStepMatchesTorchOptimSgd() throws Exception {
        Map<String, Object> step = TorchReader.readDict(Fixtures.file("anchornet_train_step.pth"));
        TorchSgd sgd = TorchSgd.builder()
                .setLearningRate(((Number) step.get("lr")).floatValue())
                .optMomentum(((Number) step.get("momentum")).floatValue())
                .optWeightDecay(((Number) step.get("weight_decay")).floatValue())
                .optNesterov((Boolean) step.get("nesterov"))
                .build();
        try (Model model = Model.newInstance("anchornet")) {
            TorchModule net = Architectures.get("anchornet").create(model.getNDManager(), 1000, 0);
            model.setBlock(net);
            StateDictMapper.load(net, StateDicts.load(Fixtures.file("anchornet_state.pth")));
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss()).optOptimizer(sgd);
            try (Trainer trainer = model.newTrainer(config); NDManager batch = model.getNDManager().newSubManager()) {
                NDArray x = ((TorchTensor) step.get("x")).toNDArray(batch);
                NDArray y = ((TorchTensor) step.get("y")).toNDArray(batch);
                try (GradientCollector collector = trainer.newGradientCollector()) {
                    NDArray logits = trainer.forward(new NDList(x)).get(2);
                    NDArray loss = trainer.getLoss().evaluate(new NDList(y), new NDList(logits));
                    assertClose((TorchTensor) step.get("loss"), loss, 1e-5, "loss");
                    collector.backward(loss);
                }
                trainer.step();
            }
            Map<String, Parameter> params = StateDictMapper.parameters(net);
            assertClose((TorchTensor) step.get("conv1_weight_after"), params.get("conv1.weight").getArray(), 1e-5,
                    "conv1.weight");
            assertClose((TorchTensor) step.get("fc_weight_after"), params.get("fc.weight").getArray(), 1e-5, "fc.weight");
            assertClose((TorchTensor) step.get("fc_bias_after"), params.get("fc.bias").getArray(), 1e-5, "fc.bias");
            assertClose((TorchTensor) step.get("bn1_running_mean_after"), params.get("bn1.running_mean").getArray(),
                    1e-5, "bn1.running_mean");
            assertClose((TorchTensor) step.get("bn1_running_var_after"), params.get("bn1.running_var").getArray(),
                    1e-5, "bn1.running_var");
        }
    }
}
