// The catalog of full-size data sets that `vae-lab data get <name>` downloads and that experiments name as their
// `data.source`: pure data (origin, files, byte sizes, published digests, license, citation) and small helpers.
// No I/O here: downloading is download.ts, reading the cached files is datasets.ts.
import * as os from 'os';
import * as path from 'path';
import { DataError } from './dataset';

/** Overrides the cache folder's root (default ~/.vae-lab/datasets); the extension sets it from vaeLab.dataFolder. */
export const DATA_DIR_ENV = 'VAE_LAB_DATA_DIR';
/** A base URL that replaces every entry's origin (the same file names are fetched from it). */
export const DATA_MIRROR_ENV = 'VAE_LAB_DATA_MIRROR';

export type IdxRole = 'train-images' | 'train-labels' | 'test-images' | 'test-labels';
export type FileRole = IdxRole | 'archive';

/**
 * How an entry's download is laid out. idx-gz: four gzipped IDX files, read as they are. cifar10-bin: one tar.gz of
 * CIFAR's binary batches; emnist-zip: NIST's zip of gzipped IDX files. The archives are extracted once after the
 * download (extract.ts) into plain files that training reads (archiveSets.ts).
 */
export type DataFormat = 'idx-gz' | 'cifar10-bin' | 'emnist-zip';

/** A file taken out of an entry's archive into the data set's folder (gunzipped when the member is a .gz). */
export interface ArchiveMember {
  /** The member's path inside the archive. */
  member: string;
  /** The extracted file's name in the data set's folder. */
  name: string;
  /** Exact size of the extracted file: what "cached" checks. */
  bytes: number;
  split: 'train' | 'test';
  /** records: CIFAR batches (label byte + 3072 pixel bytes per example); images / labels: IDX files. */
  kind: 'records' | 'images' | 'labels';
  /** Examples in the file. */
  count: number;
}

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
  format: DataFormat;
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
  /** What is downloaded: the four IDX files (idx-gz) or the one archive (role 'archive'). */
  files: CatalogFile[];
  /** Archive formats: the folder under the data root that keeps the archive (entries made from one archive share it). */
  archiveDir?: string;
  /** Archive formats: the members extracted into the data set's folder, train files in order, then test. */
  members?: ArchiveMember[];
  classNames: string[];
  /** The label the files give the first class (EMNIST Letters numbers its classes from 1); default 0. */
  firstLabel?: number;
}

const MNIST_FILE_NAMES: Record<IdxRole, string> = {
  'train-images': 'train-images-idx3-ubyte.gz',
  'train-labels': 'train-labels-idx1-ubyte.gz',
  'test-images': 't10k-images-idx3-ubyte.gz',
  'test-labels': 't10k-labels-idx1-ubyte.gz',
};

function mnistFiles(digests: Record<IdxRole, { md5: string; bytes?: number }>): CatalogFile[] {
  return (Object.keys(MNIST_FILE_NAMES) as IdxRole[]).map((role) => ({ role, name: MNIST_FILE_NAMES[role], ...digests[role] }));
}

/** CIFAR-10's binary batches: `cifar-10-batches-bin/<name>.bin`, each example a label byte and 3072 pixel bytes. */
export const CIFAR_RECORD = 1 + 32 * 32 * 3;

/** The members of a CIFAR-10 binary archive: one train batch per count in `train`, then the test batch. */
export function cifarMembers(train: number[], test: number): ArchiveMember[] {
  const member = (name: string, split: 'train' | 'test', count: number): ArchiveMember => ({ member: `cifar-10-batches-bin/${name}`, name, bytes: count * CIFAR_RECORD, split, kind: 'records', count });
  return [...train.map((count, i) => member(`data_batch_${i + 1}.bin`, 'train', count)), member('test_batch.bin', 'test', test)];
}

/** The four members of one EMNIST split in NIST's gzip.zip, extracted gunzipped (plain IDX files, 28x28 uint8). */
export function emnistMembers(split: string, train: number, test: number): ArchiveMember[] {
  const member = (which: 'train' | 'test', kind: 'images' | 'labels', count: number): ArchiveMember => {
    const name = `emnist-${split}-${which}-${kind === 'images' ? 'images-idx3' : 'labels-idx1'}-ubyte`;
    return { member: `gzip/${name}.gz`, name, bytes: kind === 'images' ? 16 + count * 28 * 28 : 8 + count, split: which, kind, count };
  };
  return [member('train', 'images', train), member('train', 'labels', train), member('test', 'images', test), member('test', 'labels', test)];
}

// EMNIST's one archive, shared by the splits below: downloaded once into <root>/emnist/ and extracted from there.
// MD5: torchvision/datasets/mnist.py (pytorch/vision, class EMNIST, `md5`, with this `url`; the same digest is in
// earlier torchvision releases that used www.itl.nist.gov's address). Size: 561,753,746 bytes, stated in a
// downloader's source (a progress bar's total) and consistent with TensorFlow Datasets' "Download size: 535.73 MiB"
// (catalog page emnist). Not verified here against the file: the origin cannot be reached from the machines this was
// written on (no network).
const EMNIST_ZIP: CatalogFile = { role: 'archive', name: 'gzip.zip', md5: '58c8d27c78d21e728a6bc7b3cc06412e', bytes: 561753746 };
const EMNIST_CITATION = 'G. Cohen, S. Afshar, J. Tapson, A. van Schaik. EMNIST: an extension of MNIST to handwritten letters. arXiv:1702.05373, 2017 (IJCNN 2017).';
const DIGITS = '0123456789'.split('');
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('');
const LOWER = 'abcdefghijklmnopqrstuvwxyz'.split('');

