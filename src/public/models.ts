// 'visage/models': the lower level. The model registry, the converted-model store and the engine
// that runs any registered model on onnxruntime (createVisage uses these; most users never need to).
export { Engine } from '../runtime/engine.ts';
export type { EngineOptions, Outputs, OutputTensor } from '../runtime/engine.ts';
export { MODELS, getModelSpec } from '../models/registry.ts';
export { modelIdsOf } from '../visage.ts';
export type { ModelSpec, ModelRole, InputSpec, OutputSpec, ModelSource } from '../models/types.ts';
export { pixelsToInput } from '../models/input.ts';
export { ModelStore, resolveModelDir, MODEL_DIR_ENV, CONVERTER_VERSION } from '../models/store.ts';
export type { ConvertedModelInfo } from '../models/store.ts';
