// Saving and loading TF.js layers models as files (model.json + weights.bin), the format tf.loadLayersModel reads
// in Node and in the browser, and the checkpoint file format.
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../core/runFolder';

function toArrayBuffer(data: ArrayBuffer | ArrayBuffer[]): ArrayBuffer {
  return Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data;
}

/** Save a layers model into `dir` as model.json and weights.bin, each written atomically. */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = toArrayBuffer(artifacts.weightData as ArrayBuffer | ArrayBuffer[]);
      writeFileAtomic(path.join(dir, 'weights.bin'), new Uint8Array(weights));
      const json = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      writeFileAtomic(path.join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
    }),
  );
}

/** An IOHandler that reads a model saved by saveLayersModel (or any TF.js layers model folder with one shard). */
export function fileModelHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const jsonFile = path.join(dir, 'model.json');
      let json: { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
      try {
        json = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
      } catch (err) {
        throw new Error(`${jsonFile}: cannot read the model (${(err as Error).message}).`);
      }
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: ArrayBuffer[] = [];
      for (const group of json.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) {
          const b = fs.readFileSync(path.join(dir, p));
          buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
        }
      }
      return { modelTopology: json.modelTopology, weightSpecs: specs, weightData: tf.io.concatenateArrayBuffers(buffers), format: 'layers-model' };
    },
  };
}

export function loadLayersModelFromDir(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileModelHandler(dir));
}

// ---------------------------------------------------------------------------------------------- checkpoint file
// One file, replaced atomically: "VAECKPT1", uint32 LE header length, the JSON header, zero padding to a multiple
// of 4, then the float32 arrays the header lists (little-endian, in order).

const CKPT_MAGIC = 'VAECKPT1';

export interface CheckpointArray {
  name: string;
  shape: number[];
}

export function writeCheckpointFile(file: string, header: object, arrays: { spec: CheckpointArray; data: Float32Array }[]): void {
  const head = Buffer.from(JSON.stringify({ ...header, arrays: arrays.map((a) => a.spec) }), 'utf8');
  const pre = 8 + 4 + head.length;
  const pad = (4 - (pre % 4)) % 4;
  const total = pre + pad + arrays.reduce((s, a) => s + a.data.byteLength, 0);
  const buf = Buffer.alloc(total);
  buf.write(CKPT_MAGIC, 0, 'latin1');
  buf.writeUInt32LE(head.length, 8);
  head.copy(buf, 12);
  let off = pre + pad;
  for (const a of arrays) {
    Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).copy(buf, off);
    off += a.data.byteLength;
  }
  writeFileAtomic(file, buf);
}

export function readCheckpointFile<H>(file: string): { header: H & { arrays: CheckpointArray[] }; arrays: Float32Array[] } {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    throw new Error(`${file}: checkpoint not found.`);
  }
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== CKPT_MAGIC) throw new Error(`${file}: not a VAE Lab checkpoint (wrong magic number).`);
  const len = buf.readUInt32LE(8);
  if (12 + len > buf.length) throw new Error(`${file}: checkpoint is truncated.`);
  const header = JSON.parse(buf.toString('utf8', 12, 12 + len)) as H & { arrays: CheckpointArray[] };
  const pre = 12 + len;
  let off = pre + ((4 - (pre % 4)) % 4);
  const arrays: Float32Array[] = [];
  for (const spec of header.arrays) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    if (off + n * 4 > buf.length) throw new Error(`${file}: checkpoint is truncated (array ${spec.name}).`);
    const copy = new Float32Array(n);
    Buffer.from(copy.buffer).set(buf.subarray(off, off + n * 4));
    arrays.push(copy);
    off += n * 4;
  }
  return { header, arrays };
}
