// The catalog of full-size data sets that `vae-lab data get <name>` downloads and that experiments name as their
// `data.source`: pure data (origin, files, byte sizes, published digests, license, citation) and small helpers.
// No I/O here: downloading is download.ts, reading the cached files is datasets.ts.
import * as os from 'os';
import * as path from 'path';

/** Overrides the cache folder's root (default ~/.vae-lab/datasets); the extension sets it from vaeLab.dataFolder. */
export const DATA_DIR_ENV = 'VAE_LAB_DATA_DIR';
/** A base URL that replaces every entry's origin (the same file names are fetched from it). */
export const DATA_MIRROR_ENV = 'VAE_LAB_DATA_MIRROR';

export type FileRole = 'train-images' | 'train-labels' | 'test-images' | 'test-labels';

export interface CatalogFile {
  role: FileRole;
  /** The file's name at the origin and in the cache folder. */
  name: string;
  /** Size in bytes of the file the origin serves, where a public source states it; always checked when known. */
  bytes?: number;
  /** The published MD5 of the file the origin serves (hex). */
  md5: string;
}

export interface CatalogEntry {
  /** The name for `vae-lab data get` and the experiment's `data.source`. */
  name: string;
  title: string;
  /** Whether `vae-lab data get` and training support it yet. */
  supported: boolean;
  /** Why not, when not supported. */
  unsupportedReason?: string;
  train: number;
  test: number;
  /** Shape of one example. */
  shape: [number, number, number];
  /** Download size, for people ("31 MB"). */
  size: string;
  license: string;
  citation: string;
  homepage: string;
  /** Base URL the files are fetched from (ends with '/'). */
  origin: string;
  files: CatalogFile[];
  classNames: string[];
}

const MNIST_FILE_NAMES: Record<FileRole, string> = {
  'train-images': 'train-images-idx3-ubyte.gz',
  'train-labels': 'train-labels-idx1-ubyte.gz',
  'test-images': 't10k-images-idx3-ubyte.gz',
  'test-labels': 't10k-labels-idx1-ubyte.gz',
};

function mnistFiles(digests: Record<FileRole, { md5: string; bytes?: number }>): CatalogFile[] {
  return (Object.keys(MNIST_FILE_NAMES) as FileRole[]).map((role) => ({ role, name: MNIST_FILE_NAMES[role], ...digests[role] }));
}