/** An EMNIST split: all of them come from NIST's one gzip.zip, kept in <data folder>/emnist/. */
function emnistEntry(split: string, train: number, test: number, own: Pick<CatalogEntry, 'title' | 'classNames' | 'firstLabel'>): CatalogEntry {
  return {
    name: `emnist-${split}`,
    format: 'emnist-zip',
    supported: true,
    train,
    test,
    shape: [28, 28, 1],
    size: '562 MB',
    license: 'not stated',
    citation: EMNIST_CITATION,
    homepage: 'https://www.nist.gov/itl/products-and-services/emnist-dataset',
    origin: 'https://biometrics.nist.gov/cs_links/EMNIST/',
    files: [EMNIST_ZIP],
    archiveDir: 'emnist',
    members: emnistMembers(split, train, test),
    ...own,
  };
}

export const CATALOG: readonly CatalogEntry[] = [
  {
    name: 'mnist-60k',
    title: 'MNIST, the full 60,000 + 10,000 digits',
    format: 'idx-gz',
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
    format: 'idx-gz',
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
    format: 'idx-gz',
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
  {
    name: 'cifar10',
    title: 'CIFAR-10 (32x32 colour images, binary version)',
    format: 'cifar10-bin',
    supported: true,
    train: 50000,
    test: 10000,
    shape: [32, 32, 3],
    size: '162 MB',
    license: 'not stated',
    citation: 'A. Krizhevsky. Learning Multiple Layers of Features from Tiny Images. Technical report, University of Toronto, 2009.',
    homepage: 'https://www.cs.toronto.edu/~kriz/cifar.html',
    origin: 'https://www.cs.toronto.edu/~kriz/',
    // MD5: the CIFAR page (https://www.cs.toronto.edu/~kriz/cifar.html, "CIFAR-10 binary version (suitable for C
    // programs) | 162 MB | c32a1d4ab5d03f1284b67883e8d87530"). Size: what TensorFlow's cifar10 tutorial
    // (tensorflow/models, tutorials/image/cifar10) prints after downloading ("Successfully downloaded
    // cifar-10-binary.tar.gz 170052171 bytes."), also in listings of the file. Member sizes: 10,000 records of 3,073
    // bytes (30,730,000, as `ls -l cifar-10-batches-bin` shows). Not verified here against the file (no network).
    files: [{ role: 'archive', name: 'cifar-10-binary.tar.gz', md5: 'c32a1d4ab5d03f1284b67883e8d87530', bytes: 170052171 }],
    members: cifarMembers([10000, 10000, 10000, 10000, 10000], 10000),
    classNames: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
  },
  emnistEntry('balanced', 112800, 18800, {
    title: 'EMNIST Balanced (handwritten digits and letters, 47 classes; one zip with emnist-letters)',
    // torchvision's EMNIST.classes_split_dict['balanced']: digits, upper case, and the 11 lower-case letters whose
    // shape differs from their capital (c, i, j, k, l, m, o, p, s, u, v, w, x, y, z are merged into the capital).
    classNames: [...DIGITS, ...UPPER, ...'abdefghnqrt'.split('')],
  }),
  emnistEntry('letters', 124800, 20800, {
    title: 'EMNIST Letters (handwritten letters, 26 classes; one zip with emnist-balanced)',
    // The files label the letters 1..26 (torchvision keeps them, with 'N/A' as class 0); VAE Lab maps them to 0..25.
    classNames: LOWER,
    firstLabel: 1,
  }),
];

/** Names an experiment can use as data.source and `vae-lab data get` takes. */
export const CATALOG_SOURCES = ['mnist-60k', 'fashion-mnist', 'kmnist', 'cifar10', 'emnist-balanced', 'emnist-letters'] as const;
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

/** The folder that keeps an archive entry's download: <root>/<archiveDir or name>/. */
export function archiveFolder(entry: CatalogEntry, root = dataRoot()): string {
  return datasetDir(entry.archiveDir ?? entry.name, root);
}

/** The one-line error for a data set that is not in the cache folder (its DataError names the set, not a file). */
export function notDownloaded(entry: CatalogEntry, root = dataRoot()): DataError {
  const err = new DataError(entry.name, 'is not downloaded');
  err.message = `${entry.name} is not downloaded: run vae-lab data get ${entry.name} (or ${placeByHand(entry, root)}).`;
  return err;
}

/** How to place the files by hand, for messages: "put a, b, c and d in <folder>". */
export function placeByHand(entry: CatalogEntry, root = dataRoot()): string {
  const names = entry.files.map((f) => f.name);
  if (entry.format !== 'idx-gz') {
    // The extracted files are VAE Lab's cache; by hand, the archive goes where data get looks for it first.
    return `put ${names[0]} (from ${entry.origin}) in ${archiveFolder(entry, root)} and run vae-lab data get ${entry.name}: it verifies and extracts it without downloading`;
  }
  return `put ${names.slice(0, -1).join(', ')} and ${names[names.length - 1]} (from ${entry.origin}) in ${datasetDir(entry.name, root)}`;
}