export const CATALOG: readonly CatalogEntry[] = [
  {
    name: 'mnist-60k',
    title: 'MNIST, the full 60,000 + 10,000 digits',
    supported: true,
    train: 60000,
    test: 10000,
    shape: [28, 28, 1],
    size: '12 MB',
    license: 'CC BY-SA 3.0',
    citation: 'Y. LeCun, L. Bottou, Y. Bengio, P. Haffner. Gradient-based learning applied to document recognition. Proc. IEEE 86(11), 1998.',
    homepage: 'http://yann.lecun.com/exdb/mnist/',
    // yann.lecun.com answers 403 to downloads since 2023; torchvision's second mirror serves the same files.
    origin: 'https://ossci-datasets.s3.amazonaws.com/mnist/',
    // MD5s: torchvision/datasets/mnist.py (pytorch/vision, class MNIST, `resources`). Byte sizes: what TensorFlow's
    // tutorials print after downloading ("Successfully downloaded train-images-idx3-ubyte.gz 9912422 bytes." etc.).
    // Not verified here against the files: the origin cannot be reached from the machines this was written on.
    files: mnistFiles({
      'train-images': { md5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873', bytes: 9912422 },
      'train-labels': { md5: 'd53e105ee54ea40749a09fcbcd1e9432', bytes: 28881 },
      'test-images': { md5: '9fb629c4189551a2d022fa330f9573f3', bytes: 1648877 },
      'test-labels': { md5: 'ec29112dd5afa0611ce80d1b7f02629c', bytes: 4542 },
    }),
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  },
  {
    name: 'fashion-mnist',
    title: 'Fashion-MNIST (Zalando article images)',
    supported: true,
    train: 60000,
    test: 10000,
    shape: [28, 28, 1],
    size: '31 MB',
    license: 'MIT',
    citation: 'H. Xiao, K. Rasul, R. Vollgraf. Fashion-MNIST: a Novel Image Dataset for Benchmarking Machine Learning Algorithms. arXiv:1708.07747, 2017.',
    homepage: 'https://github.com/zalandoresearch/fashion-mnist',
    origin: 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
    // MD5s: published in zalandoresearch/fashion-mnist's README ("MD5 Checksum" column; also torchvision's
    // FashionMNIST.resources). Verified: the two label files in that repository's data/fashion/ have exactly these MD5s
    // and sizes; Debian's package dataset-fashion-mnist ships the same deflate streams with the gzip header rewritten
    // (file name dropped, mtime set to the package date, hence 24 or 23 bytes fewer), and restoring the original header
    // (FNAME = the name without .gz, MTIME 2017-08-31T10:50:06Z for train-*, 10:50:27Z for t10k-*) gives all four files
    // with exactly these MD5s and sizes (test/unit/datasets.test.ts does that and serves them).
    files: mnistFiles({
      'train-images': { md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d', bytes: 26421880 },
      'train-labels': { md5: '25c81989df183df01b3e8a0aad5dffbe', bytes: 29515 },
      'test-images': { md5: 'bef4ecab320f06d8554ea6380940ec79', bytes: 4422102 },
      'test-labels': { md5: 'bb300cfdad3c16e7a12a480ee83cd310', bytes: 5148 },
    }),
    classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
  },
  {
    name: 'kmnist',
    title: 'Kuzushiji-MNIST (cursive Japanese characters)',
    supported: true,
    train: 60000,
    test: 10000,
    shape: [28, 28, 1],
    size: 'about 21 MB',
    license: 'CC BY-SA 4.0',
    citation: 'T. Clanuwat, M. Bober-Irizar, A. Kitamoto, A. Lamb, K. Yamamoto, D. Ha. Deep Learning for Classical Japanese Literature. arXiv:1812.01718, 2018. "KMNIST Dataset" (created by CODH), adapted from "Kuzushiji Dataset" (created by NIJL and others), doi:10.20676/00000341.',
    homepage: 'https://github.com/rois-codh/kmnist',
    origin: 'http://codh.rois.ac.jp/kmnist/dataset/kmnist/',
    // MD5s: torchvision/datasets/mnist.py (pytorch/vision, class KMNIST, `resources`, same origin). Byte size of the
    // training images: torchvision's download progress (0/18165135). The other sizes are not stated in a source found,
    // so only their MD5 is checked. Not verified here against the files (no network on the machines this was written on).
    files: mnistFiles({
      'train-images': { md5: 'bdb82020997e1d708af4cf47b453dcf7', bytes: 18165135 },
      'train-labels': { md5: 'e144d726b3acfaa3e44228e80efcd344' },
      'test-images': { md5: '5c965bf0a639b31b8f53240b1b52f4d7' },
      'test-labels': { md5: '7320c461ea6c1c855c0b718fb2a4b134' },
    }),
    classNames: ['o', 'ki', 'su', 'tsu', 'na', 'ha', 'ma', 'ya', 're', 'wo'],
  },
];

/** Names an experiment can use as data.source and `vae-lab data get` takes. */
export const CATALOG_SOURCES = ['mnist-60k', 'fashion-mnist', 'kmnist'] as const;
export type CatalogSource = (typeof CATALOG_SOURCES)[number];

export function isCatalogSource(name: string): name is CatalogSource {
  return (CATALOG_SOURCES as readonly string[]).includes(name);
}

export function catalogEntry(name: string): CatalogEntry | undefined {
  return CATALOG.find((e) => e.name === name);
}

/** The root of the cache: $VAE_LAB_DATA_DIR, else ~/.vae-lab/datasets. */
export function dataRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env[DATA_DIR_ENV] || path.join(os.homedir(), '.vae-lab', 'datasets');
}

/** The folder of one data set's files: <root>/<name>/. */
export function datasetDir(name: string, root = dataRoot()): string {
  return path.join(root, name);
}

/** The URL of one file: the mirror (or origin) base with the file's name appended. */
export function fileUrl(base: string, file: CatalogFile): string {
  return (base.endsWith('/') ? base : base + '/') + file.name;
}

/** How to place the files by hand, for messages: "put a, b, c and d in <folder>". */
export function placeByHand(entry: CatalogEntry, root = dataRoot()): string {
  const names = entry.files.map((f) => f.name);
  return `put ${names.slice(0, -1).join(', ')} and ${names[names.length - 1]} (from ${entry.origin}) in ${datasetDir(entry.name, root)}`;
}
